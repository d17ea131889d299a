"""Wald inference of an MMRM fit with the chosen covariance and df method.

One object answers, for any linear function ``l'beta`` or hypothesis
``L beta = 0``: the covariance used (model-based ``Phi``, Kenward–Roger adjusted
``Phi_A``, or a sandwich), the denominator df and the F statistic.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ...errors import ModelError
from ._between_within import BetweenWithin
from ._kenward_roger import kr_adjusted_vcov, kr_df
from ._sandwich import EmpiricalSatterthwaite
from ._satterthwaite import satterthwaite_df, satterthwaite_md

__all__ = ["DF_METHODS", "MmrmInference", "check_methods"]

DF_METHODS = ("kenward-roger", "kenward-roger-linear", "satterthwaite", "between-within",
              "residual")
_ALIASES = {"kr": "kenward-roger", "kr-linear": "kenward-roger-linear",
            "kr(linear)": "kenward-roger-linear", "bw": "between-within"}


def check_methods(df: str | None, vcov: str) -> str:
    """Validate ``df=`` against ``vcov=``; the default df is Kenward–Roger for the
    model-based covariance and between-within for a sandwich (as SAS).

    Examples
    --------
    >>> check_methods(None, "empirical")
    'between-within'
    """
    if df is None:
        return "kenward-roger" if vcov == "model" else "between-within"
    key = _ALIASES.get(str(df).lower(), str(df).lower())
    if key not in DF_METHODS:
        raise ModelError(f"df={df!r} is not a df method; use one of {list(DF_METHODS)}.")
    if vcov != "model" and key.startswith("kenward-roger"):
        raise ModelError(f"df={df!r} with vcov={vcov!r}: Kenward-Roger df adjust the "
                         "model-based covariance and are not defined for a sandwich (R "
                         "mmrm refuses them too); use df='between-within' (the default "
                         "with a sandwich) or 'residual', or vcov='model' for "
                         "Kenward-Roger.")
    return key


@dataclass(frozen=True, eq=False)
class MmrmInference:
    """Covariance and df of the fixed effects of one fit."""

    coef: np.ndarray
    Phi: np.ndarray            # model-based (X'V^-1X)^-1
    W: np.ndarray              # covariance of the SAS covariance parameters
    P: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    method: str
    vcov_kind: str
    empirical: np.ndarray | None
    bw: BetweenWithin
    residual_df: int
    empirical_df: EmpiricalSatterthwaite | None = None

    @cached_property
    def vcov(self) -> np.ndarray:
        """The covariance matrix the fit reports."""
        if self.vcov_kind != "model":
            assert_present(self.empirical)
            return np.asarray(self.empirical)
        if self.method == "kenward-roger":
            return kr_adjusted_vcov(self.Phi, self.W, self.P, self.Q, self.R)
        if self.method == "kenward-roger-linear":
            return kr_adjusted_vcov(self.Phi, self.W, self.P, self.Q, self.R, linear=True)
        return self.Phi

    def df(self, c: np.ndarray) -> float:
        """Denominator df for ``c'beta``."""
        c = np.asarray(c, dtype=float)
        if self.method.startswith("kenward-roger"):
            return kr_df(self.Phi, c[None, :], self.W, self.P)[0]
        if self.method == "satterthwaite":
            return self._satterthwaite(c)
        if self.method == "between-within":
            return self.bw.df(c)
        return float(self.residual_df)

    def _satterthwaite(self, c: np.ndarray) -> float:
        """Satterthwaite df: from the covariance parameters' covariance for the
        model-based ``Phi``, from the sandwich's own blocks (as R mmrm) otherwise."""
        if self.vcov_kind == "model":
            return satterthwaite_df(self.Phi, c, self.W, self.P)
        if self.empirical_df is None:
            raise ModelError("The sandwich covariance was not computed for this fit.")
        return self.empirical_df.df(c)

    def contest(self, L: np.ndarray) -> tuple[int, float, float]:
        """``(num_df, den_df, F)`` for ``L beta = 0`` (Kenward–Roger's F scaled by lambda)."""
        L = np.atleast_2d(np.asarray(L, dtype=float))
        q = int(np.linalg.matrix_rank(L))
        if q < L.shape[0]:
            u, s, vt = np.linalg.svd(L, full_matrices=False)
            L = vt[:q]
        Lb = L @ self.coef
        F = float(Lb @ np.linalg.solve(L @ self.vcov @ L.T, Lb)) / q
        if self.method.startswith("kenward-roger"):
            m, lam = kr_df(self.Phi, L, self.W, self.P)
            return q, m, lam * F
        if self.method == "satterthwaite":
            return q, satterthwaite_md(self.vcov, L, self._satterthwaite), F
        if self.method == "between-within":
            return q, self.bw.df(L), F
        return q, float(self.residual_df), F


def assert_present(value: object) -> None:
    """Raise when an optional matrix is missing (an internal invariant)."""
    if value is None:
        raise ModelError("The sandwich covariance was not computed for this fit.")
