"""The result protocol every fitted model implements, and inference written once against it.

Marginal means, contrasts, Type III tests, confidence intervals, summaries and
model comparison use only what :class:`ModelResult` promises -- never a fit's
private fields -- so a new model family (a GLMM, an MMRM, a pooled
multiple-imputation result) gets all of them by implementing it:

* ``spec`` -- the :class:`~helpstats.models.spec.ModelSpec` (rebuilds the
  fixed-effects matrix for a reference grid, maps columns to terms);
* ``data`` -- the model frame (the rows and columns used);
* ``coef`` -- the estimated coefficients, named by model-matrix column, and
  ``coef_columns`` -- their positions in ``spec.columns`` (columns dropped as
  collinear are absent), with ``fixed_nullspace`` for estimability;
* ``df_method`` -- the fit's default df method, and for any contrast matrix
  ``coef_vcov(df=)``, ``contrast_df(c, df=)`` and ``contrast_test(L, df=)``
  (a family without small-sample df returns ``inf``).

Examples
--------
>>> import numpy as np, pandas as pd
>>> import helpstats as hs
>>> rng = np.random.default_rng(4)
>>> d = pd.DataFrame({"id": np.repeat(np.arange(12), 3), "t": np.tile([0.0, 1, 2], 12)})
>>> d["y"] = rng.normal(size=12)[d["id"]] + d["t"] + rng.normal(size=36)
>>> fit = hs.fit_mixed(d, "y ~ t + (1 | id)")
>>> isinstance(fit, ModelResult)
True
>>> est, se, df = linear_estimate(fit, np.array([0.0, 1.0]))
>>> bool(np.isclose(est, fit.coef["t"])), bool(np.isclose(df, fit.fixed["df"][1]))
(True, True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from ..errors import ModelError

if TYPE_CHECKING:
    from .spec import ModelSpec

__all__ = ["DF_METHODS", "ModelResult", "check_df_method", "estimable", "linear_estimate"]

#: Names of the small-sample df methods (``df=``).
DF_METHODS = ("satterthwaite", "kenward-roger")

_ALIASES = {"satterthwaite": "satterthwaite", "satt": "satterthwaite",
            "kenward-roger": "kenward-roger", "kenwardroger": "kenward-roger",
            "kr": "kenward-roger"}


def check_df_method(df: object) -> str:
    """The canonical name of a df method (``"Kenward_Roger"`` -> ``"kenward-roger"``).

    Examples
    --------
    >>> check_df_method("Kenward-Roger"), check_df_method("satterthwaite")
    ('kenward-roger', 'satterthwaite')
    """
    name = str(df).strip().lower().replace("_", "-").replace(" ", "-") if isinstance(
        df, str) else ""
    if name not in _ALIASES and name.replace("-", "") not in _ALIASES:
        raise ModelError(f"df={df!r} is not a df method; use one of {list(DF_METHODS)}.")
    return _ALIASES.get(name) or _ALIASES[name.replace("-", "")]


@runtime_checkable
class ModelResult(Protocol):
    """What inference needs from a fitted model (see the module docstring)."""

    @property
    def formula(self) -> str: ...

    @property
    def nobs(self) -> int: ...

    @property
    def spec(self) -> ModelSpec: ...

    @property
    def data(self) -> pd.DataFrame: ...

    @property
    def coef(self) -> pd.Series: ...

    @property
    def coef_columns(self) -> tuple[int, ...]: ...

    @property
    def fixed_nullspace(self) -> np.ndarray: ...

    @property
    def df_method(self) -> str: ...

    def coef_vcov(self, *, df: str | None = None) -> np.ndarray: ...

    def contrast_df(self, c: np.ndarray, *, df: str | None = None) -> float: ...

    def contrast_test(self, L: np.ndarray, *, df: str | None = None
                      ) -> tuple[int, float, float]: ...


def estimable(fit: ModelResult, c_full: np.ndarray) -> bool:
    """Whether ``c'beta`` (``c`` over all ``spec.columns``) is estimable."""
    null = fit.fixed_nullspace
    if not null.shape[1]:
        return True
    return float(np.sum((c_full @ null) ** 2)) <= 1e-8 * float(c_full @ c_full)


def linear_estimate(fit: ModelResult, c_full: np.ndarray, *, df: str | None = None
                    ) -> tuple[float, float, float]:
    """Estimate, SE and df of ``c'beta``; NaN when not estimable (as emmeans reports it).

    ``c_full`` runs over all ``spec.columns``, including columns dropped as collinear.
    """
    c_full = np.asarray(c_full, dtype=float)
    if not estimable(fit, c_full):
        return np.nan, np.nan, np.nan
    c = c_full[list(fit.coef_columns)]
    est = float(c @ fit.coef.to_numpy())
    var = float(c @ fit.coef_vcov(df=df) @ c)
    return est, float(np.sqrt(max(var, 0.0))), float(fit.contrast_df(c, df=df))
