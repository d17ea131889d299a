"""Mediation (path analysis): does the treatment act on the outcome *through* the mediator?

Segal, Silverman & Temkin (2013) asked whether self-help agencies reduce
self-stigma through members' organisational empowerment. :func:`mediate` fits
the two regressions of the single mediator model,

    mediator = i_M + a * treatment + covariates + e_M
    outcome  = i_Y + c' * treatment + b * mediator + covariates + e_Y

and reports the paths ``a``, ``b``, the direct effect ``c'``, the indirect
effect ``a * b``, the total ``c' + a * b`` and the proportion mediated
``a * b / (c' + a * b)``, with maximum-likelihood standard errors
(n-denominator residual variances, as lavaan's ``sem()``; delta method for the
defined effects, as lavaan's ``:=``), the Sobel test, and percentile and BCa
bootstrap intervals (rows, or whole clusters with ``cluster=``). With ``id=``
(repeated measures), the multilevel 1-1-1 model of Bauer, Preacher & Gil
(2006) is fitted instead (:mod:`helpstats._mediation_multilevel`).

The indirect effect is causal only if, among other things, there is no
unmeasured confounding of the mediator–outcome relation (the mediator is not
randomised even when the treatment is); :attr:`MediationResult.methods` says so.

Examples
--------
>>> import numpy as np, pandas as pd
>>> import helpstats as hs
>>> rng = np.random.default_rng(2)
>>> arm = pd.Categorical(np.repeat(["control", "agency"], 50), categories=["control", "agency"])
>>> d = pd.DataFrame({"arm": arm})
>>> d["empowerment"] = 0.5 * (d["arm"] == "agency") + rng.normal(size=100)
>>> d["stigma"] = -0.4 * d["empowerment"] + rng.normal(size=100)
>>> res = hs.mediate(d, "arm", "empowerment", "stigma", n_boot=200, seed=1, progress=False)
>>> res.table.index.tolist()
['a', 'b', 'direct', 'indirect', 'total', 'proportion']
>>> res.treatment_levels  # (coded 1, reference coded 0): the categories' order decides
('agency', 'control')
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._display import result_html, short_repr
from ._ids import id_text
from .errors import HelpingError

__all__ = ["PATHS", "MediationResult", "mediate"]

#: The rows of :attr:`MediationResult.table`, in order.
PATHS: tuple[str, ...] = ("a", "b", "direct", "indirect", "total", "proportion")

_TABLE_COLUMNS = ["estimate", "se", "perc_lower", "perc_upper", "bca_lower", "bca_upper"]
_CHUNK = 500


@dataclass(frozen=True, eq=False)
class MediationResult:
    """Result of :func:`mediate` (immutable).

    Attributes
    ----------
    table : pandas.DataFrame
        Index ``path`` with rows ``a, b, direct, indirect, total, proportion``;
        columns ``estimate, se, perc_lower, perc_upper, bca_lower, bca_upper``.
        For the multilevel model ``perc_lower, perc_upper`` hold the Monte
        Carlo interval and the ``bca_`` columns are missing.
    sobel : pandas.Series
        ``estimate, se, z, p`` of the indirect effect (normal theory, delta
        method SE).
    design : str
        ``"single-level"``, ``"cluster bootstrap"`` or ``"multilevel 1-1-1"``.
    n : int
        Rows used. ``n_dropped``: rows left out because a used column was missing.
    n_clusters : int or None
        Clusters (or persons, for the multilevel model) resampled or modelled.
    n_boot, n_boot_failed : int
        Bootstrap (or Monte Carlo) draws requested, and replicates that could
        not be estimated (a singular design, e.g. one arm only) and were left out.
    level : float
        Confidence level.
    treatment, mediator, outcome : str
    covariates : tuple of str
    treatment_levels : tuple or None
        ``(level coded 1, reference level coded 0)`` for a two-level
        treatment; None for a numeric one.
    details : dict
        Extra numbers: residual variances, and for the multilevel model the
        random-effect covariance, ``cov_ab`` and its SE, ``reml``.
    boot : pandas.DataFrame
        The bootstrap (or Monte Carlo) replicates, one column per path.
    """

    table: pd.DataFrame
    sobel: pd.Series
    design: str
    n: int
    n_dropped: int
    n_clusters: int | None
    n_boot: int
    n_boot_failed: int
    level: float
    treatment: str
    mediator: str
    outcome: str
    covariates: tuple[str, ...]
    treatment_levels: tuple[Any, Any] | None
    details: dict[str, Any] = field(default_factory=dict)
    boot: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def _title(self) -> str:
        return (f"MediationResult: {self.treatment} -> {self.mediator} -> {self.outcome} "
                f"({self.design})")

    def _lines(self) -> list[str]:
        row = self.table.loc["indirect"]
        pct = f"{100 * self.level:g}%"
        return [f"indirect effect {row['estimate']:.4g}, {pct} CI {row['perc_lower']:.4g} to "
                f"{row['perc_upper']:.4g} ({self.n_boot} draws)",
                f"{self.n} rows used ({self.n_dropped} dropped for missing values)",
                "paths a, b, direct, indirect, total, proportion in .table; .methods for the text"]

    def __repr__(self) -> str:
        return short_repr(self._title(), self._lines())

    def _repr_html_(self) -> str:
        return result_html(self._title(), self._lines(), {"Paths": self.table.reset_index()})

    @property
    def methods(self) -> str:
        """A methods-section paragraph describing the analysis and its assumptions."""
        pct = f"{100 * self.level:g}%"
        cov = (f", adjusting both equations for {', '.join(self.covariates)}"
               if self.covariates else "")
        coded = (f" (coded 1 = {self.treatment_levels[0]}, "
                 f"0 = {self.treatment_levels[1]})" if self.treatment_levels else "")
        if self.design == "multilevel 1-1-1":
            d = self.details
            text = (
                f"The within-person indirect effect of {self.treatment} on {self.outcome} "
                f"through {self.mediator} was estimated with the multilevel 1-1-1 mediation "
                "model of Bauer, Preacher and Gil (2006): both equations were stacked and "
                "fitted jointly as one linear mixed model by "
                f"{'REML' if d.get('reml') else 'maximum likelihood'}, with person-level "
                "random intercepts for each equation and random a and b slopes "
                f"({'a random' if d.get('random_direct') else 'a fixed'} direct effect c′), "
                "a separate residual variance for each equation, and the indirect effect "
                "a·b + cov(a_j, b_j), which includes the covariance of the random a and b "
                f"slopes. Its {pct} confidence interval is a Monte Carlo interval "
                f"({self.n_boot} draws from the estimates' asymptotic normal distribution) "
                f"over {self.n_clusters} persons and {self.n} observations{cov}."
            )
        else:
            unit = (f"whole clusters ({self.n_clusters} clusters resampled)"
                    if self.design == "cluster bootstrap" else f"participants (n = {self.n})")
            text = (
                f"The indirect effect of {self.treatment}{coded} on {self.outcome} through "
                f"{self.mediator} was estimated as the product a·b of the treatment→mediator "
                "and mediator→outcome regression coefficients (path analysis with two "
                f"least-squares regressions{cov}; standard errors from maximum likelihood, "
                "as lavaan, and the delta method for the indirect, total and proportion "
                f"mediated). {pct} confidence intervals are percentile and bias-corrected and "
                f"accelerated (BCa) bootstrap intervals from {self.n_boot} resamples of "
                f"{unit}; the Sobel test is also given."
            )
        if self.n_boot_failed:
            text += f" {self.n_boot_failed} resample(s) could not be estimated and were left out."
        if self.n_dropped:
            text += f" {self.n_dropped} row(s) with missing values were excluded."
        text += (
            " Reading the indirect effect causally assumes no unmeasured confounding of the "
            "treatment–outcome, treatment–mediator and mediator–outcome relations and no "
            "mediator–outcome confounder affected by the treatment; randomising the treatment "
            "does not randomise the mediator."
        )
        return text


# ----------------------------------------------------------------------------- data
def _frame(data: pd.DataFrame, treatment: str, mediator: str, outcome: str,
           covariates: Sequence[str], extra: Sequence[str]) -> tuple[pd.DataFrame, int]:
    if not isinstance(data, pd.DataFrame):
        raise HelpingError(f"data must be a pandas DataFrame; found {type(data).__name__}.")
    used = [treatment, mediator, outcome, *covariates, *extra]
    absent = [c for c in dict.fromkeys(used) if c not in data.columns]
    if absent:
        raise HelpingError(f"column(s) {absent} not found; the data has columns: "
                           f"{', '.join(map(str, data.columns[:20]))}.")
    roles = [treatment, mediator, outcome]
    if len(set(roles)) < 3 or set(covariates) & set(roles):
        raise HelpingError("treatment, mediator, outcome and covariates must be different columns.")
    for name in (mediator, outcome):
        if not pd.api.types.is_numeric_dtype(data[name]) or pd.api.types.is_bool_dtype(data[name]):
            raise HelpingError(f"{name!r} must be numeric (found dtype {data[name].dtype}).")
    frame = data[list(dict.fromkeys(used))]
    complete = frame.notna().all(axis=1)
    n_dropped = int((~complete).sum())
    if n_dropped:
        counts = frame.isna().sum()
        detail = ", ".join(f"{k} {v}" for k, v in counts[counts > 0].items())
        warnings.warn(f"{n_dropped} of {len(frame)} row(s) left out of the mediation model "
                      f"because a value is missing ({detail}); see result.n_dropped.",
                      UserWarning, stacklevel=3)
    return frame.loc[complete], n_dropped


def _treatment(values: pd.Series) -> tuple[np.ndarray, tuple[Any, Any] | None]:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float), None
    if isinstance(values.dtype, pd.CategoricalDtype):
        levels = [c for c in values.cat.categories if (values == c).any()]
    else:
        levels = sorted(values.unique().tolist(), key=lambda v: (str(type(v)), v))
    if len(levels) != 2:
        raise HelpingError(
            f"treatment {values.name!r} has {len(levels)} level(s) {levels[:6]}; expected a "
            "number or exactly two levels (the first, in category or sorted order, is the "
            "reference coded 0)."
        )
    return (values == levels[1]).to_numpy(dtype=float), (levels[1], levels[0])


def _covariate_matrix(frame: pd.DataFrame, covariates: Sequence[str]) -> tuple[np.ndarray,
                                                                               list[str]]:
    blocks: list[np.ndarray] = []
    names: list[str] = []
    for name in covariates:
        col = frame[name]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            blocks.append(col.to_numpy(dtype=float)[:, None])
            names.append(name)
        else:
            dummies = pd.get_dummies(col, prefix=name, drop_first=True, dtype=float)
            blocks.append(dummies.to_numpy())
            names.extend(dummies.columns)
    if not blocks:
        return np.zeros((len(frame), 0)), names
    return np.hstack(blocks), names


# ------------------------------------------------------------------- estimation
def _paths(a: np.ndarray, b: np.ndarray, cp: np.ndarray) -> np.ndarray:
    """Stack a, b, c', a*b, c'+a*b and the proportion along the last axis."""
    ind = a * b
    total = cp + ind
    with np.errstate(divide="ignore", invalid="ignore"):
        prop = ind / total
    return np.stack([a, b, cp, ind, total, prop], axis=-1)


def _weighted_fits(zm: np.ndarray, zy: np.ndarray, m: np.ndarray, y: np.ndarray,
                   weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Path estimates for each row of ``weights`` (frequency weights); failed fits flagged."""
    out = np.full((len(weights), len(PATHS)), np.nan)
    ok = np.ones(len(weights), dtype=bool)
    coef = []
    for z, target in ((zm, m), (zy, y)):
        gram = np.einsum("bn,ni,nj->bij", weights, z, z, optimize=True)
        rhs = np.einsum("bn,ni,n->bi", weights, z, target, optimize=True)
        scale = np.sqrt(np.einsum("bii->bi", gram))
        scale[scale == 0] = 1.0
        normed = gram / scale[:, :, None] / scale[:, None, :]
        good = np.linalg.cond(normed) < 1e10
        safe = np.where(good[:, None, None], normed, np.eye(z.shape[1]))
        sol = np.linalg.solve(safe, (rhs / scale)[:, :, None])[:, :, 0] / scale
        coef.append(sol)
        ok &= good
    a, b, cp = coef[0][:, 1], coef[1][:, 2], coef[1][:, 1]
    out[ok] = _paths(a, b, cp)[ok]
    return out, ok


def _ml_fit(zm: np.ndarray, zy: np.ndarray, m: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Estimates and ML (n-denominator) covariance of (a, b, c')."""
    n = len(m)
    res = {}
    for key, z, target in (("m", zm, m), ("y", zy, y)):
        coef, *_ = np.linalg.lstsq(z, target, rcond=None)
        resid = target - z @ coef
        sigma2 = float(resid @ resid) / n
        res[key] = (coef, sigma2 * np.linalg.inv(z.T @ z), sigma2)
    (cm, vm, s2m), (cy, vy, s2y) = res["m"], res["y"]
    theta = np.array([cm[1], cy[2], cy[1]])  # a, b, c'
    vcov = np.zeros((3, 3))
    vcov[0, 0] = vm[1, 1]
    vcov[1:, 1:] = vy[np.ix_([2, 1], [2, 1])]
    return {"theta": theta, "vcov": vcov, "sigma2_m": s2m, "sigma2_y": s2y}


def _delta(theta: np.ndarray, vcov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Estimates and delta-method SEs of the six paths from (a, b, c') and their covariance."""
    a, b, cp = theta
    total = cp + a * b
    grads = np.array([
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [b, a, 0.0],
        [b, a, 1.0],
        [b * cp / total**2, a * cp / total**2, -a * b / total**2] if total != 0
        else [np.nan] * 3,
    ])
    est = _paths(np.array(a), np.array(b), np.array(cp))
    se = np.sqrt(np.einsum("ki,ij,kj->k", grads, vcov, grads))
    return est, se


def _bca(boot: np.ndarray, estimate: float, jack: np.ndarray, level: float) -> tuple[float, float]:
    """BCa interval (Efron 1987): bias from the replicates, acceleration from the jackknife."""
    boot = boot[np.isfinite(boot)]
    jack = jack[np.isfinite(jack)]
    if len(boot) < 2 or not np.isfinite(estimate):
        return float("nan"), float("nan")
    share = np.mean(boot < estimate)
    if share <= 0 or share >= 1:
        return float("nan"), float("nan")
    z0 = stats.norm.ppf(share)
    influence = jack.mean() - jack
    denom = 6.0 * np.sum(influence**2) ** 1.5
    accel = float(np.sum(influence**3) / denom) if denom > 0 else 0.0
    z = stats.norm.ppf([(1 - level) / 2, (1 + level) / 2])
    alphas = stats.norm.cdf(z0 + (z0 + z) / (1 - accel * (z0 + z)))
    low, high = np.quantile(boot, alphas)
    return float(low), float(high)


def _groups(frame: pd.DataFrame, cluster: str | None) -> np.ndarray:
    if cluster is None:
        return np.arange(len(frame))
    return pd.factorize(id_text(frame[cluster]))[0]


def _check_options(n_boot: int, level: float) -> None:
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise HelpingError(f"n_boot must be a whole number >= 0; found {n_boot!r}.")
    if not 0 < level < 1:
        raise HelpingError(f"level must be between 0 and 1 (e.g. 0.95); found {level!r}.")


def mediate(
    data: pd.DataFrame,
    treatment: str,
    mediator: str,
    outcome: str,
    covariates: Sequence[str] = (),
    *,
    id: str | None = None,
    cluster: str | None = None,
    n_boot: int = 5000,
    seed: int | np.random.Generator | None = None,
    level: float = 0.95,
    progress: bool = True,
    reml: bool = False,
    random_direct: bool = False,
) -> MediationResult:
    """Estimate the indirect effect of a treatment on an outcome through a mediator.

    Single level (no ``id``): two regressions, ``mediator ~ treatment +
    covariates`` and ``outcome ~ treatment + mediator + covariates``. The
    estimates equal lavaan's ``sem()`` with ``indirect := a*b``,
    ``total := cp + a*b`` and ``proportion := a*b / (cp + a*b)``; the SEs are
    lavaan's maximum-likelihood ones (residual variances with denominator n)
    and the delta method for the defined effects; ``sobel`` is the normal test
    of ``a*b`` with that SE. Bootstrap intervals resample rows, or whole
    clusters when ``cluster`` is given (members of one support group are not
    independent); the percentile interval uses the ``(1 - level) / 2`` and
    ``(1 + level) / 2`` quantiles of the replicates, BCa (Efron 1987) the
    bias correction from the share of replicates below the estimate and the
    acceleration from the jackknife over the same units (rows or clusters).

    For the baseline-adjusted change-score design of Segal et al. (2013), pass
    the changes as mediator and outcome and the baselines as covariates (see
    :func:`helpstats.change_scores`).

    Repeated measures (``id`` = the person): the multilevel 1-1-1 model
    (Bauer, Preacher & Gil 2006) -- see :mod:`helpstats._mediation_multilevel`.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per participant (or per participant × wave with ``id``). Not
        modified. Rows missing a used column are left out, counted and warned about.
    treatment : str
        Numeric, or with exactly two levels (the first in category or sorted
        order is the reference, coded 0).
    mediator, outcome : str
        Numeric columns.
    covariates : sequence of str
        Entered in both equations (categorical ones as treatment-coded dummies).
    id : str, optional
        Person column: fit the multilevel 1-1-1 model instead.
    cluster : str, optional
        Cluster column (e.g. support group) for the cluster bootstrap.
    n_boot : int, default 5000
        Bootstrap resamples (Monte Carlo draws for the multilevel model); 0
        gives estimates, SEs and the Sobel test only.
    seed : int or numpy.random.Generator, optional
        For reproducible intervals.
    level : float, default 0.95
        Confidence level.
    progress : bool, default True
        Show a progress bar (tqdm) over the bootstrap.
    reml, random_direct : bool
        Multilevel model only: REML instead of ML (default ML), and a random
        direct effect c′ (default fixed).

    Returns
    -------
    MediationResult

    Raises
    ------
    helpstats.errors.HelpingError
        Absent or non-numeric columns, a treatment with other than two levels,
        too few complete rows, or a singular design.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import helpstats as hs
    >>> rng = np.random.default_rng(5)
    >>> d = pd.DataFrame({"x": rng.normal(size=200)})
    >>> d["m"] = 0.5 * d["x"] + rng.normal(size=200)
    >>> d["y"] = 0.4 * d["m"] + rng.normal(size=200)
    >>> res = hs.mediate(d, "x", "m", "y", n_boot=300, seed=2, progress=False)
    >>> round(float(res.table.loc["indirect", "estimate"]), 3), round(float(res.sobel["z"]), 2)
    (0.213, 4.35)
    >>> bool(res.table.loc["indirect", "perc_lower"] > 0)
    True
    """
    _check_options(n_boot, level)
    if id is not None:
        from ._mediation_multilevel import mediate_multilevel

        if cluster is not None:
            raise HelpingError("give id= (multilevel model) or cluster= (cluster bootstrap), "
                               "not both.")
        return mediate_multilevel(data, treatment, mediator, outcome, tuple(covariates), id=id,
                                  n_draws=n_boot, seed=seed, level=level, reml=reml,
                                  random_direct=random_direct)
    extra = [cluster] if cluster is not None else []
    frame, n_dropped = _frame(data, treatment, mediator, outcome, covariates, extra)
    x, coded = _treatment(frame[treatment])
    cov, _ = _covariate_matrix(frame, covariates)
    m = frame[mediator].to_numpy(dtype=float)
    y = frame[outcome].to_numpy(dtype=float)
    n = len(frame)
    ones = np.ones((n, 1))
    zm = np.hstack([ones, x[:, None], cov])
    zy = np.hstack([ones, x[:, None], m[:, None], cov])
    if n <= zy.shape[1] + 1:
        raise HelpingError(f"only {n} complete row(s) for {zy.shape[1]} outcome-model "
                           "coefficients; mediation needs more data.")
    for name, z in (("mediator", zm), ("outcome", zy)):
        if np.linalg.matrix_rank(z) < z.shape[1]:
            raise HelpingError(f"the {name} model's design is singular (a constant treatment, "
                               "or collinear covariates); check the columns.")
    fit = _ml_fit(zm, zy, m, y)
    est, se = _delta(fit["theta"], fit["vcov"])
    groups = _groups(frame, cluster)
    n_units = int(groups.max()) + 1

    rng = np.random.default_rng(seed)
    boot = np.full((n_boot, len(PATHS)), np.nan)
    failed = 0
    if n_boot:
        from tqdm.auto import tqdm

        with tqdm(total=n_boot, desc="bootstrap", disable=not progress) as bar:
            for start in range(0, n_boot, _CHUNK):
                size = min(_CHUNK, n_boot - start)
                unit_counts = rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=size)
                values, ok = _weighted_fits(zm, zy, m, y, unit_counts[:, groups].astype(float))
                boot[start:start + size] = values
                failed += int((~ok).sum())
                bar.update(size)
    table = pd.DataFrame(np.nan, index=pd.Index(PATHS, name="path"), columns=_TABLE_COLUMNS)
    table["estimate"], table["se"] = est, se
    if n_boot:
        jack = np.vstack([  # leave one unit (row or cluster) out
            _weighted_fits(zm, zy, m, y, (groups[None, :] != np.arange(lo, min(lo + _CHUNK,
                           n_units))[:, None]).astype(float))[0]
            for lo in range(0, n_units, _CHUNK)])
        probs = [(1 - level) / 2, (1 + level) / 2]
        for j, path in enumerate(PATHS):
            column = boot[:, j][np.isfinite(boot[:, j])]
            if len(column):
                table.loc[path, ["perc_lower", "perc_upper"]] = np.quantile(column, probs)
            table.loc[path, ["bca_lower", "bca_upper"]] = _bca(boot[:, j], float(est[j]),
                                                                jack[:, j], level)
    z = est[3] / se[3]
    sobel = pd.Series({"estimate": est[3], "se": se[3], "z": z,
                       "p": float(2 * stats.norm.sf(abs(z)))}, name="sobel")
    return MediationResult(
        table=table, sobel=sobel,
        design="cluster bootstrap" if cluster is not None else "single-level",
        n=n, n_dropped=n_dropped, n_clusters=n_units if cluster is not None else None,
        n_boot=n_boot, n_boot_failed=failed, level=level, treatment=treatment,
        mediator=mediator, outcome=outcome, covariates=tuple(covariates),
        treatment_levels=coded,
        details={"sigma2_mediator": fit["sigma2_m"], "sigma2_outcome": fit["sigma2_y"]},
        boot=pd.DataFrame(boot, columns=list(PATHS)),
    )
