"""Covariance parameters and random effects as tables, in lme4's layouts.

``varcorr`` is the layout of ``as.data.frame(VarCorr(fit))``: one row per
variance (``var2`` None, ``sdcor`` the SD), then one per covariance of the
same group (``sdcor`` the correlation). ``ranef`` is that of ``ranef(fit)``:
one frame per grouping factor. The Gaussian and GLMM fits use both; the MMRM
lays out its residual covariance with :func:`covariance_rows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ._engine import ReTerm

__all__ = ["VARCORR_COLUMNS", "covariance_rows", "ranef_frames", "unique_group_names",
           "varcorr_table"]

VARCORR_COLUMNS = ["group", "var1", "var2", "vcov", "sdcor"]


def unique_group_names(groups: Sequence[str]) -> list[str]:
    """Group names made unique as lme4 does: a repeated ``g`` becomes ``g.1``, ``g.2``, ...

    Parameters
    ----------
    groups : sequence of str
        The grouping factor of each term, in term order.

    Returns
    -------
    list of str

    Examples
    --------
    >>> unique_group_names(["id", "site", "id"])
    ['id', 'site', 'id.1']
    """
    seen: dict[str, int] = {}
    out = []
    for g in groups:
        if g in seen:
            seen[g] += 1
            out.append(f"{g}.{seen[g]}")
        else:
            seen[g] = 0
            out.append(g)
    return out


def covariance_rows(group: str, names: Sequence[str], cov: np.ndarray) -> list[dict[str, Any]]:
    """The ``varcorr`` rows of one covariance matrix: variances, then covariances.

    Parameters
    ----------
    group : str
        The ``group`` of every row.
    names : sequence of str
        Name of each row and column of ``cov`` (``var1``, ``var2``).
    cov : numpy.ndarray
        Covariance matrix (q x q).

    Returns
    -------
    list of dict
        Rows with the keys of :data:`VARCORR_COLUMNS`; a correlation whose SDs
        are not both positive is NaN.
    """
    sd = np.sqrt(np.diag(cov))
    rows: list[dict[str, Any]] = [
        {"group": group, "var1": v, "var2": None, "vcov": cov[i, i], "sdcor": sd[i]}
        for i, v in enumerate(names)
    ]
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            corr = cov[i, j] / (sd[i] * sd[j]) if sd[i] > 0 and sd[j] > 0 else np.nan
            rows.append({"group": group, "var1": names[i], "var2": names[j],
                         "vcov": cov[i, j], "sdcor": corr})
    return rows


def varcorr_table(terms: Sequence[ReTerm], lams: Sequence[np.ndarray],
                  sigma: float | None = None) -> pd.DataFrame:
    """``group, var1, var2, vcov, sdcor`` of random-effects terms.

    Parameters
    ----------
    terms : sequence of ReTerm
        The random-effects terms.
    lams : sequence of numpy.ndarray
        The relative covariance factor ``Lambda_k`` of each term.
    sigma : float, optional
        Residual SD: the covariances are ``sigma^2 Lambda Lambda'`` and a
        ``Residual`` row closes the table (a linear mixed model). None: the
        covariances are ``Lambda Lambda'`` and there is no residual row (a GLMM).

    Returns
    -------
    pandas.DataFrame
    """
    rows: list[dict[str, Any]] = []
    names = unique_group_names([t.group for t in terms])
    for name, term, lam in zip(names, terms, lams, strict=True):
        cov = lam @ lam.T if sigma is None else sigma**2 * lam @ lam.T
        rows += covariance_rows(name, term.cnames, cov)
    if sigma is not None:
        rows.append({"group": "Residual", "var1": None, "var2": None, "vcov": sigma**2,
                     "sdcor": sigma})
    return pd.DataFrame(rows, columns=VARCORR_COLUMNS)


def ranef_frames(terms: Sequence[ReTerm], blups: Sequence[np.ndarray]) -> dict[str, pd.DataFrame]:
    """Conditional modes of the random effects, one frame per grouping factor (lme4's ``ranef``).

    Parameters
    ----------
    terms : sequence of ReTerm
        The random-effects terms.
    blups : sequence of numpy.ndarray
        The conditional modes of each term, (levels x columns).

    Returns
    -------
    dict of str to pandas.DataFrame
        Keyed by group name (``b:a`` for the inner level of ``a/b``), indexed by
        level; terms on the same factor, as from ``(x || g)``, share one frame
        with a column per random effect.
    """
    out: dict[str, pd.DataFrame] = {}
    for term, b in zip(terms, blups, strict=True):
        frame = pd.DataFrame(b, index=pd.Index(term.levels, name=term.group),
                             columns=list(term.cnames))
        if term.group in out:
            frame = pd.concat([out[term.group], frame], axis=1)
        out[term.group] = frame
    return out
