"""Materialise formula atoms and model matrices as R's ``model.matrix``.

An atom (a column, ``log(x)``, ``poly(t, 2)``, ``C(arm, sum)``) evaluates to
numeric columns or to a factor. :func:`evaluate` *learns* on the model frame
(factor levels, the parameters of stateful transforms, kept in a ``state``
mapping) and re-applies them to any other data; :func:`design_matrix` crosses
the atoms of each term with R's rule for contrasts (a factor is coded by
contrasts when the term without it is in the model, otherwise by indicators).

Examples
--------
>>> import pandas as pd
>>> from helpstats.models._formula import parse_rhs
>>> d = pd.DataFrame({"x": [1.0, 2.0, 3.0], "a": ["q", "p", "q"]})
>>> rhs = parse_rhs("x * a")
>>> state = learn(rhs.atoms, d)
>>> X, names, assign = design_matrix(d, rhs, state)
>>> names
['(Intercept)', 'x', 'aq', 'x:aq']
>>> X[:, 3].tolist()
[1.0, 0.0, 3.0]
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ModelError
from . import _transforms as tf
from ._formula import BinOp, Bool, Call, Expr, FixedSpec, Name, Neg, Num, Paren, Str, deparse

__all__ = [
    "FactorValue",
    "NumericValue",
    "design_matrix",
    "drop_collinear",
    "evaluate",
    "group_codes",
    "learn",
    "level_label",
    "r_sort",
    "term_codings",
]

def r_sort(values: Sequence[Hashable]) -> list[Hashable]:
    """Sort distinct values the way R orders factor levels made from a vector.

    Numbers sort numerically; strings case-insensitively with lower case first
    among equals (R's usual collation for ASCII letters); booleans False < True.

    Examples
    --------
    >>> r_sort(["b", "B", "a", "10", "9"])
    ['10', '9', 'a', 'b', 'B']
    """
    vals = list(dict.fromkeys(values))
    if all(isinstance(v, (bool, np.bool_)) for v in vals):
        return sorted(vals, key=bool)
    if all(isinstance(v, (int, float, np.integer, np.floating)) for v in vals):
        return sorted(vals, key=lambda v: float(v))  # type: ignore[arg-type]
    return sorted(vals, key=lambda v: (str(v).casefold(), str(v).swapcase()))


def level_label(level: Hashable) -> str:
    """Text R uses for a factor level inside a column name.

    Examples
    --------
    >>> level_label(True), level_label(3.0), level_label("TAU")
    ('TRUE', '3', 'TAU')
    """
    if isinstance(level, (bool, np.bool_)):
        return "TRUE" if level else "FALSE"
    if isinstance(level, (float, np.floating)) and float(level).is_integer():
        return str(int(level))
    return str(level)




@dataclass(frozen=True)
class NumericValue:
    """Numeric columns of an atom: ``matrix`` (n, k) and R's column-name suffixes."""

    matrix: np.ndarray
    suffixes: tuple[str, ...]


@dataclass(frozen=True)
class FactorValue:
    """A factor: level index of each row, its levels and contrast."""

    codes: np.ndarray
    levels: tuple[Hashable, ...]
    contrast: str
    reference: int
    variable: str | None


Value = NumericValue | FactorValue

_MATH = {"log": np.log, "log1p": np.log1p, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs,
         "log2": np.log2, "log10": np.log10, "expm1": np.expm1}
_CONTRASTS = {"treatment": "treatment", "contr.treatment": "treatment", "Treatment": "treatment",
              "sum": "sum", "contr.sum": "sum", "Sum": "sum", "poly": "poly",
              "contr.poly": "poly", "Poly": "poly"}
SUPPORTED = ("I", *_MATH, "scale", "center", "poly", "bs", "ns", "factor", "as.factor", "C",
             "relevel", "offset")


class _Context:
    def __init__(self, frame: pd.DataFrame, state: dict[str, Any], learning: bool,
                 formula: str) -> None:
        self.frame = frame
        self.state = state
        self.learning = learning
        self.formula = formula
        self.n = len(frame)

    def fail(self, expr: Expr, what: str, fix: str) -> ModelError:
        where = f" in {self.formula!r}" if self.formula else ""
        pointer = ""
        if self.formula:
            head = f"{expr.func}(" if isinstance(expr, Call) else deparse(expr)
            at = self.formula.find(head)
            if at >= 0:
                pointer = f"\n    {self.formula}\n    {' ' * at}^"
        return ModelError(f"Cannot use {deparse(expr)!r}{where}: {what}.{pointer}\n"
                          f"How to fix: {fix}.")

    def remember(self, key: str, make: Any) -> Any:
        if self.learning and key not in self.state:
            self.state[key] = make()
        if key not in self.state:
            raise ModelError(f"The model has no learned values for {key!r}; refit the model.")
        return self.state[key]


def _is_factor_column(col: pd.Series) -> bool:
    return (isinstance(col.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(col)
            or not pd.api.types.is_numeric_dtype(col))


def _present_levels(col: pd.Series) -> list[Hashable]:
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(col.dropna().unique().tolist())
        return [c for c in col.cat.categories.tolist() if c in present]
    return r_sort(col.dropna().unique().tolist())


def _codes(values: pd.Series, levels: Sequence[Hashable], what: str) -> np.ndarray:
    lookup = {lv: i for i, lv in enumerate(levels)}
    raw = values.astype(object) if isinstance(values.dtype, pd.CategoricalDtype) else values
    codes = raw.map(lookup)
    bad = codes.isna() & raw.notna()
    if bad.any():
        unknown = sorted({str(v) for v in raw[bad].tolist()})
        raise ModelError(
            f"{what} has values {unknown} that the model was not fitted with; expected one "
            f"of {[level_label(x) for x in levels]}."
        )
    return codes.to_numpy(dtype=float).astype(np.int64)


def _factor(ctx: _Context, expr: Expr, key: str) -> FactorValue:
    """A factor from a column or an expression (numbers become levels, as R's factor())."""
    if isinstance(expr, Name):
        col = _column(ctx, expr)
        levels = ctx.remember(f"levels:{key}", lambda: tuple(_present_levels(col)))
        return FactorValue(_codes(col, levels, repr(expr.name)), levels, "treatment", 0,
                           expr.name)
    value = _eval(ctx, expr)
    if isinstance(value, FactorValue):
        return value
    if not isinstance(value, NumericValue) or value.matrix.shape[1] != 1:
        raise ctx.fail(expr, "a factor needs one column", "use a single column")
    col = pd.Series(value.matrix[:, 0])
    levels = ctx.remember(f"levels:{key}", lambda: tuple(_present_levels(col)))
    return FactorValue(_codes(col, levels, repr(deparse(expr))), levels, "treatment", 0, None)


def _column(ctx: _Context, expr: Name) -> pd.Series:
    if expr.name not in ctx.frame.columns:
        raise ModelError(f"The column {expr.name!r} is not in the data; available: "
                         f"{list(map(str, ctx.frame.columns))}.")
    return ctx.frame[expr.name]


def _numeric(ctx: _Context, expr: Expr) -> np.ndarray | float:
    if isinstance(expr, Num):
        return expr.value
    value = _eval(ctx, expr)
    if isinstance(value, FactorValue):
        raise ctx.fail(expr, "it is a factor, and arithmetic needs numbers",
                       "use a numeric column, or convert it first (pd.to_numeric)")
    return value.matrix


def _arith(ctx: _Context, expr: BinOp) -> NumericValue:
    ops = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power}
    if expr.op not in ops:
        raise ctx.fail(expr, f"'{expr.op}' is a formula operator, not arithmetic",
                       "inside I() use + - * / ^ only")
    left, right = _numeric(ctx, expr.left), _numeric(ctx, expr.right)
    with np.errstate(all="ignore"):
        out = np.asarray(ops[expr.op](left, right), dtype=float)
    return _as_numeric(out, ctx.n)


def _as_numeric(out: np.ndarray, n: int) -> NumericValue:
    """A scalar, vector or matrix result as (n, k) columns."""
    if out.ndim < 2:
        out = np.broadcast_to(out.reshape(-1, 1) if out.ndim == 1 else out, (n, 1))
    out = np.array(out, dtype=float)
    return NumericValue(out, _suffixes(out))


def _suffixes(matrix: np.ndarray) -> tuple[str, ...]:
    k = matrix.shape[1] if matrix.ndim == 2 else 1
    return ("",) if k == 1 else tuple(str(i) for i in range(1, k + 1))


def _scalar(ctx: _Context, call: Call, expr: Expr | None, default: Any, what: str) -> Any:
    if expr is None:
        return default
    if isinstance(expr, Num | Bool | Str):
        return expr.value
    if isinstance(expr, Neg) and isinstance(expr.operand, Num):
        return -expr.operand.value
    if isinstance(expr, Call) and expr.func == "c":
        return [_scalar(ctx, call, a, None, what) for a in expr.args]
    raise ctx.fail(call, f"the argument {what} must be a constant",
                   f"write {what} as a number, TRUE/FALSE or c(...)")


def _args(ctx: _Context, call: Call, names: Sequence[str]) -> dict[str, Expr]:
    """Match positional and named arguments to ``names`` (R's matching, exact names)."""
    out: dict[str, Expr] = {}
    if len(call.args) > len(names):
        raise ctx.fail(call, f"{call.func}() takes at most {len(names)} arguments here",
                       f"see the documentation of {call.func}")
    for name, arg in zip(names, call.args, strict=False):
        out[name] = arg
    for key, arg in call.kwargs:
        if key not in names or key in out:
            raise ctx.fail(call, f"unknown or repeated argument {key!r}",
                           f"{call.func}() takes {', '.join(names)}")
        out[key] = arg
    if names[0] not in out:
        raise ctx.fail(call, "the first argument is missing", f"write {call.func}(column)")
    return out


def _one_column(ctx: _Context, call: Call, expr: Expr) -> np.ndarray:
    x = _numeric(ctx, expr)
    if np.ndim(x) != 2 or np.shape(x)[1] != 1:
        raise ctx.fail(call, "it needs a single numeric column", "pass one column")
    return np.asarray(x, dtype=float)[:, 0]


def _call(ctx: _Context, call: Call) -> Value:
    f = call.func
    key = deparse(call)
    if f == "I":
        if len(call.args) != 1 or call.kwargs:
            raise ctx.fail(call, "I() takes one expression", "write I(x^2)")
        inner = call.args[0]
        value = _eval(ctx, inner) if not isinstance(inner, BinOp) else _arith(ctx, inner)
        if isinstance(value, FactorValue):
            raise ctx.fail(call, "I() of a factor", "use the factor itself")
        return NumericValue(value.matrix, _suffixes(value.matrix))
    if f in _MATH:
        if len(call.args) != 1 or call.kwargs:
            raise ctx.fail(call, f"{f}() takes one argument here",
                           "for another base write I(log(x) / log(base))")
        x = _numeric(ctx, call.args[0])
        with np.errstate(all="ignore"):
            return _as_numeric(np.asarray(_MATH[f](x), dtype=float), ctx.n)
    if f in ("scale", "center"):
        a = _args(ctx, call, ["x", "center", "scale"] if f == "scale" else ["x"])
        xs: np.ndarray = _one_column(ctx, call, a["x"])
        do_center = bool(_scalar(ctx, call, a.get("center"), True, "center"))
        do_scale = f == "scale" and bool(_scalar(ctx, call, a.get("scale"), True, "scale"))

        def make() -> dict[str, float]:
            c = float(np.mean(xs)) if do_center else 0.0
            s = float(np.sqrt(np.sum((xs - c) ** 2) / (len(xs) - 1))) if do_scale else 1.0
            if not s > 0:
                raise ctx.fail(call, "the column does not vary, so it cannot be scaled",
                               "leave it out or use center()")
            return {"center": c, "scale": s}

        p = ctx.remember(key, make)
        return NumericValue(((xs - p["center"]) / p["scale"])[:, None], ("",))
    if f == "poly":
        a = _args(ctx, call, ["x", "degree", "coefs", "raw"])
        if "coefs" in a:
            raise ctx.fail(call, "coefs= is not supported", "poly() learns them from the data")
        x = _one_column(ctx, call, a["x"])
        degree = _scalar(ctx, call, a.get("degree"), 1, "degree")
        if not isinstance(degree, int | float) or degree != int(degree) or degree < 1:
            raise ctx.fail(call, "degree must be a whole number >= 1", "write poly(x, 2)")
        degree = int(degree)
        raw = bool(_scalar(ctx, call, a.get("raw"), False, "raw"))
        suffixes = tuple(str(i) for i in range(1, degree + 1))
        if raw:
            return NumericValue(np.power.outer(x, np.arange(1, degree + 1)), suffixes)
        p = ctx.remember(key, lambda: tf.poly_learn(x, degree))
        return NumericValue(tf.poly_apply(x, p), suffixes)
    if f in ("bs", "ns"):
        names = ["x", "df", "knots", "intercept", "Boundary.knots"]
        if f == "bs":
            names.insert(3, "degree")
        a = _args(ctx, call, names)
        x = _one_column(ctx, call, a["x"])
        opts = {
            "df": _scalar(ctx, call, a.get("df"), None, "df"),
            "knots": _scalar(ctx, call, a.get("knots"), None, "knots"),
            "degree": int(_scalar(ctx, call, a.get("degree"), 3, "degree")),
            "intercept": bool(_scalar(ctx, call, a.get("intercept"), False, "intercept")),
            "boundary": _scalar(ctx, call, a.get("Boundary.knots"), None, "Boundary.knots"),
        }
        p = ctx.remember(key, lambda: tf.spline_learn(x, f, **opts))
        basis = tf.spline_apply(x, p)
        return NumericValue(basis, tuple(str(i) for i in range(1, basis.shape[1] + 1)))
    if f in ("factor", "as.factor"):
        if len(call.args) != 1 or call.kwargs:
            raise ctx.fail(call, f"{f}() takes one column here",
                           "set the level order with pd.Categorical(..., categories=[...]) "
                           "or use relevel()")
        return _factor(ctx, call.args[0], key)
    if f == "C":
        return _contrast_call(ctx, call, key)
    if f == "relevel":
        a = _args(ctx, call, ["x", "ref"])
        if "ref" not in a:
            raise ctx.fail(call, "relevel() needs ref", 'write relevel(arm, ref = "usual")')
        base = _factor(ctx, a["x"], deparse(a["x"]))
        ref = _scalar(ctx, call, a["ref"], None, "ref")
        idx = _find_level(ctx, call, base.levels, ref)
        levels = (base.levels[idx], *[lv for i, lv in enumerate(base.levels) if i != idx])
        remap = np.array([levels.index(lv) for lv in base.levels], dtype=np.int64)
        return FactorValue(remap[base.codes], levels, "treatment", 0, base.variable)
    if f == "offset":
        raise ctx.fail(call, "offset() is allowed only as a term of its own",
                       "write + offset(...) in the fixed part")
    raise ctx.fail(call, f"the function {f}() is not supported",
                   f"compute the column beforehand (data['new'] = ...) and use its name; "
                   f"supported functions: {', '.join(SUPPORTED)}")


def _find_level(ctx: _Context, call: Call, levels: Sequence[Hashable], ref: Any) -> int:
    if isinstance(ref, float) and ref.is_integer() and ref not in levels and \
            not any(isinstance(lv, str) for lv in levels):
        ref = int(ref)
    for i, lv in enumerate(levels):
        if lv == ref or level_label(lv) == level_label(ref):
            return i
    raise ctx.fail(call, f"{ref!r} is not a level; the levels are "
                   f"{[level_label(x) for x in levels]}", "name one of those levels")


def _contrast_call(ctx: _Context, call: Call, key: str) -> FactorValue:
    if not call.args:
        raise ctx.fail(call, "C() needs a factor", "write C(arm, sum)")
    base = _factor(ctx, call.args[0], deparse(call.args[0]))
    spec: Expr | None = call.args[1] if len(call.args) > 1 else None
    kw = dict(call.kwargs)
    spec = kw.pop("contr", spec)
    if len(call.args) > 2 or kw:
        raise ctx.fail(call, "C() takes a factor and one contrast",
                       'write C(arm, sum) or C(arm, Treatment("usual"))')
    kind, ref_expr, by_position = "treatment", None, False
    if isinstance(spec, Name | Str):
        name = spec.name if isinstance(spec, Name) else spec.value
        kind = _CONTRASTS.get(name, "")
    elif isinstance(spec, Call):
        kind = _CONTRASTS.get(spec.func, "")
        args = dict(spec.kwargs)
        if spec.func == "contr.treatment":  # R: contr.treatment(n, base = position)
            ref_expr, by_position = args.pop("base", None), True
            if len(spec.args) > 1 or args:
                kind = ""
        elif kind == "treatment":  # Treatment("usual") / Treatment(reference = "usual")
            ref_expr = args.pop("reference", args.pop("ref", None))
            if spec.args and ref_expr is None:
                ref_expr = spec.args[0]
            if len(spec.args) > 1 or args:
                kind = ""
        elif spec.args or spec.kwargs:
            kind = ""
    if not kind:
        raise ctx.fail(call, f"the contrast {deparse(spec) if spec else ''!r} is not supported",
                       'use treatment, sum or poly, e.g. C(arm, Treatment("usual")), '
                       "C(arm, sum), C(dose, poly)")
    ref = 0
    if ref_expr is not None:
        value = _scalar(ctx, call, ref_expr, None, "the reference level")
        if by_position:
            if not isinstance(value, int | float) or not 1 <= value <= len(base.levels):
                raise ctx.fail(call, f"base = {value!r} is not a level position",
                               f"give 1 to {len(base.levels)}")
            ref = int(value) - 1
        else:
            ref = _find_level(ctx, call, base.levels, value)
    if len(base.levels) < 2:
        raise ctx.fail(call, "the factor has fewer than two levels", "leave it out")
    return FactorValue(base.codes, base.levels, kind, ref, base.variable)


def _eval(ctx: _Context, expr: Expr) -> Value:
    if isinstance(expr, Name):
        col = _column(ctx, expr)
        # the model frame decides whether a column is a factor; new data (a reference
        # grid of plain values) follow what was learned
        learned = f"levels:{expr.name}" in ctx.state
        if learned or (ctx.learning and _is_factor_column(col)):
            return _factor(ctx, expr, expr.name)
        if _is_factor_column(col) and not pd.api.types.is_numeric_dtype(col):
            raise ModelError(f"Column {expr.name!r} holds text, but the model was fitted "
                             "with it as a number.")
        return NumericValue(col.to_numpy(dtype=float)[:, None], ("",))
    if isinstance(expr, Paren):
        inner = expr.inner
        return _arith(ctx, inner) if isinstance(inner, BinOp) else _eval(ctx, inner)
    if isinstance(expr, Num):
        return NumericValue(np.full((ctx.n, 1), expr.value), ("",))
    if isinstance(expr, Neg):
        return _as_numeric(-np.asarray(_numeric(ctx, expr.operand), dtype=float), ctx.n)
    if isinstance(expr, BinOp):
        return _arith(ctx, expr)
    if isinstance(expr, Call):
        return _call(ctx, expr)
    raise ctx.fail(expr, "a constant is not a model variable", "use a column")


def evaluate(expr: Expr, frame: pd.DataFrame, state: dict[str, Any], *, learn: bool = False,
             formula: str = "") -> Value:
    """Value of one atom on ``frame``; with ``learn`` the transforms learn into ``state``.

    Non-finite numeric results (``log(0)``, ``sqrt(-1)``) raise :class:`ModelError`.
    """
    ctx = _Context(frame, state, learn, formula)
    value = _eval(ctx, expr)
    if isinstance(value, NumericValue) and not np.all(np.isfinite(value.matrix)):
        bad = int(np.sum(~np.all(np.isfinite(value.matrix), axis=1)))
        raise ctx.fail(expr, f"it is not finite (infinite or NaN) on {bad} row(s)",
                       "check the values (e.g. log of zero or of negative numbers); use "
                       "log1p(x) or I(log(x + 1)), or drop those rows")
    return value


def learn(atoms: Mapping[str, Expr], frame: pd.DataFrame, state: dict[str, Any] | None = None,
          *, formula: str = "") -> dict[str, Any]:
    """Learn levels and transform parameters of every atom on the model frame."""
    state = {} if state is None else state
    for label, expr in atoms.items():
        value = evaluate(expr, frame, state, learn=True, formula=formula)
        state[f"kind:{label}"] = "factor" if isinstance(value, FactorValue) else "numeric"
    return state


def term_codings(spec: FixedSpec, state: Mapping[str, Any]) -> list[list[tuple[str, str]]]:
    """Per term, each atom's coding: 'num', 'contrast' or 'full' (R's rule)."""
    present = {frozenset(t) for t in spec.terms}
    if spec.intercept:
        present.add(frozenset())
    out = []
    for term in spec.terms:
        row = []
        for v in term:
            if state[f"kind:{v}"] != "factor":
                row.append((v, "num"))
            elif frozenset(term) - {v} in present:
                row.append((v, "contrast"))
            else:
                row.append((v, "full"))
                present.add(frozenset(term) - {v})  # R: later factors use contrasts
        out.append(row)
    return out


def _atom_columns(value: Value, label: str, how: str, treatment: bool = False
                  ) -> list[tuple[str, np.ndarray]]:
    if isinstance(value, NumericValue):
        return [(label + suf, value.matrix[:, j]) for j, suf in enumerate(value.suffixes)]
    labels = [level_label(lv) for lv in value.levels]
    if how == "full":
        eye = np.eye(len(labels))[value.codes]
        return [(label + lab, eye[:, j]) for j, lab in enumerate(labels)]
    kind, ref = ("treatment", 0) if treatment else (value.contrast, value.reference)
    cm = tf.contrast_matrix(kind, len(labels), ref)[value.codes]
    sufs = tf.contrast_suffixes(kind, labels, ref)
    return [(label + s, cm[:, j]) for j, s in enumerate(sufs)]


def design_matrix(
    frame: pd.DataFrame, spec: FixedSpec, state: Mapping[str, Any], *, formula: str = "",
    treatment: bool = False,
) -> tuple[np.ndarray, list[str], list[int]]:
    """Build the model matrix of ``spec`` for ``frame`` with learned ``state``.

    Returns the matrix, R-style column names and, per column, the index of
    its term (``-1`` for the intercept). ``treatment=True`` codes every factor
    with treatment contrasts (first level as reference), whatever its contrast.
    """
    n = len(frame)
    cols: list[np.ndarray] = []
    names: list[str] = []
    assign: list[int] = []
    if spec.intercept:
        cols.append(np.ones(n))
        names.append("(Intercept)")
        assign.append(-1)
    values: dict[str, Value] = {}
    for k, row in enumerate(term_codings(spec, state)):
        pieces = []
        for v, how in row:
            if v not in values:
                values[v] = evaluate(spec.atoms[v], frame, dict(state), formula=formula)
            pieces.append(_atom_columns(values[v], v, how, treatment))
        # R: the first variable varies fastest
        for combo in itertools.product(*reversed(pieces)):
            parts = list(reversed(combo))
            names.append(":".join(p[0] for p in parts))
            vec = parts[0][1].copy()
            for p in parts[1:]:
                vec = vec * p[1]
            cols.append(vec)
            assign.append(k)
    X = np.column_stack(cols) if cols else np.empty((n, 0))
    return X, names, assign


def drop_collinear(X: np.ndarray, tol: float = 1e-7) -> list[int]:
    """Indices of columns kept when later collinear columns are dropped (as R's qr).

    A column is dropped when its residual after projection on the columns
    before it is below ``tol`` times its norm (the diagonal of R in X = QR).

    Examples
    --------
    >>> X = np.array([[1.0, 1, 2], [1, 2, 4], [1, 3, 6]])
    >>> drop_collinear(X)
    [0, 1]
    """
    if X.shape[1] == 0:
        return []
    R = np.asarray(np.linalg.qr(X, mode="r"))
    norms = np.linalg.norm(X, axis=0)
    diag = np.abs(np.diag(R)) if R.shape[0] >= X.shape[1] else np.zeros(X.shape[1])
    if R.shape[0] < X.shape[1]:
        diag[: R.shape[0]] = np.abs(np.diag(R))
    return [j for j in range(X.shape[1]) if norms[j] > 0 and diag[j] > tol * norms[j]]


def _labels(values: np.ndarray) -> list[str]:
    if values.dtype.kind in "iu":
        return values.astype(str).tolist()
    if values.dtype.kind == "f" and np.all(np.mod(values, 1) == 0):
        return values.astype(np.int64).astype(str).tolist()
    return [level_label(v) for v in values.tolist()]


def _r_string_order(values: np.ndarray) -> np.ndarray:
    """Positions of distinct strings (object array) in :func:`r_sort`'s order, vectorised.

    ASCII text is sorted as fixed-width numpy strings (a few bytes per level; pandas'
    two-key sort of Python strings held several copies of every level, tens of MB at
    100,000 levels); other text by pandas on ``casefold`` / ``swapcase`` keys, which
    differ from numpy's ``lower`` outside ASCII."""
    fixed = values.astype(str)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    # fixed-width strings drop trailing NUL characters: then the lengths differ
    if fixed.view(np.uint32).max(initial=0) < 128 and np.array_equal(
            np.char.str_len(fixed), lengths):
        return np.lexsort((np.char.swapcase(fixed), np.char.lower(fixed)))
    keys = pd.DataFrame({"a": pd.Series(values, dtype=object).str.casefold(),
                         "b": pd.Series(values, dtype=object).str.swapcase()})
    return keys.sort_values(["a", "b"], kind="stable").index.to_numpy()


def group_codes(frame: pd.DataFrame, factors: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Integer codes (0..L-1) and level labels of a (possibly interacted) grouping factor."""
    per: list[np.ndarray] = []
    labels: list[list[str]] = []
    for f in factors:
        col = frame[f]
        if isinstance(col.dtype, pd.CategoricalDtype):
            raw = col.cat.codes.to_numpy()
            used = np.unique(raw)
            remap = np.full(len(col.cat.categories), -1, dtype=np.int64)
            remap[used] = np.arange(len(used))
            per.append(remap[raw])
            labels.append([level_label(c) for c in col.cat.categories[used].tolist()])
        elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            uniq, inv = np.unique(col.to_numpy(), return_inverse=True)
            per.append(inv.astype(np.int64))
            labels.append(_labels(uniq))
        else:
            codes, uniq = pd.factorize(col, sort=False)
            # plain Python values in one conversion: iterating a pyarrow-backed string
            # array element by element costs seconds for 100,000 levels
            values = pd.Index(uniq).to_numpy(dtype=object)
            if len(values) > 1000 and pd.api.types.infer_dtype(values, skipna=False) == "string":
                order = _r_string_order(values)
                remap = np.empty(len(values), dtype=np.int64)
                remap[order] = np.arange(len(values))
                per.append(remap[codes])
                labels.append(values[order].tolist())
                continue
            ordered = r_sort(values.tolist())
            position = {v: i for i, v in enumerate(ordered)}
            remap = np.array([position[v] for v in values.tolist()], dtype=np.int64)
            per.append(remap[codes])
            labels.append([level_label(v) for v in ordered])
    if len(per) == 1:
        return per[0], labels[0]
    combined = np.zeros(len(frame), dtype=np.int64)
    for codes, lv in zip(per, labels, strict=True):
        combined = combined * len(lv) + codes
    uniq, codes = np.unique(combined, return_inverse=True)
    names = []
    for u in uniq:
        parts = []
        for lv in reversed(labels):
            parts.append(lv[u % len(lv)])
            u //= len(lv)
        names.append(":".join(reversed(parts)))
    return codes.astype(np.int64), names
