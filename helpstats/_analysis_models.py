"""The model of each outcome in ``helpstats analyze``: derived outcomes, fit, tables, methods.

:func:`helpstats.analyze` asks this module, for each outcome of the study
file's ``[model]`` section, to fit the model the section names -- a linear
mixed model (:func:`helpstats.fit_mixed`), a GLMM (``family = "binomial"``,
``"poisson"``, ``"negative_binomial"``) or an MMRM (``kind = "mmrm"``,
:func:`helpstats.fit_mmrm`) -- and to build its tables and methods text, so
the report's orchestration does not branch on the model family.

Derived binary outcomes (``[model.derived]``, e.g. ``remission = "phq9_total
< 5"``) are parsed by :func:`parse_condition` with Python's ``ast`` module
into a small tree of comparisons joined by ``and``/``or``/``not`` -- never
evaluated as code -- and computed with three-valued logic, so a missing score
gives a missing outcome (counted in the notes), not a 0.

Examples
--------
>>> import pandas as pd
>>> cond = parse_condition("phq9_total < 5")
>>> cond.columns
('phq9_total',)
>>> cond.evaluate(pd.DataFrame({"phq9_total": [3.0, 7.0, None]})).tolist()
[1.0, 0.0, nan]
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import ModelError, StudyError
from .tables._glmm_outcome import approximation_text, is_glmm, ratio_name

if TYPE_CHECKING:
    from .study import Study

__all__ = ["Condition", "derive_outcomes", "fit_outcome", "model_columns", "model_paragraph",
           "outcome_tables", "parse_condition"]

_COMPARE: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Lt: ("<", operator.lt), ast.LtE: ("<=", operator.le), ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge), ast.Eq: ("==", operator.eq), ast.NotEq: ("!=", operator.ne),
}
_HINT = ("write a comparison of a column with a number or a quoted text, such as "
         "\"phq9_total < 5\", \"phq9_total_band in ['moderate', 'severe']\", joined by "
         "and / or")


# ----------------------------------------------------------------- derived outcomes
@dataclass(frozen=True)
class Condition:
    """A parsed condition: ``op`` is a comparison (``<``, ``in`` ...) on ``column`` with
    ``value``, or ``and``/``or``/``not`` over ``parts``."""

    op: str
    column: str | None = None
    value: Any = None
    parts: tuple[Condition, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the condition reads, in order of appearance."""
        if self.column is not None:
            return (self.column,)
        return tuple(dict.fromkeys(c for p in self.parts for c in p.columns))

    def evaluate(self, data: pd.DataFrame) -> pd.Series:
        """1.0 where the condition holds, 0.0 where it does not, NaN where unknown."""
        truth = self._truth(data)
        return truth.astype("Float64").astype(float).rename(None)

    def _truth(self, data: pd.DataFrame) -> pd.Series:
        if self.op == "not":
            return ~self.parts[0]._truth(data)
        if self.op in ("and", "or"):
            out = self.parts[0]._truth(data)
            for part in self.parts[1:]:
                out = (out & part._truth(data)) if self.op == "and" else (out | part._truth(data))
            return out
        col = data[self.column]
        missing = col.isna().to_numpy()
        if self.op in ("in", "not in"):
            wanted = {_text(v) for v in self.value}
            hit = np.array([_text(v) in wanted for v in col], dtype=bool)
            res = hit if self.op == "in" else ~hit
        elif isinstance(self.value, str):
            res = _compare_text(col, self.op, self.value)
        else:
            if not pd.api.types.is_numeric_dtype(col):
                raise StudyError(f"{self.column!r} holds {col.dtype} values, not numbers, so "
                                 f"'{self.column} {self.op} {self.value}' cannot be computed; "
                                 "compare it with a quoted level instead.")
            fn = _BY_SYMBOL[self.op]
            res = np.asarray(fn(col.to_numpy(dtype=float, na_value=np.nan), self.value),
                             dtype=bool)
        out = pd.array(res, dtype="boolean")
        out[missing] = pd.NA
        return pd.Series(out, index=data.index)


_BY_SYMBOL = dict(_COMPARE.values())


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _compare_text(col: pd.Series, op: str, value: str) -> np.ndarray:
    """``==``/``!=`` on text; ``<`` etc. on an ordered categorical (an instrument's band)."""
    if op in ("==", "!="):
        hit = np.array([_text(v) == value for v in col], dtype=bool)
        return hit if op == "==" else ~hit
    dtype = col.dtype
    if not (isinstance(dtype, pd.CategoricalDtype) and dtype.ordered):
        raise StudyError(f"'{col.name} {op} {value!r}' compares text by order, which needs an "
                         f"ordered column such as a score's band; {col.name!r} is {dtype}.")
    cats = [str(c) for c in dtype.categories]
    if value not in cats:
        raise StudyError(f"{value!r} is not a level of {col.name!r}; its levels are {cats}.")
    codes = col.cat.codes.to_numpy()
    fn = _BY_SYMBOL[op]
    return np.asarray(fn(codes, cats.index(value)), dtype=bool)


def parse_condition(text: str) -> Condition:
    """Parse a derived-outcome condition without evaluating it.

    Parameters
    ----------
    text : str
        Comparisons ``column OP value`` (``OP``: ``< <= > >= == !=``; ``value`` a
        number or quoted text) or ``column in [values]`` / ``not in``, joined by
        ``and``, ``or``, ``not`` and parentheses. Columns are plain names.

    Returns
    -------
    Condition

    Raises
    ------
    helpstats.errors.StudyError
        Anything else (a function call, arithmetic, an attribute, ...).

    Examples
    --------
    >>> parse_condition("phq9_total >= 10 or gad7_total >= 8").columns
    ('phq9_total', 'gad7_total')
    >>> parse_condition("__import__('os')")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    helpstats.errors.StudyError: 'Call' is not allowed in a condition ...
    """
    if not isinstance(text, str) or not text.strip():
        raise StudyError(f"expected a condition such as \"phq9_total < 5\"; found {text!r}.")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise StudyError(f"{text!r} is not a condition; {_HINT}.") from None
    return _node(tree.body, text)


def _constant(node: ast.expr, text: str) -> Any:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _constant(node.operand, text)
        if isinstance(value, int | float):
            return -value
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str) and not \
            isinstance(node.value, bool):
        if isinstance(node.value, float) and not math.isfinite(node.value):
            raise StudyError(f"{text!r} compares with {node.value}; use a finite number.")
        return node.value
    raise StudyError(f"{ast.unparse(node)!r} in {text!r} is not a number or quoted text; "
                     f"{_HINT}.")


def _node(node: ast.expr, text: str) -> Condition:
    if isinstance(node, ast.BoolOp):
        op = "and" if isinstance(node.op, ast.And) else "or"
        return Condition(op, parts=tuple(_node(v, text) for v in node.values))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return Condition("not", parts=(_node(node.operand, text),))
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1 or not isinstance(node.left, ast.Name):
            raise StudyError(f"{text!r}: write one comparison per column (a < x and x < b), "
                             f"with the column on the left; {_HINT}.")
        column, op_node, right = node.left.id, node.ops[0], node.comparators[0]
        if isinstance(op_node, ast.In | ast.NotIn):
            if not isinstance(right, ast.List | ast.Tuple) or not right.elts:
                raise StudyError(f"{text!r}: 'in' needs a list of values, such as "
                                 "['moderate', 'severe'].")
            values = tuple(_constant(e, text) for e in right.elts)
            return Condition("in" if isinstance(op_node, ast.In) else "not in", column, values)
        if type(op_node) not in _COMPARE:
            raise StudyError(f"{text!r} uses {type(op_node).__name__}; {_HINT}.")
        return Condition(_COMPARE[type(op_node)][0], column, _constant(right, text))
    raise StudyError(f"{type(node).__name__!r} is not allowed in a condition ({text!r}); "
                     f"{_HINT}.")


def derive_outcomes(study: Study, data: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The analysis frame with each ``[model.derived]`` outcome added (a new frame), and
    one note per derived outcome counting the rows where it is missing and why."""
    derived = study.model.derived
    if not derived:
        return data, []
    out = data.copy()
    out.attrs = dict(data.attrs)
    notes = []
    for name, text in derived.items():
        key = f"model.derived.{name}"
        if name in data.columns:
            raise study.error(key, f"{name!r} is already a column of the data or the scores; "
                              "give the derived outcome another name.")
        cond = parse_condition(text)
        absent = [c for c in cond.columns if c not in data.columns]
        if absent:
            scores = [c for c in data.columns if c.endswith(("_total", "_mean", "_band"))]
            raise study.error(key, f"{absent} are not columns of the data or the scores "
                              f"(scores: {', '.join(scores)}).")
        try:
            out[name] = cond.evaluate(data)
        except StudyError as exc:
            raise study.error(key, str(exc)) from None
        n_missing = int(out[name].isna().sum())
        n_yes = int((out[name] == 1).sum())
        note = (f"{name} = {text}: {n_yes} of {len(out)} observation(s) meet it, "
                f"{len(out) - n_yes - n_missing} do not")
        if n_missing:
            why = ", ".join(f"{c} missing in {int(data[c].isna().sum())}" for c in cond.columns
                            if data[c].isna().any())
            note += f", {n_missing} missing ({why}), left missing, not counted as 0"
        notes.append(note + ".")
    return out, notes


# ----------------------------------------------------------------- fitting
def _is_mmrm(study: Study) -> bool:
    return study.model.kind == "mmrm"


def model_columns(study: Study) -> list[str]:
    """Columns a model needs besides those its formula names (an MMRM's subject)."""
    return [study.id, study.wave] if _is_mmrm(study) else []


def fit_outcome(study: Study, frame: pd.DataFrame, outcome: str) -> Any:
    """Fit the model ``[model]`` names for one outcome; a :class:`StudyError` naming the
    key when the model cannot be fitted."""
    from .models import fit_mixed
    from .models.mmrm import fit_mmrm

    spec = study.model
    formula = study.formula_for(outcome)
    try:
        if _is_mmrm(study):
            return fit_mmrm(frame, formula, subject=study.id, visit=study.wave,
                            covariance=list(spec.covariance) if len(spec.covariance) > 1
                            else spec.covariance[0], df=spec.df, vcov=spec.vcov)
        family = spec.family_of(outcome)
        if family.lower() == "gaussian":
            return fit_mixed(frame, formula)
        return fit_mixed(frame, formula, family=family, link=spec.link, nagq=spec.nagq)
    except ModelError as exc:
        key = "model.formula" if not _is_mmrm(study) and spec.family_of(outcome) == "gaussian" \
            else "model.kind" if _is_mmrm(study) else "model.family"
        raise study.error(key, f"the model of {outcome} ({formula}): {exc}") from None


# ----------------------------------------------------------------- tables
def outcome_tables(study: Study, fit: Any, frame: pd.DataFrame, outcome: str
                   ) -> dict[str, pd.DataFrame]:
    """The outcome table (with a comparison ``by``) and the model table of one fit, by
    sheet name (``"Outcome <outcome>"``, ``"Model <outcome>"``, at most 31 characters)."""
    from .tables import model_table, outcome_table

    by, wave = study.model.by, study.wave
    tables: dict[str, pd.DataFrame] = {}
    if is_glmm(fit):
        if by is not None:
            tables[f"Outcome {outcome}"[:31]] = outcome_table(
                fit, by=by, wave=wave, data=frame, outcome=outcome, labels=study)
        tables[f"Model {outcome}"[:31]] = _glmm_model_table(fit, model_table(fit, labels=study))
        return tables
    if by is not None:
        tables[f"Outcome {outcome}"[:31]] = outcome_table(
            fit, by=by, wave=wave, data=frame, outcome=outcome, labels=study)
        if _is_mmrm(study):
            table = tables[f"Outcome {outcome}"[:31]]
            table.attrs["notes"] += (f" Degrees of freedom: {_df_text(fit)}; covariance of "
                                     f"the estimates: {fit.vcov_method}.")
    table = model_table(fit, labels=study)
    if _is_mmrm(study):
        table.attrs["notes"] = _mmrm_notes(fit, table.attrs.get("level", 0.95))
    tables[f"Model {outcome}"[:31]] = table
    return tables


_DF_TEXT = {"kenward-roger": "Kenward-Roger (SAS ddfm=kr)",
            "kenward-roger-linear": "Kenward-Roger, linear (SAS ddfm=kr(linear))",
            "satterthwaite": "Satterthwaite", "between-within": "between-within",
            "residual": "residual"}


def _df_text(fit: Any) -> str:
    return _DF_TEXT.get(fit.df_method, fit.df_method)


def _mmrm_notes(fit: Any, level: float) -> str:
    from ._level import level_text

    return (f"Mixed model for repeated measures {fit.formula}, fitted by "
            f"{'REML' if fit.reml else 'ML'}; n = {fit.nobs} observations of "
            f"{fit.n_subjects} subjects; residual covariance {fit.covariance_structure} "
            f"over the visits. {level_text(level)} CI: estimate -/+ t(df) x SE with "
            f"{_df_text(fit)} df; covariance of the estimates: {fit.vcov_method}. Random: "
            "the visit variances and covariances (estimate) with SDs and correlations (sdcor)."
            + _fallback_text(fit)
            + (" The optimiser did not converge: interpret with caution."
               if not fit.converged else ""))


def _fallback_text(fit: Any) -> str:
    """The structures an MMRM tried before the one used (its explicit fallback chain)."""
    tried = fit.fallback
    failed = [f"{r.structure} ({r.status})" for r in tried.itertuples()
              if r.structure != fit.covariance_structure]
    return (f" Structures tried before {fit.covariance_structure}: {', '.join(failed)}."
            if failed else "")


def _glmm_model_table(fit: Any, table: pd.DataFrame) -> pd.DataFrame:
    """The model table of a GLMM with the exponentiated estimates of a logit or log link
    (odds or rate ratios) beside the link-scale estimates."""
    from ._level import level_text

    level = float(table.attrs.get("level", 0.95))
    ratio = ratio_name(fit)
    out = table.copy()
    out.attrs = dict(table.attrs)
    if ratio is not None:
        fixed = out["section"] == "fixed"
        for col, src in ((ratio, "estimate"), (f"{ratio}_lower", "lower"),
                         (f"{ratio}_upper", "upper")):
            out[col] = np.where(fixed, np.exp(out[src].to_numpy(dtype=float)), np.nan)
    family = type(fit.family).__name__
    extra = (f" {ratio.replace('_', ' ')}s: exp(estimate) with exp of its limits."
             if ratio else "")
    dispersion = (f" Negative binomial dispersion (R's theta): {fit.dispersion:.4g}."
                  if fit.dispersion is not None else "")
    out.attrs["method"] = "ML (Laplace)" if fit.nagq == 1 else f"ML (AGQ, nAGQ = {fit.nagq})"
    out.attrs["notes"] = (
        f"Generalized linear mixed model {fit.formula} ({family} family, "
        f"{fit.family.link.name} link), fitted by maximum likelihood with "
        f"{approximation_text(fit)}; n = {fit.nobs} observations. Estimates on the "
        f"{fit.family.link.name} scale; the t column holds Wald z (df infinite); SEs from "
        f"the Hessian over all parameters, as glmer. {level_text(level)} CI: estimate -/+ "
        f"z x SE.{extra}{dispersion} Random: variances (estimate) and SDs or correlations "
        "(sdcor)." + (" The optimiser did not converge: interpret with caution."
                      if not fit.converged else "")
        + (" Singular fit: a variance component is estimated at its boundary."
           if fit.singular else ""))
    return out


# ----------------------------------------------------------------- plots and methods
def model_paragraph(study: Study, waves: list[Any], default: str, wave_order: str) -> str:
    """The methods paragraph of the models; ``default`` (the linear mixed model's) when
    every outcome is Gaussian and ``kind`` is ``"mixed"``."""
    spec = study.model
    formula = spec.formula.replace("{outcome}", "outcome")
    covs = f" with covariates {', '.join(spec.covariates)}" if spec.covariates else ""
    waves_text = ", ".join(map(str, waves))
    derived = [f"{name} ({text}; 1 when it holds, missing when a score it reads is missing)"
               for name, text in spec.derived.items() if name in spec.outcomes]
    derived_text = (" Binary outcomes derived from the scores: " + "; ".join(derived) + "."
                    if derived else "")
    if _is_mmrm(study):
        structures = list(spec.covariance)
        fallback = (f" (if it failed to converge, the next of {', '.join(structures)} in that "
                    "order, as reported in the model table)" if len(structures) > 1 else "")
        df = spec.df or ("kenward-roger" if spec.vcov == "model" else "between-within")
        return (f"Each outcome was analysed with a mixed model for repeated measures (MMRM; "
                f"helpstats.fit_mmrm) fitted by restricted maximum likelihood: {formula}{covs}, "
                f"the visit ({waves_text}) entering as a factor, with no random effects and one "
                f"{_STRUCTURE_TEXT.get(structures[0], structures[0])} residual covariance "
                f"matrix of the visits within a participant{fallback}, as SAS PROC MIXED "
                f"REPEATED. Tests and intervals use {_DF_TEXT.get(df, df)} degrees of freedom"
                + (" (Kenward & Roger 1997, with the observed information, as SAS)"
                   if df.startswith("kenward") else "")
                + " and the " + ("model-based" if spec.vcov == "model" else
                                 f"{spec.vcov} (sandwich; Liang & Zeger 1986)")
                + " covariance of the estimates; marginal means and contrasts follow SAS LSMEANS "
                "(equal weights over factors, covariates at their means). Participants missing "
                "visits contribute the visits they attended: the likelihood-based analysis is "
                "valid if the data are missing at random (Mallinckrodt et al. 2008). "
                + wave_order + derived_text)
    glmm = {o: spec.family_of(o) for o in spec.outcomes if spec.family_of(o).lower() != "gaussian"}
    if not glmm:
        return default + derived_text
    approx = ("the Laplace approximation" if spec.nagq == 1 else
              f"adaptive Gauss-Hermite quadrature with {spec.nagq} points (Pinheiro & "
              "Bates 1995)")
    named = "; ".join(f"{o}: {f}" + (f" ({spec.link} link)" if spec.link else "")
                      for o, f in glmm.items())
    gaussian = [o for o in spec.outcomes if o not in glmm]
    lmm = (f" {', '.join(gaussian)} with a linear mixed model fitted by restricted maximum "
           "likelihood (helpstats.fit_mixed, Bates et al. 2015) with Satterthwaite degrees "
           "of freedom (Kuznetsova et al. 2017)." if gaussian else "")
    return (f"Outcomes were analysed with mixed models of the form {formula}{covs}, the wave "
            f"({waves_text}) entering as a factor.{lmm} Binary and count outcomes ({named}) "
            f"with a generalized linear mixed model fitted by maximum likelihood with "
            f"{approx} and penalised iteratively reweighted least squares for the random "
            "effects (as lme4's glmer; Bates et al. 2015); Wald z tests, SEs from the Hessian. "
            "Marginal means follow emmeans on the response scale (probabilities or rates; "
            "delta-method SEs, intervals back-transformed from the link scale), and "
            "comparisons are odds ratios (logit link) or rate ratios (log link). Participants "
            "missing later waves contribute the waves they attended (missing at random). "
            + wave_order + derived_text)


_STRUCTURE_TEXT = {"us": "unstructured", "toep": "Toeplitz", "toeph": "heterogeneous Toeplitz",
                   "ar1": "first-order autoregressive", "ar1h": "heterogeneous AR(1)",
                   "adh": "heterogeneous ante-dependence", "cs": "compound-symmetric",
                   "csh": "heterogeneous compound-symmetric", "sp_exp": "spatial exponential"}
