"""Parse lme4 model formulas: R's formula language for the fixed part, the
response and random slopes, and lme4's random-effect bars.

The text is read once into an expression tree (R's operator precedence), then
the right-hand side is expanded with R's term algebra (``+ - * / : ^ %in%``,
``0``/``1`` for the intercept, ``offset()``, ``(lhs | group)`` bars). Every
other expression -- a column name, ``log(x)``, ``I(t^2)``, ``poly(age, 2)``,
``C(arm, Treatment("usual"))`` -- is an *atom*: one variable of the model in
R's sense, named by its R deparse (``I(t^2)``), materialised in ``_design``.

Examples
--------
>>> f = parse_formula("y ~ role * wave + (1 | participant) + (1 | group)")
>>> f.response, f.fixed.terms
('y', (('role',), ('wave',), ('role', 'wave')))
>>> [(b.group, b.rhs.intercept) for b in f.random]
[('participant', True), ('group', True)]
>>> parse_formula("log(y) ~ poly(t, 2) + I(t**2) + (1 | id)").fixed.terms
(('poly(t, 2)',), ('I(t^2)',))
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

from ..errors import ModelError

__all__ = [
    "BinOp",
    "Call",
    "Expr",
    "FixedSpec",
    "Formula",
    "Name",
    "Neg",
    "Num",
    "RandomTerm",
    "Str",
    "add_terms",
    "deparse",
    "expr_names",
    "formula_columns",
    "parse_formula",
    "parse_rhs",
    "quote_name",
]


# ------------------------------------------------------------------ expressions
@dataclass(frozen=True)
class Name:
    """A column name (back quotes removed)."""

    name: str


@dataclass(frozen=True)
class Num:
    """A number; ``text`` is R's deparse of it."""

    value: float
    text: str


@dataclass(frozen=True)
class Str:
    """A quoted string (a factor level, a contrast name)."""

    value: str


@dataclass(frozen=True)
class Bool:
    """``TRUE``/``FALSE`` (``True``/``False`` accepted)."""

    value: bool


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Expr


@dataclass(frozen=True)
class BinOp:
    """A binary operator: ``+ - * / ^ : %in% | ||`` (``**`` is read as ``^``)."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Call:
    """A function call ``func(args, name = value)``."""

    func: str
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...] = ()


@dataclass(frozen=True)
class Paren:
    """A parenthesised expression (kept: it delimits random-effect bars)."""

    inner: Expr


Expr = Name | Num | Str | Bool | Neg | BinOp | Call | Paren

_PREC = {"^": 7, ":": 5, "%in%": 4, "*": 3, "/": 3, "+": 2, "-": 2, "|": 1, "||": 1}


def _r_number(value: float) -> str:
    """R's deparse of a double (15 significant digits, fixed or scientific, shorter wins)."""
    if value == int(value) and abs(value) < 1e15:
        fixed = str(int(value))
    else:
        fixed = f"{value:.15g}"
        if "e" in fixed:
            fixed = f"{value:.15f}".rstrip("0").rstrip(".")
    mant, _, exp = f"{value:.15e}".partition("e")
    mant = mant.rstrip("0").rstrip(".")
    sci = f"{mant}e{'-' if int(exp) < 0 else '+'}{abs(int(exp)):02d}"
    return sci if len(sci) < len(fixed) else fixed


_RESERVED = {"if", "else", "repeat", "while", "function", "for", "next", "break", "TRUE",
             "FALSE", "NULL", "Inf", "NaN", "NA", "NA_integer_", "NA_real_", "NA_character_",
             "in"}


def _syntactic(name: str) -> bool:
    """Whether R can write ``name`` without back quotes (R's make.names rule)."""
    ok = re.fullmatch(r"((([A-Za-z]|[.][._A-Za-z])[._A-Za-z0-9]*)|[.])", name) is not None
    return ok and name not in _RESERVED


def deparse(expr: Expr) -> str:
    """R's text for an expression (``deparse``), used as the name of a model variable.

    Examples
    --------
    >>> deparse(_parse_expr("I(x**2 + 1e6*z)"))
    'I(x^2 + 1e+06 * z)'
    >>> deparse(_parse_expr("poly(age, 2, raw=True)"))
    'poly(age, 2, raw = TRUE)'
    """
    if isinstance(expr, Name):
        return expr.name if _syntactic(expr.name) else f"`{expr.name}`"
    if isinstance(expr, Num):
        return expr.text
    if isinstance(expr, Str):
        return '"' + expr.value.replace('"', '\\"') + '"'
    if isinstance(expr, Bool):
        return "TRUE" if expr.value else "FALSE"
    if isinstance(expr, Neg):
        return f"-{deparse(expr.operand)}"
    if isinstance(expr, Paren):
        return f"({deparse(expr.inner)})"
    if isinstance(expr, BinOp):
        tight = expr.op in ("^", ":", "/")
        sep = expr.op if tight else f" {expr.op} "
        return f"{deparse(expr.left)}{sep}{deparse(expr.right)}"
    args = [deparse(a) for a in expr.args] + [f"{k} = {deparse(v)}" for k, v in expr.kwargs]
    return f"{expr.func}({', '.join(args)})"


def expr_names(expr: Expr) -> list[str]:
    """Column names an expression reads, in order of appearance.

    Names that are the contrast argument of ``C()`` (``treatment``, ``sum``) are
    not columns.

    Examples
    --------
    >>> expr_names(_parse_expr("I(a * b + log(a))"))
    ['a', 'b']
    """
    out: dict[str, None] = {}

    def walk(e: Expr) -> None:
        if isinstance(e, Name):
            out.setdefault(e.name, None)
        elif isinstance(e, Neg):
            walk(e.operand)
        elif isinstance(e, Paren):
            walk(e.inner)
        elif isinstance(e, BinOp):
            walk(e.left)
            walk(e.right)
        elif isinstance(e, Call):
            args = e.args[:1] if e.func in ("C", "relevel") else e.args
            for a in args:
                walk(a)
            if e.func not in ("C", "relevel"):
                for _, v in e.kwargs:
                    walk(v)

    walk(expr)
    return list(out)


# ------------------------------------------------------------------ tokens and parser
_TOKEN = re.compile(
    r"\s*(`[^`]*`|'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
    r"|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?L?"
    r"|[A-Za-z.][A-Za-z0-9_.]*|_[A-Za-z0-9_.]*"
    r"|%[^%\s]*%|\*\*|\|\||[-+*:/()|~^,=\[\]$!<>&@])"
)


@dataclass(frozen=True)
class _Tok:
    text: str
    start: int


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if m is None:
            at = len(stripped) - len(stripped[pos:].lstrip())
            raise _error(text, at, f"the character {stripped[at]!r} is not part of R's "
                         "formula language", "use column names, +, *, :, /, ^, functions such "
                         "as log(x) or I(x^2), and random terms such as (1 | group)")
        tokens.append(_Tok(m.group(1), m.start(1)))
        pos = m.end()
    return tokens


def _error(formula: str, at: int, what: str, fix: str) -> ModelError:
    """A ModelError quoting the whole formula with a caret under the construct."""
    return ModelError(
        f"Cannot read the formula {formula!r}: {what}.\n    {formula}\n    {' ' * at}^\n"
        f"How to fix: {fix}."
    )


class _Parser:
    """Precedence climbing over the tokens, with R's precedence of operators."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos].text if self.pos < len(self.tokens) else None

    def here(self) -> int:
        if self.pos < len(self.tokens):
            return self.tokens[self.pos].start
        return len(self.text.rstrip())

    def fail(self, what: str, fix: str, at: int | None = None) -> ModelError:
        return _error(self.text, self.here() if at is None else at, what, fix)

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise self.fail("it ends too early", "complete the expression or close the "
                            "parenthesis")
        self.pos += 1
        return tok

    def expect(self, tok: str) -> None:
        if self.peek() != tok:
            found = "the end" if self.peek() is None else repr(self.peek())
            raise self.fail(f"expected {tok!r} but found {found}",
                            "check that every parenthesis is closed")
        self.pos += 1

    def expression(self, min_prec: int = 0) -> Expr:
        left = self.unary()
        while True:
            op = self.peek()
            if op == "**":
                op = "^"
            if op is not None and op.startswith("%") and op != "%in%":
                raise self.fail(f"the operator {op} is not supported",
                                "use %in% for nesting, or compute the column beforehand")
            prec = _PREC.get(op or "")
            if prec is None or prec < min_prec:
                return left
            self.take()
            # '^' is right-associative, the others left-associative
            right = self.expression(prec if op == "^" else prec + 1)
            left = BinOp(op, left, right)  # type: ignore[arg-type]

    def unary(self) -> Expr:
        if self.peek() == "-":
            self.take()
            return Neg(self.expression(6))
        if self.peek() == "+":
            self.take()
            return self.expression(6)
        return self.primary()

    def primary(self) -> Expr:
        at = self.here()
        tok = self.take()
        if tok == "(":
            inner = self.expression()
            self.expect(")")
            return Paren(inner)
        if tok.startswith("`"):
            if tok == "``":
                raise self.fail("an empty back-quoted name", "write the column name between "
                                "the back quotes", at)
            return self._maybe_call(tok[1:-1], at)
        if tok[0] in "'\"":
            return Str(bytes(tok[1:-1], "utf-8").decode("unicode_escape"))
        if tok[0].isdigit() or (tok[0] == "." and len(tok) > 1 and tok[1].isdigit()):
            value = float(tok.rstrip("L"))
            return Num(value, _r_number(value))
        if tok in ("TRUE", "True", "T"):
            return Bool(True)
        if tok in ("FALSE", "False", "F"):
            return Bool(False)
        if tok == ".":
            raise self.fail("'.' (all other columns) is not supported",
                            "list the columns by name", at)
        if re.fullmatch(r"[A-Za-z._][A-Za-z0-9_.]*", tok):
            return self._maybe_call(tok, at)
        raise self.fail(f"unexpected {tok!r}", "check the operators and parentheses", at)

    def _maybe_call(self, name: str, at: int) -> Expr:
        if self.peek() in ("[", "$", "@"):
            raise self.fail(f"indexing ({self.peek()}) is not supported in a formula",
                            "compute the column beforehand and use its name")
        if self.peek() != "(":
            return Name(name)
        self.take()
        args: list[Expr] = []
        kwargs: list[tuple[str, Expr]] = []
        while self.peek() != ")":
            if (self.pos + 1 < len(self.tokens) and self.tokens[self.pos + 1].text == "="
                    and re.fullmatch(r"[A-Za-z._][A-Za-z0-9_.]*", self.peek() or "")):
                key = self.take()
                self.take()
                kwargs.append((key, self.expression()))
            else:
                if kwargs:
                    raise self.fail("a positional argument after a named one",
                                    "put named arguments last")
                args.append(self.expression())
            if self.peek() == ",":
                self.take()
            elif self.peek() != ")":
                raise self.fail(f"expected ',' or ')' in the call of {name}()",
                                "separate arguments with commas and close the call")
        self.take()
        del at
        return Call(name, tuple(args), tuple(kwargs))


def _parse_expr(text: str) -> Expr:
    parser = _Parser(text)
    expr = parser.expression()
    if parser.peek() is not None:
        raise parser.fail(f"unexpected {parser.peek()!r}", "check the operators")
    return expr


# ------------------------------------------------------------------ term algebra
@dataclass(frozen=True)
class FixedSpec:
    """Terms of a (fixed-effects style) model formula right-hand side.

    ``terms`` are tuples of atom names (a main effect has one, an interaction
    several), in R's order: by interaction order, then as written; within a
    term the atoms follow their first appearance in the formula.
    ``atoms`` maps each atom name to its expression.
    """

    intercept: bool
    terms: tuple[tuple[str, ...], ...]
    atoms: dict[str, Expr] = field(default_factory=dict, compare=False, repr=False)

    @property
    def variables(self) -> tuple[str, ...]:
        """Atoms used, in order of first appearance."""
        seen: dict[str, None] = {}
        for term in self.terms:
            for v in term:
                seen.setdefault(v, None)
        return tuple(seen)

    @property
    def columns(self) -> tuple[str, ...]:
        """Data columns the terms read, in order of first appearance."""
        seen: dict[str, None] = {}
        for atom in self.variables:
            expr = self.atoms.get(atom, Name(atom))
            for v in expr_names(expr):
                seen.setdefault(v, None)
        return tuple(seen)


@dataclass(frozen=True)
class RandomTerm:
    """One random-effects term ``(rhs | group)`` after expanding ``/`` and ``||``.

    ``group`` is the lme4 name of the grouping factor (``g2:g1`` for the inner
    level of ``g1/g2``) and ``factors`` the variables whose combination forms it.
    """

    rhs: FixedSpec
    group: str
    factors: tuple[str, ...]


@dataclass(frozen=True)
class Formula:
    """A parsed mixed-model formula."""

    text: str
    response: str
    fixed: FixedSpec
    random: tuple[RandomTerm, ...]
    response_expr: Expr = field(default=Name(""), compare=False, repr=False)
    offsets: tuple[Expr, ...] = field(default=(), compare=False, repr=False)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every data column the formula reads (response, fixed, offsets, random)."""
        cols = list(expr_names(self.response_expr)) or [self.response]
        cols += self.fixed.columns
        for off in self.offsets:
            cols += expr_names(off)
        for r in self.random:
            cols += list(r.rhs.columns) + list(r.factors)
        return tuple(dict.fromkeys(cols))


class _Expander:
    """R's terms.formula: atoms become variables, operators combine term lists."""

    def __init__(self, parser_text: str, order: dict[str, int], atoms: dict[str, Expr]) -> None:
        self.text = parser_text
        self.order = order
        self.atoms = atoms

    def fail(self, what: str, fix: str, expr: Expr) -> ModelError:
        piece = deparse(expr)
        at = self.text.find(piece.split("(")[0]) if piece else 0
        return _error(self.text, max(at, 0), what, fix)

    def atom(self, expr: Expr) -> tuple[str, ...]:
        label = deparse(expr)
        self.atoms.setdefault(label, expr)
        self.order.setdefault(label, len(self.order))
        return (label,)

    def sort(self, term: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(dict.fromkeys(term), key=lambda a: self.order[a]))

    def expand(self, expr: Expr) -> list[tuple[str, ...]]:
        """Terms of ``expr``; ``()`` stands for the intercept."""
        if isinstance(expr, Paren):
            if isinstance(expr.inner, BinOp) and expr.inner.op in ("|", "||"):
                raise self.fail("a random-effect term inside another term",
                                "write random terms such as (1 | group) at the top level",
                                expr)
            return self.expand(expr.inner)
        if isinstance(expr, Num):
            if expr.value == 1:
                return [()]
            if expr.value == 0:
                return []
            raise self.fail(f"the number {expr.text} (only 0 and 1 may appear as terms)",
                            "wrap arithmetic in I(), e.g. I(2 * x)", expr)
        if isinstance(expr, Neg | Str | Bool):
            raise self.fail(f"{deparse(expr)!r} cannot be a model term",
                            "use column names or functions of them", expr)
        if isinstance(expr, Name | Call):
            if isinstance(expr, Call) and expr.func == "offset":
                raise self.fail("offset() inside another term",
                                "add offset(...) as a term of its own", expr)
            return [self.atom(expr)]
        left, right = expr.left, expr.right
        op = expr.op
        if op in ("|", "||"):
            raise self.fail("a random-effect bar without parentheses",
                            "put it in parentheses: (1 | group)", expr)
        if op == "+":
            return _union(self.expand(left), self.expand(right))
        if op == "-":
            drop = {frozenset(t) for t in self.expand(right)}
            return [t for t in self.expand(left) if frozenset(t) not in drop]
        if op == "^":
            if not isinstance(right, Num) or right.value != int(right.value) or right.value < 1:
                raise self.fail("'^' needs a positive whole number, as in (a + b + c)^2",
                                "for a power of a covariate write I(x^2) or poly(x, 2)", expr)
            base = self.expand(left)
            if len(base) == 1 and len(base[0]) == 1:
                warnings.warn(
                    f"In {self.text!r}, {deparse(expr)} is the interaction of "
                    f"{base[0][0]} with itself, which is {base[0][0]} (as in R). For its "
                    f"square write I({deparse(left)}^{deparse(right)}) or "
                    f"poly({deparse(left)}, {deparse(right)}).", UserWarning, stacklevel=5)
            out = list(base)
            for _ in range(int(right.value) - 1):
                out = _union(out, [self.sort(a + b) for a in out for b in base])
            return out
        lt, rt = self.expand(left), self.expand(right)
        if op == ":":
            return [self.sort(a + b) for a in lt for b in rt]
        if op == "*":
            return _union(lt, rt, [self.sort(a + b) for a in lt for b in rt])
        if op == "%in%":
            inner = tuple(v for t in rt for v in t)
            return [self.sort(a + inner) for a in lt]
        if op == "/":
            outer = tuple(v for t in lt for v in t)
            return _union(lt, [self.sort(outer + b) for b in rt])
        raise self.fail(f"the operator {op!r}", "see the formula documentation", expr)


def _union(*lists: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    seen: dict[frozenset[str], tuple[str, ...]] = {}
    for terms in lists:
        for t in terms:
            seen.setdefault(frozenset(t), t)
    return list(seen.values())


def _flatten(expr: Expr) -> list[tuple[str, Expr]]:
    """Signed items of a sum; the right operand of '-' is one item (R: a - (b + c))."""
    if isinstance(expr, BinOp) and expr.op in ("+", "-"):
        return _flatten(expr.left) + [(expr.op, expr.right)]
    if isinstance(expr, Neg):
        return [("-", expr.operand)]
    return [("+", expr)]


def _rhs(expr: Expr, text: str, order: dict[str, int], atoms: dict[str, Expr], *,
         allow_random: bool) -> tuple[FixedSpec, list[tuple[Expr, str, Expr]], list[Expr]]:
    """Expand a right-hand side: fixed spec, bars (lhs, kind, group), offsets."""
    exp = _Expander(text, order, atoms)
    intercept = True
    keep: list[tuple[str, ...]] = []
    removed: set[frozenset[str]] = set()
    bars: list[tuple[Expr, str, Expr]] = []
    offsets: list[Expr] = []
    for sign, item in _flatten(expr):
        inner = item.inner if isinstance(item, Paren) else None
        if isinstance(inner, BinOp) and inner.op in ("|", "||"):
            if not allow_random:
                raise exp.fail("a random-effect bar inside a random-effect term",
                               "write each (lhs | group) term at the top level", item)
            if sign == "-":
                raise exp.fail("a random-effect term cannot be subtracted",
                               "leave the term out instead", item)
            bars.append((inner.left, inner.op, inner.right))
            continue
        if isinstance(item, Call) and item.func == "offset":
            if len(item.args) != 1 or item.kwargs or sign == "-":
                raise exp.fail("offset() takes one expression and is added",
                               "write + offset(log(exposure))", item)
            offsets.append(item.args[0])
            continue
        if isinstance(item, Num) and item.value in (0, 1):
            intercept = (item.value == 1) == (sign == "+")
            continue
        terms = exp.expand(item)
        if sign == "-":
            for t in terms:
                if t == ():
                    intercept = False
                else:
                    removed.add(frozenset(t))
            continue
        for t in terms:
            if t == ():
                intercept = True
            else:
                keep.append(t)
    seen: dict[frozenset[str], tuple[str, ...]] = {}
    for t in keep:
        key = frozenset(t)
        if key not in removed and key not in seen:
            seen[key] = t
    ordered = sorted(seen.values(), key=len)  # stable: R orders by degree, then as written
    used = {a for t in ordered for a in t}
    return (FixedSpec(intercept=intercept, terms=tuple(ordered),
                      atoms={k: v for k, v in atoms.items() if k in used}), bars, offsets)


def parse_rhs(text: str, *, what: str = "formula") -> FixedSpec:
    """Parse a right-hand side without random terms into a :class:`FixedSpec`.

    Examples
    --------
    >>> parse_rhs("0 + a*b")
    FixedSpec(intercept=False, terms=(('a',), ('b',), ('a', 'b')))
    >>> parse_rhs("(a + b + c)^2 - a:c").terms
    (('a',), ('b',), ('c',), ('a', 'b'), ('b', 'c'))
    """
    if not text.strip():
        raise ModelError(f"The {what} {text!r} has an empty right-hand side.")
    spec, bars, offsets = _rhs(_parse_expr(text), text, {}, {}, allow_random=False)
    if bars or offsets:
        raise ModelError(f"The {what} {text!r} cannot contain random terms or offsets.")
    return spec


def _group_factors(expr: Expr, formula: str) -> list[tuple[str, tuple[str, ...]]]:
    """Grouping part ``g``, ``g1/g2`` or ``g1:g2`` -> [(lme4 name, factors)]."""
    def fail() -> ModelError:
        return _error(formula, max(formula.find("|"), 0),
                      f"cannot read the grouping factor {deparse(expr)!r}",
                      "after '|' write a column name, g1/g2 (nested) or g1:g2 (interaction)")

    def split(e: Expr, op: str) -> list[Expr]:
        if isinstance(e, BinOp) and e.op == op:
            return split(e.left, op) + split(e.right, op)
        return [e]

    nest = split(expr, "/")
    out: list[tuple[str, tuple[str, ...]]] = []
    for depth in range(len(nest), 0, -1):
        factors: list[str] = []
        for piece in nest[:depth]:
            for v in split(piece, ":"):
                if not isinstance(v, Name):
                    raise fail()
                factors.append(v.name)
        if len(nest) > 1:  # lme4 names the inner level first: g1/g2 -> g2:g1
            factors.reverse()
        out.append((":".join(factors), tuple(factors)))
    return out


def parse_formula(text: str, *, require_random: bool = True) -> Formula:
    """Parse an lme4 formula.

    Parameters
    ----------
    text : str
        ``response ~ fixed terms + (random | group) ...``.
    require_random : bool, default True
        Whether a random-effect term is required (an MMRM formula has none).

    Returns
    -------
    Formula
        Response, fixed-effects spec, offsets and random terms (``||`` split into
        uncorrelated terms, ``g1/g2`` into ``g2:g1`` and ``g1``, as lme4 does).

    Examples
    --------
    >>> f = parse_formula("y ~ x + (x || g) + (1 | a/b)")
    >>> [(b.group, b.factors) for b in f.random]
    [('g', ('g',)), ('g', ('g',)), ('b:a', ('b', 'a')), ('a', ('a',))]
    >>> parse_formula("y ~ a/b + (1 | g)").fixed.terms
    (('a',), ('a', 'b'))
    """
    if not isinstance(text, str) or text.count("~") != 1:
        raise ModelError(
            f"The formula {text!r} must contain exactly one '~', as in "
            "'outcome ~ arm * wave + (1 | participant)'."
        )
    parser = _Parser(text)
    if parser.peek() == "~":
        raise parser.fail("the response (left of '~') is missing",
                          "write the outcome column first: 'y ~ ...'")
    lhs = parser.expression(2)
    if parser.peek() != "~":
        raise parser.fail(f"unexpected {parser.peek()!r} in the response",
                          "the response is one column or one expression such as log(y)")
    parser.take()
    if parser.peek() is None:
        raise parser.fail("the right-hand side is empty", "add terms, e.g. 'y ~ x + (1 | g)'")
    rhs_expr = parser.expression()
    if parser.peek() is not None:
        raise parser.fail(f"unexpected {parser.peek()!r}", "check the operators and "
                          "parentheses")
    if isinstance(lhs, Paren):
        lhs = lhs.inner
    if not isinstance(lhs, Name | Call | BinOp | Neg) or (
            isinstance(lhs, BinOp) and lhs.op in ("|", "||", ":", "%in%")):
        raise _error(text, 0, f"the response {deparse(lhs)!r} is not a column or an "
                     "arithmetic expression", "write one column, or e.g. log(y) or I(y / 10)")
    if isinstance(lhs, BinOp):  # R: y + z ~ ... is not a response; use I()
        raise _error(text, 0, f"the response {deparse(lhs)!r} is arithmetic outside I()",
                     f"write I({deparse(lhs)})")
    order: dict[str, int] = {deparse(lhs): 0}  # R counts the response as variable 1
    atoms: dict[str, Expr] = {}
    fixed, bars, offsets = _rhs(rhs_expr, text, order, atoms, allow_random=True)
    random: list[RandomTerm] = []
    for left, kind, right in bars:
        rorder: dict[str, int] = {}
        spec, inner_bars, inner_off = _rhs(left, text, rorder, {}, allow_random=False)
        if inner_off:
            raise _error(text, text.find("offset"), "offset() inside a random-effect term",
                         "put offset(...) in the fixed part")
        del inner_bars
        for name, factors in _group_factors(right, text):
            if kind == "|":
                random.append(RandomTerm(spec, name, factors))
                continue
            if spec.intercept:
                random.append(RandomTerm(FixedSpec(True, ()), name, factors))
            for term in spec.terms:
                random.append(RandomTerm(FixedSpec(False, (term,), spec.atoms), name, factors))
    if not random and require_random:
        raise ModelError(
            f"The formula {text!r} has no random-effect term. Add one such as "
            "'+ (1 | participant)'; for a model without random effects use ordinary regression."
        )
    response = lhs.name if isinstance(lhs, Name) else deparse(lhs)
    return Formula(text=text, response=response, fixed=fixed, random=tuple(random),
                   response_expr=lhs, offsets=tuple(offsets))


def quote_name(name: str) -> str:
    """A column name as a formula term: back-quoted when R would need it.

    Examples
    --------
    >>> quote_name("phq9_total"), quote_name("age at entry")
    ('phq9_total', '`age at entry`')
    """
    return name if _syntactic(name) else f"`{name}`"


def formula_columns(formula: str) -> tuple[str, ...]:
    """The data columns a formula reads (response, fixed part, offsets, random terms).

    Examples
    --------
    >>> formula_columns("log(y) ~ poly(t, 2) * arm + (1 + t | id)")
    ('y', 't', 'arm', 'id')
    """
    return parse_formula(formula, require_random=False).columns


def add_terms(formula: str, terms: list[str] | tuple[str, ...]) -> str:
    """``formula`` with ``terms`` (column names, quoted as needed) added first on the right.

    Examples
    --------
    >>> add_terms("y ~ arm * wave + (1 | id)", ["age", "baseline score"])
    'y ~ age + `baseline score` + arm * wave + (1 | id)'
    """
    parse_formula(formula, require_random=False)  # reject a malformed formula before editing
    tilde = next(t for t in _tokenize(formula) if t.text == "~")
    if not terms:
        return formula
    lhs, rhs = formula[: tilde.start], formula[tilde.start + 1:]
    added = " + ".join(quote_name(t) for t in terms)
    return f"{lhs.rstrip()} ~ {added} + {rhs.strip()}"
