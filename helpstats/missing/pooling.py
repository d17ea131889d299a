"""Pool model fits over multiple imputations with Rubin's rules.

``pool`` takes one fit per completed data set (any result with ``coef`` and
``vcov()``: :class:`~helpstats.MixedFit` and the other model families), or
``(estimates, vcov)`` pairs, and returns a :class:`PooledFit` whose tables have
the columns of the single-fit tables plus ``riv, lambda, fmi``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._display import Summary, result_html, short_repr
from .._keywords import keyword_only
from .._level import check_level
from ..errors import ModelError
from ._rubin import pool_likelihood_ratio, pool_scalars, pool_wald

__all__ = ["PooledFit", "pool"]

_DFCOM_RULES = ("satterthwaite", "residual")


def _as_pair(item: Any, position: int) -> tuple[pd.Series, pd.DataFrame]:
    """Estimates and covariance of one imputation's fit, labelled by term."""
    if isinstance(item, tuple) and len(item) == 2:
        est, cov = item
        if isinstance(est, pd.Series):
            names = [str(n) for n in est.index]
        elif isinstance(cov, pd.DataFrame):
            names = [str(n) for n in cov.index]
        else:
            names = [f"b{i}" for i in range(len(np.atleast_1d(est)))]
        est_arr = np.asarray(est, dtype=float).ravel()
        cov_arr = np.asarray(cov, dtype=float)
    elif hasattr(item, "coef") and hasattr(item, "vcov"):
        coef = item.coef
        if callable(coef):
            coef = coef()
        est_arr = np.asarray(coef, dtype=float).ravel()
        names = [str(n) for n in coef.index] if isinstance(coef, pd.Series) else \
            [f"b{i}" for i in range(len(est_arr))]
        cov_arr = np.asarray(item.vcov(), dtype=float)
    else:
        raise ModelError(
            f"pool: item {position + 1} is a {type(item).__name__}; expected a fitted model "
            "with `coef` and `vcov()` (e.g. from hs.fit_mixed) or an (estimates, vcov) pair."
        )
    k = len(est_arr)
    if cov_arr.shape != (k, k):
        raise ModelError(f"pool: item {position + 1} has {k} estimates but a covariance of "
                         f"shape {cov_arr.shape}; expected ({k}, {k}).")
    return pd.Series(est_arr, index=names), pd.DataFrame(cov_arr, index=names, columns=names)


def _default_dfcom(fits: Sequence[Any], names: list[str], rule: str) -> np.ndarray:
    """Complete-data df per term: averaged Satterthwaite (or other fit) df, or nobs - p."""
    if rule == "residual":
        nobs = [getattr(f, "nobs", None) for f in fits]
        if any(n is None for n in nobs):
            return np.full(len(names), np.inf)
        return np.full(len(names), float(np.mean([float(n) for n in nobs if n is not None])) - len(names))
    tables: list[pd.DataFrame] = []
    for f in fits:
        table = getattr(f, "fixed", None)
        if not isinstance(table, pd.DataFrame) or "df" not in table:
            return np.full(len(names), np.inf)
        tables.append(table)
    dfs = np.column_stack([t.set_index("term").loc[names, "df"].to_numpy(dtype=float)
                           for t in tables])
    return dfs.mean(axis=1)


def pool(fits: Sequence[Any], *, dfcom: float | Sequence[float] | str | None = None,
         level: float = 0.95) -> PooledFit:
    """Combine one fit per imputed data set with Rubin's rules.

    Parameters
    ----------
    fits : sequence
        Fitted models with ``coef`` and ``vcov()`` (every helpstats fit), or
        ``(estimates, vcov)`` pairs; at least two, all with the same terms.
    dfcom : float, sequence of float, "satterthwaite" or "residual", optional
        Complete-data degrees of freedom for the Barnard–Rubin df. Default for
        fits with a ``df`` column in ``fixed`` (mixed models): each term's df
        averaged over the fits ("satterthwaite"); "residual" uses
        ``nobs - number of coefficients`` (``mice::pool``'s default for
        regressions); pairs without df get ``inf`` (Rubin's 1987 df).
    level : float, default 0.95
        Confidence level of the ``lower``/``upper`` columns of ``fixed``.

    Returns
    -------
    PooledFit

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import helpstats as hs
    >>> pairs = [(pd.Series({"a": 1.0 + d, "b": 2.0 - d}), np.diag([0.04, 0.09]))
    ...          for d in (0.0, 0.1, -0.05)]
    >>> pooled = hs.pool(pairs, dfcom=50)
    >>> pooled.fixed[["term", "estimate"]].round(4).to_dict("list")
    {'term': ['a', 'b'], 'estimate': [1.0167, 1.9833]}
    """
    fits = list(fits)
    if len(fits) < 2:
        raise ModelError(f"pool needs the fits of at least 2 imputations; got {len(fits)}.")
    pairs = [_as_pair(f, i) for i, f in enumerate(fits)]
    names = list(pairs[0][0].index)
    for i, (est, _) in enumerate(pairs[1:], start=2):
        if list(est.index) != names:
            raise ModelError(
                f"pool: fit {i} has terms {list(est.index)} but fit 1 has {names}; every "
                "imputation must be fitted with the same model (a factor level missing from "
                "one completed data set changes the terms)."
            )
    if isinstance(dfcom, str):
        if dfcom not in _DFCOM_RULES:
            raise ModelError(f"dfcom={dfcom!r}; expected a number, a list, or one of {_DFCOM_RULES}.")
        dfc = _default_dfcom(fits, names, dfcom)
        rule = dfcom
    elif dfcom is None:
        dfc = _default_dfcom(fits, names, "satterthwaite")
        rule = "satterthwaite" if np.all(np.isfinite(dfc)) else "infinite"
    else:
        dfc = np.broadcast_to(np.asarray(dfcom, dtype=float), (len(names),)).copy()
        rule = "given"
    q = np.vstack([est.to_numpy() for est, _ in pairs])
    u = np.stack([cov.to_numpy() for _, cov in pairs])
    return PooledFit(m=len(fits), terms=tuple(names), estimates=q, covariances=u, dfcom=dfc,
                     dfcom_rule=rule, level=level, fits=tuple(fits))


@dataclass(frozen=True, repr=False)
class PooledFit:
    """Fits of m imputed data sets combined with Rubin's rules.

    Attributes
    ----------
    m : int
        Number of imputations.
    terms : tuple of str
        Coefficient names.
    estimates : ndarray (m, k)
        Each imputation's coefficients.
    covariances : ndarray (m, k, k)
        Each imputation's coefficient covariance.
    dfcom : ndarray (k,)
        Complete-data df used for each coefficient; ``dfcom_rule`` says how
        they were chosen.
    fits : tuple
        The per-imputation fits (empty for ``(estimates, vcov)`` pairs' sake
        only when given as pairs; those hold no model).
    """

    m: int
    terms: tuple[str, ...]
    estimates: np.ndarray
    covariances: np.ndarray
    dfcom: np.ndarray
    dfcom_rule: str
    level: float = 0.95
    fits: tuple[Any, ...] = field(default=())

    def _title(self) -> str:
        return (f"PooledFit: {len(self.terms)} coefficients pooled over m={self.m} imputations "
                "(Rubin's rules, Barnard-Rubin df)")

    def _lines(self) -> list[str]:
        model = getattr(self.fits[0], "formula", None) if self.fits else None
        lines = [f"formula: {model}"] if model else []
        dfcom = {"satterthwaite": "the fits' own df, averaged", "residual": "nobs - p",
                 "given": "given", "infinite": "infinite (Rubin 1987)"}.get(
                     self.dfcom_rule, self.dfcom_rule)
        fmi = float(np.max(self.fixed["fmi"])) if len(self.terms) else float("nan")
        lines += [f"complete-data df: {dfcom}; largest fraction of missing information "
                  f"{fmi:.3f}",
                  "pooled estimates in fit.fixed; print(fit.summary()) for the table"]
        return lines

    def __repr__(self) -> str:
        return short_repr(self._title(), self._lines())

    def _repr_html_(self) -> str:
        return result_html(self._title(), self._lines(), {"Pooled estimates": self.fixed})

    def summary(self) -> Summary:
        """The pooled estimates as text: a ``str`` with the table ``fixed`` as an attribute.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> import helpstats as hs
        >>> pairs = [(pd.Series({"a": 1.0 + d}), np.diag([0.04])) for d in (0.0, 0.1, -0.05)]
        >>> s = hs.pool(pairs, dfcom=50).summary()
        >>> s.splitlines()[0]
        "Pooled over m = 3 imputations with Rubin's rules (Barnard-Rubin df)"
        >>> s.fixed["estimate"].round(4).tolist()
        [1.0167]
        """
        fixed = self.fixed
        text = "\n".join([
            f"Pooled over m = {self.m} imputations with Rubin's rules (Barnard-Rubin df)",
            *self._lines()[:-1], "",
            fixed.to_string(index=False, float_format=lambda x: f"{x:.5g}")])
        return Summary(text, heading=self._title(), tables={"fixed": fixed})

    # ------------------------------------------------------------ coefficients
    @property
    def coef(self) -> pd.Series:
        """Pooled coefficients (the mean over imputations)."""
        return pd.Series(self.estimates.mean(axis=0), index=list(self.terms), name="estimate")

    def vcov(self) -> pd.DataFrame:
        """Total covariance ``Ubar + (1 + 1/m) B`` of the pooled coefficients."""
        ubar = self.covariances.mean(axis=0)
        b = np.atleast_2d(np.cov(self.estimates, rowvar=False, ddof=1))
        names = list(self.terms)
        return pd.DataFrame(ubar + (1 + 1 / self.m) * b, index=names, columns=names)

    @property
    def fixed(self) -> pd.DataFrame:
        """``term, estimate, se, df, t, p, lower, upper, riv, lambda, fmi`` (as ``mice::pool``)."""
        variances = np.diagonal(self.covariances, axis1=1, axis2=2)
        r = pool_scalars(self.estimates, variances, self.dfcom)
        return _table(pd.DataFrame({"term": list(self.terms)}), r, self.level, "estimate")

    @keyword_only("level")
    def confint(self, *, level: float | None = None) -> pd.DataFrame:
        """Confidence intervals of the pooled coefficients (t with Barnard–Rubin df)."""
        lev = self.level if level is None else check_level(level)
        variances = np.diagonal(self.covariances, axis1=1, axis2=2)
        r = pool_scalars(self.estimates, variances, self.dfcom)
        half = stats.t.ppf(0.5 + lev / 2, r.df) * r.se
        return pd.DataFrame({"term": list(self.terms), "estimate": r.estimate,
                             "lower": r.estimate - half, "upper": r.estimate + half})

    def test(self, L: np.ndarray | Mapping[str, float], *,
             dfcom: float | None = None) -> dict[str, float | str]:
        """D1 (pooled Wald) test of ``L beta = 0``.

        Parameters
        ----------
        L : array (q, k) or dict term -> weight
            Hypothesis matrix over the coefficients (a dict gives one row).
        dfcom : float, optional
            Complete-data denominator df (Reiter's df); default: the mean of
            ``self.dfcom`` over the coefficients involved, ``inf`` if unknown.

        Returns
        -------
        dict
            ``F, num_df, den_df, p, riv, df_method``.
        """
        if isinstance(L, Mapping):
            row = np.zeros(len(self.terms))
            for name, weight in L.items():
                if name not in self.terms:
                    raise ModelError(f"{name!r} is not a coefficient; expected one of {list(self.terms)}.")
                row[self.terms.index(name)] = weight
            Lm = row[None, :]
        else:
            Lm = np.atleast_2d(np.asarray(L, dtype=float))
        if Lm.shape[1] != len(self.terms):
            raise ModelError(f"L has {Lm.shape[1]} columns; expected {len(self.terms)}, one per "
                             "coefficient.")
        if dfcom is None:
            used = np.any(Lm != 0, axis=0)
            d = float(np.mean(self.dfcom[used])) if used.any() else np.inf
        else:
            d = float(dfcom)
        est = self.estimates @ Lm.T
        cov = np.einsum("qk,mkl,rl->mqr", Lm, self.covariances, Lm)
        w = pool_wald(est, cov, None if not np.isfinite(d) else d)
        p = float(stats.f.sf(w.f, w.num_df, w.den_df))
        return {"F": w.f, "num_df": w.num_df, "den_df": w.den_df, "p": p, "riv": w.riv,
                "df_method": w.df_method}

    # ------------------------------------------------------ pooled tables of the fits
    def emmeans(self, specs: str | Sequence[str], *, by: str | Sequence[str] | None = None,
                at: Mapping[str, Any] | None = None, level: float | None = None,
                type: str = "link", **kwargs: Any) -> pd.DataFrame:
        """Marginal means of each imputation's fit, pooled with Rubin's rules.

        Takes the arguments of the fits' own ``emmeans``. Each mean is pooled on
        the fitted scale (the link scale of a GLMM), with Barnard–Rubin df
        from the fits' df for that mean. ``type="response"`` (GLMMs) then
        transforms the pooled mean and its limits with the inverse link, and the
        standard error by the delta method, as emmeans does after pooling.
        A numeric covariate that was imputed is held at its mean averaged over
        the imputations (as emmeans' pooling of mice results) where the fits
        expose their model spec.

        Returns
        -------
        pandas.DataFrame
            The factor columns, ``emmean, se, df, t, p, lower, upper, riv, lambda, fmi``.
        """
        link = self._link(type)
        grid_at = {**_covariate_means(self.fits, exclude=_names(specs) + _names(by)), **dict(at or {})}
        extra = {"type": "link"} if link is not None else {}
        table = self.pool_table(lambda f: f.emmeans(specs, by=by, at=grid_at or None, **extra,
                                                    **kwargs),
                                estimate="emmean", keys=None, level=level)
        if link is not None and type == "response":
            eta = table["emmean"].to_numpy(dtype=float)
            table["se"] = link.mu_eta(eta) * table["se"].to_numpy(dtype=float)
            for column in ("emmean", "lower", "upper"):
                table[column] = link.inverse(table[column].to_numpy(dtype=float))
        return table

    def contrasts(self, specs: str | Sequence[str], *, by: str | Sequence[str] | None = None,
                  at: Mapping[str, Any] | None = None, method: str = "pairwise", adjust: str = "none",
                  level: float | None = None, type: str = "link", **kwargs: Any) -> pd.DataFrame:
        """Contrasts of marginal means pooled with Rubin's rules, then adjusted.

        Each imputation's unadjusted contrasts are pooled; ``adjust`` ("none",
        "holm", "bonferroni", "sidak") is then applied to the pooled p values
        within each ``by`` group. Tukey's adjustment has no pooled form and is
        refused. GLMM contrasts are pooled on the link scale; ``type="response"``
        then gives odds ratios (logit) or rate ratios (log): the pooled estimate
        and limits exponentiated, the SE by the delta method, labels ``"a / b"``.
        """
        allowed = ("none", "holm", "bonferroni", "sidak")
        if adjust not in allowed:
            raise ModelError(f"adjust={adjust!r} for pooled contrasts; expected one of {allowed} "
                             "(Tukey's studentised range has no Rubin's-rules form).")
        link = self._link(type)
        extra = {"type": "link"} if link is not None else {}
        grid_at = {**_covariate_means(self.fits, exclude=_names(specs) + _names(by)), **dict(at or {})}
        table = self.pool_table(
            lambda f: f.contrasts(specs, by=by, at=grid_at or None, method=method, adjust="none",
                                  **extra, **kwargs),
            estimate="estimate", keys=None, level=level)
        if link is not None and type == "response":
            if link.name not in ("log", "logit"):
                raise ModelError(f"type='response' contrasts are ratios, defined for the log and "
                                 f"logit links; the fits use the {link.name} link: use "
                                 "type='link' (differences on the link scale).")
            table["estimate"] = np.exp(table["estimate"].to_numpy(dtype=float))
            table["se"] = table["estimate"] * table["se"]
            table["lower"], table["upper"] = np.exp(table["lower"]), np.exp(table["upper"])
            labels = self.fits[0].contrasts(specs, by=by, at=grid_at or None, method=method,
                                            adjust="none", type="response", **kwargs)["contrast"]
            table["contrast"] = labels.to_numpy()
        if adjust != "none":
            from statsmodels.stats.multitest import multipletests

            groups = _names(by) if by is not None else []
            parts = table.groupby(groups, sort=False).groups.values() if groups else [table.index]
            for rows in parts:
                table.loc[rows, "p"] = multipletests(table.loc[rows, "p"].to_numpy(), method=adjust)[1]
        return table

    def _link(self, type: str) -> Any:
        """The fits' link function (GLMMs), or None; checks ``type``."""
        if type not in ("link", "response"):
            raise ModelError(f"type={type!r}; expected 'link' (the fitted scale) or 'response'.")
        family = getattr(self.fits[0], "family", None) if self.fits else None
        link = getattr(family, "link", None)
        if link is None and type == "response":
            raise ModelError("type='response' back-transforms a GLMM's link scale; these fits "
                             "are on the response scale already (use the default).")
        return link

    def anova(self) -> pd.DataFrame:
        """Type III tests of each fixed-effect term, pooled by the D1 (Wald) statistic.

        Uses the first fit's Type III hypothesis matrices (the same in every
        imputation) and, as complete-data denominator df, the mean over the
        coefficients the term involves of ``dfcom``.

        Returns
        -------
        pandas.DataFrame
            ``term, num_df, den_df, F, p, riv, df_method``.
        """
        if not self.fits or not hasattr(self.fits[0], "coef"):
            raise ModelError("anova needs the fitted models, not (estimates, vcov) pairs.")
        from ..models._anova import type3_hypotheses

        rows = []
        for term, L in type3_hypotheses(self.fits[0]).items():
            result = self.test(L)
            rows.append({"term": term, **result})
        return pd.DataFrame(rows, columns=["term", "num_df", "den_df", "F", "p", "riv", "df_method"])

    def compare(self, null: PooledFit) -> dict[str, float | str]:
        """D3: the pooled likelihood-ratio test of this model against a nested ``null``.

        Meng & Rubin's (1992) method, as ``mitml::testModels(method = "D3")``:
        each imputation's LR statistic at its own maximum-likelihood estimates,
        and at the estimates averaged over the imputations (fixed effects, each
        random-effect covariance matrix and the residual variance). Gaussian
        mixed models (:func:`helpstats.fit_mixed`) only; fits made by REML are
        refitted by maximum likelihood first, as likelihood-ratio tests of
        fixed effects require.

        Parameters
        ----------
        null : PooledFit
            The nested model pooled over the same imputations (fewer parameters).

        Returns
        -------
        dict
            ``F, num_df, den_df, p, riv, df_method, refitted_ml``.
        """
        from ._likelihood import lmm_loglik, lmm_parameters, mean_parameters

        fits = [_ml_fit(f, "the model") for f in self.fits]
        nulls = [_ml_fit(f, "null") for f in null.fits]
        if len(fits) != len(nulls):
            raise ModelError(f"compare: the model has {len(fits)} imputations and the null "
                             f"{len(nulls)}; pool both over the same imputed data sets.")
        for i, (full, reduced) in enumerate(zip(fits, nulls, strict=True), start=1):
            if full.nobs != reduced.nobs:
                raise ModelError(f"compare: imputation {i}: the model uses {full.nobs} rows and the "
                                 f"null {reduced.nobs}; nested models must use the same rows.")
        k = _n_parameters(fits[0]) - _n_parameters(nulls[0])
        if k < 1:
            raise ModelError(f"compare: the null model has {_n_parameters(nulls[0])} parameters, "
                             f"the model {_n_parameters(fits[0])}; the null must be nested in the "
                             "model (fewer parameters). Swap them?")
        own = np.array([2 * (f.loglik - g.loglik) for f, g in zip(fits, nulls, strict=True)])
        pooled_full = mean_parameters([lmm_parameters(f) for f in fits])
        pooled_null = mean_parameters([lmm_parameters(g) for g in nulls])
        at_pooled = np.array([2 * (lmm_loglik(f, pooled_full) - lmm_loglik(g, pooled_null))
                              for f, g in zip(fits, nulls, strict=True)])
        w = pool_likelihood_ratio(float(own.mean()), float(at_pooled.mean()), k, len(fits))
        refitted = any(getattr(f, "reml", False) for f in (*self.fits, *null.fits))
        return {"F": w.f, "num_df": w.num_df, "den_df": w.den_df,
                "p": float(stats.f.sf(w.f, w.num_df, w.den_df)), "riv": w.riv,
                "df_method": f"D3 (Meng & Rubin 1992); {w.df_method}", "refitted_ml": refitted}

    def pool_table(self, compute: Callable[[Any], pd.DataFrame], *, estimate: str,
                   keys: Sequence[str] | None = None, level: float | None = None) -> pd.DataFrame:
        """Pool any per-fit table of estimates with Rubin's rules, row by row.

        Each fit's table (``compute(fit)``) must have the same rows (matched
        on ``keys``; default: the columns before ``estimate``) and columns
        ``estimate`` (name given), ``se`` and ``df`` (the complete-data df of
        that row).

        Returns
        -------
        pandas.DataFrame
            ``keys``, ``estimate``, ``se``, ``df``, ``t``, ``p``, ``lower``,
            ``upper``, ``riv``, ``lambda``, ``fmi``.
        """
        if not self.fits or not hasattr(self.fits[0], "coef"):
            raise ModelError("this PooledFit was made from (estimates, vcov) pairs, which hold no "
                             "model to compute marginal means from; pool the fitted models instead.")
        tables = [compute(f) for f in self.fits]
        first = tables[0]
        if keys is None:
            keys = list(first.columns[:list(first.columns).index(estimate)])
        key_rows = first[list(keys)].astype(str).agg("|".join, axis=1).tolist() if keys else \
            [str(i) for i in range(len(first))]
        for i, t in enumerate(tables[1:], start=2):
            rows = t[list(keys)].astype(str).agg("|".join, axis=1).tolist() if keys else \
                [str(j) for j in range(len(t))]
            if rows != key_rows:
                raise ModelError(f"the table of imputation {i} has other rows than imputation 1; "
                                 "pooling needs the same rows in every imputation.")
        q = np.vstack([t[estimate].to_numpy(dtype=float) for t in tables])
        u = np.vstack([t["se"].to_numpy(dtype=float) ** 2 for t in tables])
        dfc = np.vstack([t["df"].to_numpy(dtype=float) for t in tables]).mean(axis=0) \
            if "df" in first else np.full(q.shape[1], np.inf)
        r = pool_scalars(q, u, dfc)
        base = first[list(keys)].reset_index(drop=True)
        return _table(base, r, self.level if level is None else level, estimate)


def _ml_fit(fit: Any, what: str) -> Any:
    """The fit itself if by maximum likelihood, else refitted by ML (Gaussian mixed fits)."""
    from ..models.fit import MixedFit

    if not isinstance(fit, MixedFit):
        raise ModelError(f"compare (D3) evaluates the likelihood of Gaussian mixed models "
                         f"(hs.fit_mixed); {what} holds a {type(fit).__name__}. Use anova() (D1) "
                         "for other fits.")
    return fit.refit(reml=False) if fit.reml else fit


def _n_parameters(fit: Any) -> int:
    """Fixed effects + random-effect covariance parameters + the residual variance."""
    return len(fit.coef) + len(fit.theta) + 1


def _names(value: str | Sequence[str] | None) -> list[str]:
    """Variable names in an emmeans-style spec (``"arm"``, ``"~ arm | wave"``, a list)."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.replace("~", " ").replace("|", "+").replace("*", "+")
        return [v.strip() for v in text.split("+") if v.strip()]
    return [str(v) for v in value]


def _covariate_means(fits: Sequence[Any], exclude: list[str]) -> dict[str, float]:
    """Numeric fixed-effect covariates whose mean differs between imputations: their mean
    averaged over the imputations (emmeans' rule for pooled mice results). A covariate
    with two values in every imputation is left to the fits' grid, which keeps both
    values (emmeans' ``cov.keep = "2"``), the same in every imputation."""
    spec = getattr(fits[0], "spec", None) if fits else None
    if spec is None or not hasattr(spec, "variable_is_numeric"):
        return {}
    covariates = [v for v in spec.fixed_variables if v not in exclude
                  and spec.variable_is_numeric(v) and all(v in f.data.columns for f in fits)]
    if not covariates:
        return {}
    means = {}
    for v in covariates:
        if all(f.data[v].nunique(dropna=True) <= 2 for f in fits):
            continue
        values = [float(f.data[v].astype(float).mean()) for f in fits]
        if max(values) - min(values) > 0:
            means[v] = float(np.mean(values))
    return means


def _table(base: pd.DataFrame, r: Any, level: float, estimate: str) -> pd.DataFrame:
    """Rubin's-rules columns appended to the key columns of ``base``."""
    out = base.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r.estimate / r.se
    half = stats.t.ppf(0.5 + level / 2, r.df) * r.se
    out[estimate] = r.estimate
    out["se"] = r.se
    out["df"] = r.df
    out["t"] = t
    out["p"] = 2 * stats.t.sf(np.abs(t), r.df)
    out["lower"] = r.estimate - half
    out["upper"] = r.estimate + half
    out["riv"] = r.riv
    out["lambda"] = r.lambda_
    out["fmi"] = r.fmi
    return out
