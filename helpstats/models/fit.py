"""Fit linear mixed models (:func:`fit_mixed`) and hold the result (:class:`MixedFit`)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, overload

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ModelError
from ._design import Coding, design_matrix, drop_collinear, group_codes
from ._engine import LmmProblem, OptResult, ReTerm, optimize
from ._formula import Formula, parse_formula
from ._satterthwaite import VarparInference
from .families import Family
from .glmm import GlmmFit, fit_glmm

__all__ = ["MixedFit", "fit_mixed"]

_SINGULAR_TOL = 1e-4


@dataclass(frozen=True, eq=False)
class MixedFit:
    """Result of :func:`fit_mixed` (immutable).

    Attributes
    ----------
    formula : str
        The model formula as given.
    reml : bool
        True for a REML fit, False for maximum likelihood.
    loglik, aic, bic : float
        Log-likelihood (the REML criterion / -2 for REML fits, as lme4), AIC, BIC.
    sigma : float
        Residual standard deviation.
    nobs : int
        Observations used.
    n_dropped : int
        Rows dropped because a used column was missing.
    ngroups : dict
        Number of levels of each grouping factor.
    converged, singular : bool
        Convergence (optimiser success and a small scaled gradient) and whether
        a variance parameter sits on its boundary (lme4's ``isSingular``, tol 1e-4).
    optimizer : dict
        ``name, evaluations, status, message, gradient, scaled_gradient``.
    theta : numpy.ndarray
        Relative covariance factor parameters (lme4's ``theta``).
    varcorr : pandas.DataFrame
        ``group, var1, var2, vcov, sdcor`` as lme4's ``as.data.frame(VarCorr(fit))``.
    dropped_columns : tuple of str
        Fixed-effect columns dropped because the model matrix was rank deficient.
    data : pandas.DataFrame
        The model frame used (read-only property; a new copy on each access).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import helpstats as hs
    >>> rng = np.random.default_rng(7)
    >>> d = pd.DataFrame({"id": np.repeat(np.arange(40), 3), "wave": np.tile([0.0, 1, 2], 40)})
    >>> d["arm"] = np.where(d["id"] % 2 == 0, "peer", "usual")
    >>> slope = np.where(d["arm"] == "peer", -1.0, 0.0)
    >>> d["y"] = rng.normal(0, 2, 40)[d["id"]] + slope * d["wave"] + rng.normal(size=120)
    >>> fit = hs.fit_mixed(d, "y ~ arm * wave + (1 | id)")
    >>> fit.anova()["term"].tolist()
    ['arm', 'wave', 'arm:wave']
    >>> fit.contrasts("arm", by="wave", at={"wave": [0, 2]})[["contrast", "wave"]].values.tolist()
    [['peer - usual', 0.0], ['peer - usual', 2.0]]
    >>> list(fit.emmeans("arm", at={"wave": 2}).columns)
    ['arm', 'emmean', 'se', 'df', 'lower', 'upper']
    >>> list(fit.varcorr["group"])
    ['id', 'Residual']
    """

    formula: str
    reml: bool
    loglik: float
    aic: float
    bic: float
    sigma: float
    nobs: int
    n_dropped: int
    ngroups: dict[str, int]
    converged: bool
    singular: bool
    optimizer: dict[str, Any]
    theta: np.ndarray
    varcorr: pd.DataFrame
    dropped_columns: tuple[str, ...]
    coef: pd.Series
    _parsed: Formula = field(repr=False)
    _problem: LmmProblem = field(repr=False)
    _coding: Coding = field(repr=False)
    _frame: pd.DataFrame = field(repr=False)
    _keep: list[int] = field(repr=False)
    _blups: list[np.ndarray] = field(repr=False)

    @property
    def data(self) -> pd.DataFrame:
        """The rows and columns the model was fitted to, as a new DataFrame.

        The columns the formula uses, with their original names, dtypes and
        index, restricted to the rows kept after dropping missing values
        (``len(fit.data) == fit.nobs``). Each access returns a fresh copy, so
        changing it changes neither the fit nor the caller's data.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> import helpstats as hs
        >>> d = pd.DataFrame({"id": np.repeat(np.arange(10), 3), "x": np.tile([0.0, 1, 2], 10)})
        >>> d["y"] = np.random.default_rng(3).normal(size=30) + d["id"] % 3
        >>> d.loc[4, "y"] = np.nan
        >>> fit = hs.fit_mixed(d, "y ~ x + (1 | id)")
        >>> fit.data.shape, fit.n_dropped, 4 in fit.data.index
        ((29, 3), 1, False)
        """
        return self._frame.copy()

    # ------------------------------------------------------------ inference
    @cached_property
    def _inference(self) -> VarparInference:
        return VarparInference(self._problem, self.theta, self.sigma, self.reml)

    @cached_property
    def _nullspace(self) -> np.ndarray:
        """Basis of the null space of the full fixed-effects design (estimability)."""
        X, _, _ = design_matrix(self._frame, self._parsed.fixed, self._coding)
        if not self.dropped_columns:
            return np.zeros((X.shape[1], 0))
        scale = np.linalg.norm(X, axis=0)
        scale[scale == 0] = 1.0
        _, sv, vt = np.linalg.svd(X / scale, full_matrices=False)
        null = vt[sv <= 1e-7 * sv[0]].T / scale[:, None]
        return np.linalg.qr(null)[0] if null.shape[1] else null

    @cached_property
    def fixed(self) -> pd.DataFrame:
        """Fixed effects: ``term, estimate, se, df, t, p`` (Satterthwaite df, as lmerTest)."""
        beta = self.coef.to_numpy()
        inf = self._inference
        se = np.sqrt(np.diag(inf.vcov_beta))
        eye = np.eye(len(beta))
        df = np.array([inf.df(eye[i]) for i in range(len(beta))])
        t = beta / se
        p = 2 * stats.t.sf(np.abs(t), df)
        return pd.DataFrame(
            {"term": self.coef.index, "estimate": beta, "se": se, "df": df, "t": t, "p": p}
        )

    def vcov(self) -> pd.DataFrame:
        """Covariance matrix of the fixed effects (``sigma^2 (X'V~X)^-1``)."""
        names = list(self.coef.index)
        return pd.DataFrame(self._inference.vcov_beta, index=names, columns=names)

    def ranef(self) -> dict[str, pd.DataFrame]:
        """Conditional modes (BLUPs) of the random effects, one frame per grouping factor.

        As lme4's ``ranef()``: keys are the group names (``b:a`` for the inner
        level of ``a/b``); terms on the same factor, as from ``(x || g)``, share
        one frame with a column per random effect.
        """
        out: dict[str, pd.DataFrame] = {}
        for term, b in zip(self._problem.terms, self._blups, strict=True):
            frame = pd.DataFrame(b, index=pd.Index(term.levels, name=term.group),
                                 columns=list(term.cnames))
            if term.group in out:
                frame = pd.concat([out[term.group], frame], axis=1)
            out[term.group] = frame
        return out

    def fitted(self) -> pd.Series:
        """Fitted values ``X beta + Z b`` on the index of the rows used."""
        prob = self._problem
        mu = prob.X @ self.coef.to_numpy()
        for term, b in zip(prob.terms, self._blups, strict=True):
            mu = mu + np.einsum("nq,nq->n", term.Z, b[term.codes])
        return pd.Series(mu, index=self._frame.index, name="fitted")

    def residuals(self) -> pd.Series:
        """Response minus fitted values, on the index of the rows used."""
        res = self._problem.y - self.fitted().to_numpy()
        return pd.Series(res, index=self._frame.index, name="residual")

    def emmeans(self, specs: str | Sequence[str], *, by: str | Sequence[str] | None = None,
                at: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Estimated marginal means on emmeans' reference grid.

        Parameters
        ----------
        specs : str or list of str
            Factor(s) whose means are wanted; ``"~ arm | wave"`` is also accepted.
        by : str or list of str, optional
            Factors to condition on.
        at : dict, optional
            Values of covariates (default: their mean) or a subset of factor levels.

        Returns
        -------
        pandas.DataFrame
            Spec and by columns, then ``emmean, se, df, lower, upper`` (95 %,
            Satterthwaite df).
        """
        from ._emmeans import emmeans

        return emmeans(self, specs, by=by, at=at)

    def contrasts(self, specs: str | Sequence[str], *, by: str | Sequence[str] | None = None,
                  at: Mapping[str, Any] | None = None, method: str = "pairwise",
                  adjust: str = "none") -> pd.DataFrame:
        """Contrasts of marginal means, labelled like emmeans (``"a - b"``).

        ``method`` is ``"pairwise"``, ``"revpairwise"`` or ``"trt.vs.ctrl"``;
        ``adjust`` is ``"none"``, ``"holm"``, ``"bonferroni"``, ``"sidak"`` or ``"tukey"``.
        Returns ``contrast`` (+ by columns), ``estimate, se, df, t, p``.
        """
        from ._emmeans import contrasts

        return contrasts(self, specs, by=by, at=at, method=method, adjust=adjust)

    def anova(self) -> pd.DataFrame:
        """Type III F tests as lmerTest's ``anova(type = 3)``: ``term, num_df, den_df, F, p``."""
        from ._anova import anova_type3

        return anova_type3(self)

    def summary(self) -> str:
        """A text summary in the layout of lme4's ``summary()``."""
        from ._summary import summary_text

        return summary_text(self)

    def __str__(self) -> str:
        return self.summary()


def _unique_names(terms: Sequence[ReTerm]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for t in terms:
        if t.group in seen:
            seen[t.group] += 1
            out.append(f"{t.group}.{seen[t.group]}")
        else:
            seen[t.group] = 0
            out.append(t.group)
    return out


def _used_columns(parsed: Formula) -> list[str]:
    cols = [parsed.response, *parsed.fixed.variables]
    for term in parsed.random:
        cols.extend(term.rhs.variables)
        cols.extend(term.factors)
    return list(dict.fromkeys(cols))


def _order_terms(terms: list[ReTerm]) -> list[ReTerm]:
    """lme4's order: by decreasing number of levels when not already so."""
    nl = np.array([t.nl for t in terms])
    if np.any(np.diff(nl) > 0):
        order = np.argsort(nl, kind="stable")[::-1]
        return [terms[i] for i in order]
    return terms


def _varcorr(terms: Sequence[ReTerm], lams: Sequence[np.ndarray], sigma: float) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for name, term, lam in zip(_unique_names(terms), terms, lams, strict=True):
        cov = sigma**2 * lam @ lam.T
        sd = np.sqrt(np.diag(cov))
        for i, v in enumerate(term.cnames):
            rows.append({"group": name, "var1": v, "var2": None, "vcov": cov[i, i],
                         "sdcor": sd[i]})
        for i in range(term.q):
            for j in range(i + 1, term.q):
                corr = cov[i, j] / (sd[i] * sd[j]) if sd[i] > 0 and sd[j] > 0 else np.nan
                rows.append({"group": name, "var1": term.cnames[i], "var2": term.cnames[j],
                             "vcov": cov[i, j], "sdcor": corr})
    rows.append({"group": "Residual", "var1": None, "var2": None, "vcov": sigma**2,
                 "sdcor": sigma})
    return pd.DataFrame(rows, columns=["group", "var1", "var2", "vcov", "sdcor"])


def _convergence(problem: LmmProblem, theta: np.ndarray, f0: float) -> dict[str, Any]:
    """Finite-difference gradient and Hessian of the deviance (lme4's checks)."""
    k = len(theta)
    h = 1e-4
    grad = np.empty(k)
    hess = np.empty((k, k))
    fp = np.empty(k)
    for i in range(k):
        e = np.zeros(k)
        e[i] = h
        fp[i] = problem.objective(theta + e)
        fm = problem.objective(theta - e)
        grad[i] = (fp[i] - fm) / (2 * h)
        hess[i, i] = (fp[i] - 2 * f0 + fm) / h**2
    for i in range(k):
        for j in range(i):
            e = np.zeros(k)
            e[i] = e[j] = h
            hess[i, j] = hess[j, i] = (problem.objective(theta + e) - fp[i] - fp[j] + f0) / h**2
    try:
        scaled = np.linalg.solve(np.linalg.cholesky(hess), grad)
    except np.linalg.LinAlgError:
        scaled = grad.copy()
    return {"gradient": grad, "scaled_gradient": scaled}


def _check_frame(data: pd.DataFrame, parsed: Formula) -> tuple[pd.DataFrame, int]:
    if not isinstance(data, pd.DataFrame):
        raise ModelError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    used = _used_columns(parsed)
    missing = [c for c in used if c not in data.columns]
    if missing:
        raise ModelError(
            f"The formula {parsed.text!r} uses column(s) {missing} that are not in the data. "
            f"Available columns: {list(map(str, data.columns))}. Fix the formula or rename them."
        )
    frame = data.loc[:, used]
    complete = frame.notna().all(axis=1)
    n_dropped = int((~complete).sum())
    frame = frame.loc[complete]
    if len(frame) == 0:
        raise ModelError(
            f"No complete rows: every row misses at least one of {used}. Check the data."
        )
    infinite = [c for c in used if pd.api.types.is_numeric_dtype(frame[c])
                and not pd.api.types.is_bool_dtype(frame[c])
                and np.isinf(frame[c].to_numpy(dtype=float)).any()]
    if infinite:
        raise ModelError(
            f"Column(s) {infinite} contain infinite values; expected finite numbers. "
            "Replace them (e.g. with NaN, which drops the row) before fitting."
        )
    y = frame[parsed.response]
    if pd.api.types.is_bool_dtype(y) or not pd.api.types.is_numeric_dtype(y):
        raise ModelError(
            f"The outcome {parsed.response!r} must be numeric; found dtype {y.dtype}. "
            "Convert it (e.g. pd.to_numeric) or score the questionnaire first."
        )
    return frame, n_dropped


def _random_terms(frame: pd.DataFrame, parsed: Formula, coding: Coding) -> list[ReTerm]:
    terms = []
    n = len(frame)
    for rt in parsed.random:
        Z, names, _ = design_matrix(frame, rt.rhs, coding)
        if Z.shape[1] == 0:
            raise ModelError(f"The random-effect term for {rt.group!r} has no columns.")
        codes, levels = group_codes(frame, rt.factors)
        if len(levels) < 2:
            raise ModelError(
                f"The grouping factor {rt.group!r} has {len(levels)} level after dropping "
                "missing rows; a random effect needs at least 2 groups. Remove the term or "
                "check the grouping column."
            )
        if len(levels) >= n:
            raise ModelError(
                f"The grouping factor {rt.group!r} has {len(levels)} levels for {n} "
                "observations; each group needs more than one observation on average "
                "(lme4: number of levels must be < number of observations)."
            )
        terms.append(ReTerm(rt.group, tuple(names), codes, tuple(levels), Z))
    return _order_terms(terms)


@overload
def fit_mixed(data: pd.DataFrame, formula: str, *, reml: bool = True,
              family: None = None) -> MixedFit: ...
@overload
def fit_mixed(data: pd.DataFrame, formula: str, *, reml: bool = True,
              family: str | Family, **glmm: Any) -> GlmmFit: ...
def fit_mixed(data: pd.DataFrame, formula: str, *, reml: bool = True,
              family: str | Family | None = None, **glmm: Any) -> MixedFit | GlmmFit:
    """Fit a linear mixed model with lme4's algorithm.

    Parameters
    ----------
    data : pandas.DataFrame
        Long-format analysis frame (not modified). Rows missing any column the
        formula uses are dropped and counted in ``n_dropped``.
    formula : str
        lme4 syntax, e.g. ``"phq9_total ~ arm * wave + (1 | participant)"``.
        Factors use treatment contrasts with the first level as reference
        (categorical dtype order, otherwise sorted values). Ordered categoricals
        are coded the same way, not with R's polynomial contrasts (``contr.poly``).
    reml : bool, default True
        REML (as lme4's default) or maximum likelihood.
    family : str or Family, optional
        A non-Gaussian family (``"binomial"``, ``"poisson"``,
        ``"negative_binomial"``) fits a GLMM by :func:`helpstats.fit_glmm`,
        which takes the further keywords (``link``, ``nagq``, ``weights``,
        ``offset``) and returns a :class:`helpstats.GlmmFit`.

    Returns
    -------
    MixedFit

    Raises
    ------
    helpstats.errors.ModelError
        Unknown columns, a non-numeric outcome, infinite values, no random
        term, a grouping factor with a single level (or one level per row).

    Warns
    -----
    UserWarning
        Rank-deficient fixed effects (the collinear columns are dropped and
        listed in ``dropped_columns``), a boundary (singular) fit, or a fit
        that may not have converged -- as lme4's messages.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import helpstats as hs
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"id": np.repeat(np.arange(30), 4), "wave": np.tile(range(4), 30)})
    >>> d["y"] = rng.normal(size=30)[d["id"]] + 0.5 * d["wave"] + rng.normal(size=120)
    >>> fit = hs.fit_mixed(d, "y ~ wave + (1 | id)")
    >>> fit.nobs, fit.ngroups, fit.converged
    (120, {'id': 30}, True)
    >>> list(fit.fixed["term"])
    ['(Intercept)', 'wave']
    """
    if family is not None and family != "gaussian":
        return fit_glmm(data, formula, family=family, **glmm)
    if glmm:
        raise ModelError(f"{sorted(glmm)} apply to GLMMs only: pass family= as well.")
    return _fit(data, formula, reml=reml)


def _fit(data: pd.DataFrame, formula: str, *, reml: bool, theta: np.ndarray | None = None,
         stacklevel: int = 3) -> MixedFit:
    """Fit, or (with ``theta``) evaluate the model at given covariance parameters."""
    parsed = parse_formula(formula)
    frame, n_dropped = _check_frame(data, parsed)
    variables = list(parsed.fixed.variables)
    for rt in parsed.random:
        variables.extend(rt.rhs.variables)
    coding = Coding.from_frame(frame, variables)
    X, names, _ = design_matrix(frame, parsed.fixed, coding)
    keep = drop_collinear(X) if X.shape[1] else []
    dropped = tuple(n for i, n in enumerate(names) if i not in keep)
    if dropped:
        warnings.warn(
            f"fixed-effect model matrix is rank deficient so dropping {len(dropped)} "
            f"column{'s' if len(dropped) > 1 else ''} / coefficient"
            f"{'s' if len(dropped) > 1 else ''}: {list(dropped)}",
            UserWarning,
            stacklevel=stacklevel,
        )
    X = X[:, keep]
    names = [names[i] for i in keep]
    y = frame[parsed.response].to_numpy(dtype=float)
    terms = _random_terms(frame, parsed, coding)
    problem = LmmProblem(X, y, terms, reml)
    if theta is None:
        opt = optimize(problem)
    else:
        given = np.asarray(theta, dtype=float)
        opt = OptResult(given, problem.objective(given), 1, 1, "theta given")
    ev = problem.evaluate(opt.theta)
    deviance = problem.deviance(ev)
    sigma = problem.sigma(ev)
    beta, blups = problem.estimates(ev)
    singular = bool(np.any(opt.theta[problem.lower == 0] < _SINGULAR_TOL))
    conv = _convergence(problem, opt.theta, deviance)
    small = np.max(np.abs(conv["scaled_gradient"]), initial=0.0) < 2e-3
    # nlopt's 'roundoff limited' (-4) means no further progress: judged by the gradient
    converged = bool((opt.status > 0 or opt.status == -4) and (small or singular))
    if theta is None and singular:
        warnings.warn(
            f"boundary (singular) fit for {formula!r}: a random-effect variance is estimated "
            "as zero or a correlation as +/-1 (fit.singular is True; see fit.varcorr). "
            "Consider simplifying the random effects.",
            UserWarning,
            stacklevel=stacklevel,
        )
    if theta is None and not converged:
        warnings.warn(
            f"The fit of {formula!r} may not have converged: {opt.message}, max |scaled "
            f"gradient| {np.max(np.abs(conv['scaled_gradient'])):.2g} (tolerance 0.002). "
            "Check fit.optimizer; rescaling covariates often helps.",
            UserWarning,
            stacklevel=stacklevel,
        )
    npar = len(beta) + problem.ntheta + 1
    loglik = -deviance / 2
    lams = [problem.lam(opt.theta, k) for k in range(len(terms))]
    ngroups: dict[str, int] = {}
    for t in terms:
        ngroups.setdefault(t.group, t.nl)
    return MixedFit(
        formula=formula,
        reml=reml,
        loglik=float(loglik),
        aic=float(-2 * loglik + 2 * npar),
        bic=float(-2 * loglik + np.log(problem.n) * npar),
        sigma=sigma,
        nobs=problem.n,
        n_dropped=n_dropped,
        ngroups=ngroups,
        converged=converged,
        singular=singular,
        optimizer={"name": "bobyqa (nlopt)", "evaluations": opt.evaluations,
                   "status": opt.status, "message": opt.message, **conv},
        theta=opt.theta,
        varcorr=_varcorr(terms, lams, sigma),
        dropped_columns=dropped,
        coef=pd.Series(beta, index=names, name="estimate"),
        _parsed=parsed,
        _problem=problem,
        _coding=coding,
        _frame=frame,
        _keep=keep,
        _blups=blups,
    )

