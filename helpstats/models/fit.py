"""Fit linear mixed models (:func:`fit_mixed`) and hold the result (:class:`MixedFit`)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, overload

import numpy as np
import pandas as pd

from .._display import Summary, result_html, short_repr
from ..errors import ModelError
from ._arguments import check_data_formula
from ._design import drop_collinear, group_codes
from ._engine import LmmProblem, OptResult, ReTerm, convergence, optimize
from ._formula import Formula, parse_formula
from ._inference import InferenceMethods
from ._protocol import check_df_method
from ._random_effects import ranef_frames, varcorr_table
from ._satterthwaite import VarparInference
from .families import Family
from .glmm import GlmmFit, fit_glmm
from .spec import ModelSpec

__all__ = ["MixedFit", "fit_mixed"]

_SINGULAR_TOL = 1e-4
_WEIGHTS = "(weights)"


@dataclass(frozen=True, eq=False)
class MixedFit(InferenceMethods):
    """Result of :func:`fit_mixed` (immutable); implements :class:`ModelResult`.

    Attributes
    ----------
    formula : str
        The model formula as given.
    spec : ModelSpec
        The parsed formula fitted to the model frame: response, variables,
        terms, the term of each model-matrix column, factor levels and
        contrasts, learned transforms, random terms, weights and offsets.
    reml : bool
        True for a REML fit, False for maximum likelihood.
    df_method : str
        Default df method of this fit's inference: ``"satterthwaite"`` or
        ``"kenward-roger"`` (each method also takes ``df=``).
    loglik, aic, bic : float
        Log-likelihood (the REML criterion / -2 for REML fits, as lme4), AIC,
        BIC. With weights, lme4's: the weights' log-determinant is included.
    sigma : float
        Residual standard deviation (of an observation with weight 1).
    nobs : int
        Observations used.
    n_dropped : int
        Rows dropped because a used column (or the weight) was missing.
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
    coef : pandas.Series
        Fixed-effect estimates, indexed by model-matrix column.
    coef_columns : tuple of int
        Position of each ``coef`` entry in ``spec.columns``.
    problem : LmmProblem
        The engine's input: ``X``, ``y`` (response minus offset) and random-effect
        ``Z`` with rows multiplied by the square root of the weights.
    blups : list of numpy.ndarray
        Conditional modes of the random effects per term, (levels x columns),
        in the order of ``problem.terms`` (see :meth:`ranef` for labelled frames).
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
    >>> fit.spec.response, fit.spec.variables
    ('y', ('y', 'arm', 'wave', 'id'))
    """

    formula: str
    spec: ModelSpec
    reml: bool
    df_method: str
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
    coef_columns: tuple[int, ...]
    problem: LmmProblem = field(repr=False)
    blups: list[np.ndarray] = field(repr=False)
    _frame: pd.DataFrame = field(repr=False)
    _sqrt_w: np.ndarray = field(repr=False)
    _offset: np.ndarray = field(repr=False)

    @property
    def data(self) -> pd.DataFrame:
        """The rows and columns the model was fitted to, as a new DataFrame.

        The columns the formula uses (and ``"(weights)"`` when the weights were
        given as an array), with their original names, dtypes and index,
        restricted to the rows kept after dropping missing values
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

    @property
    def weights(self) -> np.ndarray | None:
        """The precision weights used (None for an unweighted fit)."""
        return None if self.spec.weights is None else self._sqrt_w ** 2

    # ------------------------------------------------------------ inference (protocol)
    @cached_property
    def _inference(self) -> VarparInference:
        return VarparInference(self.problem, self.theta, self.sigma, self.reml)

    def _method(self, df: str | None) -> str:
        return self.df_method if df is None else check_df_method(df)

    def _kr(self, name: str) -> Any:
        value = getattr(self._inference, name, None)
        if value is None:
            raise ModelError(
                "Kenward-Roger df need the Kenward-Roger adjusted covariance "
                f"(VarparInference.{name}), which this build of helpstats lacks; use "
                "df='satterthwaite'."
            )
        return value

    def coef_vcov(self, *, df: str | None = None) -> np.ndarray:
        """Covariance of ``coef``: ``sigma^2 (X'V~X)^-1``, or Kenward-Roger's adjusted one."""
        if self._method(df) == "kenward-roger":
            return np.asarray(self._kr("vcov_kr"))
        return np.asarray(self._inference.vcov_beta)

    def contrast_df(self, c: np.ndarray, *, df: str | None = None) -> float:
        """Denominator df of ``c'beta`` (``c`` over ``coef``) by the df method."""
        if self._method(df) == "kenward-roger":
            return float(self._kr("df_kr")(np.asarray(c, dtype=float)))
        return float(self._inference.df(np.asarray(c, dtype=float)))

    def contrast_test(self, L: np.ndarray, *, df: str | None = None
                      ) -> tuple[int, float, float]:
        """F test of ``L beta = 0`` (rows of ``L`` over ``coef``): num df, den df, F."""
        beta = self.coef.to_numpy()
        if self._method(df) == "kenward-roger":
            q, ddf, F = self._kr("contest_kr")(np.atleast_2d(L), beta)
        else:
            q, ddf, F = self._inference.contest(np.atleast_2d(L), beta)
        return int(q), float(ddf), float(F)

    @cached_property
    def fixed_nullspace(self) -> np.ndarray:
        """Basis (columns) of the null space of the full fixed-effects design (estimability)."""
        n_full = len(self.spec.columns)
        if not self.dropped_columns:
            return np.zeros((n_full, 0))
        X = self.spec.fixed_matrix(self._frame)
        scale = np.linalg.norm(X, axis=0)
        scale[scale == 0] = 1.0
        _, sv, vt = np.linalg.svd(X / scale, full_matrices=False)
        null = vt[sv <= 1e-7 * sv[0]].T / scale[:, None]
        return np.linalg.qr(null)[0] if null.shape[1] else null

    def ranef(self) -> dict[str, pd.DataFrame]:
        """Conditional modes (BLUPs) of the random effects, one frame per grouping factor.

        As lme4's ``ranef()``: keys are the group names (``b:a`` for the inner
        level of ``a/b``); terms on the same factor, as from ``(x || g)``, share
        one frame with a column per random effect.
        """
        return ranef_frames(self.problem.terms, self.blups)

    def fitted(self) -> pd.Series:
        """Fitted values ``X beta + Z b`` (+ offset) on the index of the rows used."""
        prob = self.problem
        mu = prob.X @ self.coef.to_numpy()
        for term, b in zip(prob.terms, self.blups, strict=True):
            mu = mu + np.einsum("nq,nq->n", term.Z, b[term.codes])
        return pd.Series(mu / self._sqrt_w + self._offset, index=self._frame.index,
                         name="fitted")

    def residuals(self) -> pd.Series:
        """Response minus fitted values, on the index of the rows used."""
        y = self.problem.y / self._sqrt_w + self._offset
        res = y - self.fitted().to_numpy()
        return pd.Series(res, index=self._frame.index, name="residual")

    def refit(self, *, reml: bool) -> MixedFit:
        """The same model (data, weights) refitted by REML or maximum likelihood."""
        weights = self.spec.weights
        return _fit(self._frame, self.formula, reml=reml, weights=weights,
                    df=self.df_method)

    def summary(self) -> Summary:
        """A text summary in the layout of lme4's ``summary()``.

        Returns
        -------
        helpstats._display.Summary
            A ``str`` (print it) with the tables ``fixed`` and ``varcorr`` as
            attributes and an HTML form for notebooks.
        """
        from ._summary import summary_text

        return Summary(summary_text(self), heading=_title(self),
                       tables={"fixed": self.fixed, "varcorr": self.varcorr})

    def __str__(self) -> str:
        return str(self.summary())

    def __repr__(self) -> str:
        from ._summary import describe_lines

        return short_repr(_title(self), describe_lines(self))

    def _repr_html_(self) -> str:
        from ._summary import describe_lines

        return result_html(_title(self), describe_lines(self),
                           {"Fixed effects": self.fixed, "Variance components": self.varcorr})


def _title(fit: MixedFit) -> str:
    df_name = "Kenward-Roger" if fit.df_method == "kenward-roger" else "Satterthwaite"
    return f"MixedFit: linear mixed model ({'REML' if fit.reml else 'ML'}, {df_name} df)"


def _order_terms(terms: list[ReTerm]) -> list[ReTerm]:
    """lme4's order: by decreasing number of levels when not already so."""
    nl = np.array([t.nl for t in terms])
    if np.any(np.diff(nl) > 0):
        order = np.argsort(nl, kind="stable")[::-1]
        return [terms[i] for i in order]
    return terms


def _convergence(problem: LmmProblem, theta: np.ndarray, f0: float) -> dict[str, Any]:
    """Gradient and scaled gradient of the deviance (lme4's checks; exact derivatives)."""
    return convergence(problem, theta)


def _weights_column(data: pd.DataFrame, weights: Any) -> tuple[str | None, pd.Series | None]:
    if weights is None:
        return None, None
    if isinstance(weights, str):
        if weights not in data.columns:
            raise ModelError(f"weights={weights!r} is not a column of the data; available: "
                             f"{list(map(str, data.columns))}.")
        return weights, None
    values = np.asarray(weights, dtype=float).ravel()
    if len(values) != len(data):
        raise ModelError(f"weights has {len(values)} values for {len(data)} rows; give one "
                         "weight per row of data (or a column name).")
    return _WEIGHTS, pd.Series(values, index=data.index, name=_WEIGHTS)


def _check_frame(data: pd.DataFrame, parsed: Formula, weights: Any
                 ) -> tuple[pd.DataFrame, int, str | None]:
    if not isinstance(data, pd.DataFrame):
        raise ModelError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    used = list(parsed.columns)
    dup = sorted({str(c) for c in data.columns[data.columns.duplicated()] if c in used})
    if dup:
        raise ModelError(
            f"The data have more than one column named {dup}, which the formula "
            f"{parsed.text!r} uses; expected unique column names. Rename or drop the "
            "duplicates (e.g. data.loc[:, ~data.columns.duplicated()])."
        )
    missing = [c for c in used if c not in data.columns]
    if missing:
        raise ModelError(
            f"The formula {parsed.text!r} uses column(s) {missing} that are not in the data. "
            f"Available columns: {list(map(str, data.columns))}. Fix the formula or rename them."
        )
    wname, wvalues = _weights_column(data, weights)
    frame = data.loc[:, used]
    if wname is not None and wname not in used:
        frame = frame.assign(**{wname: data[wname] if wvalues is None else wvalues})
    complete = frame.notna().all(axis=1).to_numpy()
    n_dropped = int((~complete).sum())
    frame = frame.iloc[np.flatnonzero(complete)]
    if len(frame) == 0:
        raise ModelError(
            f"No complete rows: every row misses at least one of {used}. Check the data."
        )
    infinite = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
                and not pd.api.types.is_bool_dtype(frame[c])
                and np.isinf(frame[c].to_numpy(dtype=float)).any()]
    if infinite:
        raise ModelError(
            f"Column(s) {infinite} contain infinite values; expected finite numbers. "
            "Replace them (e.g. with NaN, which drops the row) before fitting."
        )
    if wname is not None:
        w = frame[wname]
        numeric = pd.api.types.is_numeric_dtype(w) and not pd.api.types.is_bool_dtype(w)
        if not numeric or not bool((w.to_numpy(dtype=float) > 0).all()):
            found = "zero or negative values" if numeric else f"dtype {w.dtype}"
            raise ModelError(
                f"The weights ({wname!r}) must be positive numbers (lme4's precision weights: "
                f"the residual variance of a row is sigma^2 / weight); found {found}. "
                "Drop those rows or fix the weights."
            )
    return frame, n_dropped, wname


def _random_terms(frame: pd.DataFrame, spec: ModelSpec, sqrt_w: np.ndarray | None
                  ) -> list[ReTerm]:
    """The random-effects terms, their columns scaled by ``sqrt_w`` (None: unweighted)."""
    terms = []
    n = len(frame)
    for rt, Z, names in spec.random_matrices(frame):
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
        Zw = Z if sqrt_w is None else Z * sqrt_w[:, None]
        terms.append(ReTerm(rt.group, tuple(names), codes, tuple(levels), Zw))
    return _order_terms(terms)


def _check_response(y: np.ndarray, spec: ModelSpec) -> None:
    spread = float(np.ptp(y)) if len(y) else 0.0
    if spread <= 1e-12 * max(float(np.max(np.abs(y))), 1e-300):
        raise ModelError(
            f"The outcome {spec.response!r} does not vary: all {len(y)} rows used have the "
            f"value {float(y[0]):g}, so there is nothing to model. Check the outcome column "
            "(a constant score, or the wrong column)."
        )


@overload
def fit_mixed(data: pd.DataFrame, formula: str, *, reml: bool = True,
              weights: str | Sequence[float] | np.ndarray | pd.Series | None = None,
              df: str = "satterthwaite", family: None = None) -> MixedFit: ...
@overload
def fit_mixed(data: pd.DataFrame, formula: str, *, reml: bool = True,
              weights: str | Sequence[float] | np.ndarray | pd.Series | None = None,
              df: str = "satterthwaite", family: str | Family, **glmm: Any) -> GlmmFit: ...
def fit_mixed(data: pd.DataFrame, formula: str, *, reml: bool = True,
              weights: str | Sequence[float] | np.ndarray | pd.Series | None = None,
              df: str = "satterthwaite", family: str | Family | None = None,
              **glmm: Any) -> MixedFit | GlmmFit:
    """Fit a linear mixed model with lme4's algorithm.

    Parameters
    ----------
    data : pandas.DataFrame
        Long-format analysis frame (not modified). Rows missing any column the
        formula uses (or the weight) are dropped and counted in ``n_dropped``.
    formula : str
        lme4 syntax, e.g. ``"phq9_total ~ arm * wave + (1 | participant)"``,
        with R's formula language in the response, the fixed part and random
        slopes: ``+ - * / : ^ %in%``, ``0 +``/``- 1``, back-quoted names;
        ``I()`` with ``^ ** * / + -``; ``log log1p exp sqrt abs``; stateful
        ``scale(x)``, ``center(x)``, ``poly(x, k)`` (orthonormal, as R) and
        ``poly(x, k, raw = TRUE)``, ``ns(x, df)``, ``bs(x, df)`` (R's splines);
        ``factor(x)``, ``C(x, sum)``, ``C(x, poly)``, ``C(arm, Treatment("usual"))``,
        ``relevel(arm, "usual")``; ``offset(expr)``. Factors use treatment
        contrasts with the first level as reference (categorical dtype order,
        otherwise sorted values). Ordered categoricals are coded the same way,
        not with R's polynomial contrasts (use ``C(x, poly)`` for those).
        Stateful transforms learn on the complete rows used.
    reml : bool, default True
        REML (as lme4's default) or maximum likelihood.
    weights : str or array-like, optional
        lme4's precision weights (a column name or one value per row): the
        residual variance of row i is ``sigma^2 / w_i``.
    df : {"satterthwaite", "kenward-roger"}, default "satterthwaite"
        Default df method of ``fixed``, ``emmeans``, ``contrasts``, ``anova``
        and ``confint`` (each also takes ``df=``).
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
        Unknown or duplicated columns, an unsupported formula construct (the
        message quotes the formula and says how to write it instead), a
        non-numeric or constant outcome, infinite values, non-positive
        weights, no random term, a grouping factor with a single level (or one
        level per row).

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
    >>> list(hs.fit_mixed(d, "y ~ poly(wave, 2) + (1 | id)").coef.index)
    ['(Intercept)', 'poly(wave, 2)1', 'poly(wave, 2)2']
    """
    check_data_formula("fit_mixed", data, formula)
    if family is not None and family != "gaussian":
        return fit_glmm(data, formula, family=family, weights=weights, **glmm)
    if glmm:
        raise ModelError(f"{sorted(glmm)} apply to GLMMs only: pass family= as well.")
    return _fit(data, formula, reml=reml, weights=weights, df=df)


def _fit(data: pd.DataFrame, formula: str, *, reml: bool, theta: np.ndarray | None = None,
         weights: Any = None, df: str = "satterthwaite", stacklevel: int = 3) -> MixedFit:
    """Fit, or (with ``theta``) evaluate the model at given covariance parameters."""
    df_method = check_df_method(df)
    parsed = parse_formula(formula)
    frame, n_dropped, wname = _check_frame(data, parsed, weights)
    spec = ModelSpec.from_formula(parsed, frame, weights=wname)
    X = spec.fixed_matrix(frame)
    names = list(spec.columns)
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
    y = spec.response_values(frame)
    _check_response(y, spec)
    offset = spec.offset_values(frame)
    sqrt_w = (np.sqrt(frame[wname].to_numpy(dtype=float)) if wname is not None
              else np.ones(len(frame)))
    # unweighted: no copies of X and Z multiplied by ones (memory; the values are the same)
    weighted = wname is not None
    terms = _random_terms(frame, spec, sqrt_w if weighted else None)
    problem = LmmProblem(X * sqrt_w[:, None] if weighted else X,
                         (y - offset) * sqrt_w if weighted else y - offset, terms, reml)
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
    # lme4: the deviance of the weighted model subtracts sum(log w) (ML and REML alike)
    loglik = -deviance / 2 + float(np.sum(np.log(sqrt_w)))
    lams = [problem.lam(opt.theta, k) for k in range(len(terms))]
    ngroups: dict[str, int] = {}
    for t in terms:
        ngroups.setdefault(t.group, t.nl)
    return MixedFit(
        formula=formula,
        spec=spec,
        reml=reml,
        df_method=df_method,
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
        varcorr=varcorr_table(terms, lams, sigma),
        dropped_columns=dropped,
        coef=pd.Series(beta, index=names, name="estimate"),
        coef_columns=tuple(keep),
        problem=problem,
        blups=blups,
        _frame=frame,
        _sqrt_w=sqrt_w,
        _offset=offset,
    )
