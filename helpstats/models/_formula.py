"""Parse lme4 model formulas into a fixed part and random-effect terms.

The grammar is the subset of R's formula language that trial analyses use:
``y ~ a + b * c + a:b - 1 + (1 + x | g) + (x || g) + (1 | g1/g2)``.
Variable names are plain identifiers or back-quoted names.

Examples
--------
>>> f = parse_formula("y ~ role * wave + (1 | participant) + (1 | group)")
>>> f.response, f.fixed.terms
('y', (('role',), ('wave',), ('role', 'wave')))
>>> [(b.group, b.rhs.intercept) for b in f.random]
[('participant', True), ('group', True)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ModelError

__all__ = ["FixedSpec", "Formula", "RandomTerm", "parse_formula", "parse_rhs"]

_Item = tuple[str, ...] | int
_TOKEN = re.compile(r"\s*(`[^`]+`|[A-Za-z_.][A-Za-z0-9_.]*|\d+|\|\||[-+*:/()|~^])")


@dataclass(frozen=True)
class FixedSpec:
    """Terms of a (fixed-effects style) model formula right-hand side.

    ``terms`` are tuples of variable names (a main effect has one, an
    interaction several), in R's order: by interaction order, then as written.
    """

    intercept: bool
    terms: tuple[tuple[str, ...], ...]

    @property
    def variables(self) -> tuple[str, ...]:
        """Variables used, in order of first appearance."""
        seen: dict[str, None] = {}
        for term in self.terms:
            for v in term:
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


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ModelError(
                f"Cannot read the formula {text!r} at {text[pos:]!r}. Expected variable names "
                "joined by +, *, : and random-effect terms such as (1 | group)."
            )
        tokens.append(m.group(1))
        pos = m.end()
    return tokens


def _name(token: str) -> str:
    return token[1:-1] if token.startswith("`") else token


class _Parser:
    """Recursive descent over the tokens of one right-hand side."""

    def __init__(self, tokens: list[str], text: str) -> None:
        self.tokens = tokens
        self.pos = 0
        self.text = text

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise ModelError(f"The formula {self.text!r} ends too early.")
        self.pos += 1
        return tok

    def error(self, what: str) -> ModelError:
        return ModelError(f"Cannot read the formula {self.text!r}: {what}.")

    def group(self) -> list[_Item]:
        items = self.product()
        while self.peek() == "+":
            self.take()
            items = items + self.product()
        if self.peek() == "-":
            raise self.error("'-' inside parentheses is not supported")
        return items

    def product(self) -> list[_Item]:
        left = self.interaction()
        while self.peek() == "*":
            self.take()
            right = self.interaction()
            left = _cross(left, right, keep_main=True)
        return left

    def interaction(self) -> list[_Item]:
        left = self.atom()
        while self.peek() == ":":
            self.take()
            right = self.atom()
            left = _cross(left, right, keep_main=False)
        return left

    def atom(self) -> list[_Item]:
        tok = self.take()
        if tok == "(":
            items = self.group()
            if self.take() != ")":
                raise self.error("unbalanced parentheses")
            return items
        if tok.isdigit():
            if tok not in ("0", "1"):
                raise self.error(f"the number {tok} (only 0 and 1 may appear)")
            return [int(tok)]
        if tok in "+-*:/()|~^" or tok == "||":
            raise self.error(f"unexpected {tok!r}")
        return [(_name(tok),)]


def _cross(left: list[_Item], right: list[_Item], *, keep_main: bool) -> list[_Item]:
    lt = [t for t in left if isinstance(t, tuple)]
    rt = [t for t in right if isinstance(t, tuple)]
    out: list[_Item] = list(left) + list(right) if keep_main else []
    for a in lt:
        for b in rt:
            combo = tuple(dict.fromkeys(a + b))
            out.append(combo)
    return out


def parse_rhs(text: str, *, what: str = "formula") -> FixedSpec:
    """Parse a right-hand side without random terms into a :class:`FixedSpec`.

    Examples
    --------
    >>> parse_rhs("0 + a*b")
    FixedSpec(intercept=False, terms=(('a',), ('b',), ('a', 'b')))
    """
    tokens = _tokenize(text)
    if not tokens:
        raise ModelError(f"The {what} {text!r} has an empty right-hand side.")
    parser = _Parser(tokens, text)
    marks: list[tuple[str, ...]] = []
    sign = "+"
    if parser.peek() == "-":
        parser.take()
        sign = "-"
    removed: set[frozenset[str]] = set()
    intercept = True
    while True:
        for t in parser.product():
            if isinstance(t, int):
                intercept = (t == 1) == (sign == "+")
            elif sign == "-":
                removed.add(frozenset(t))
            else:
                marks.append(t)
        tok = parser.peek()
        if tok in ("+", "-"):
            sign = parser.take()
            continue
        if tok is not None:
            raise parser.error(f"unexpected {tok!r}")
        break
    seen: dict[frozenset[str], tuple[str, ...]] = {}
    for t in marks:
        key = frozenset(t)
        if key not in removed and key not in seen:
            seen[key] = t
    ordered = sorted(seen.values(), key=len)  # stable: R orders by degree, then as written
    return FixedSpec(intercept=intercept, terms=tuple(ordered))


def _split_top(text: str) -> list[tuple[str, str]]:
    """Split ``text`` at top-level + and - into (sign, chunk) pairs."""
    parts: list[tuple[str, str]] = []
    depth = 0
    start = 0
    sign = "+"
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch in "+-" and depth == 0:
            parts.append((sign, text[start:i]))
            sign = ch
            start = i + 1
    parts.append((sign, text[start:]))
    return [(s, c.strip()) for s, c in parts if c.strip()]


def _bar_position(inner: str) -> tuple[int, str] | None:
    depth = 0
    for i, ch in enumerate(inner):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            if i + 1 < len(inner) and inner[i + 1] == "|":
                return i, "||"
            return i, "|"
    return None


def _group_factors(text: str, formula: str) -> list[tuple[str, tuple[str, ...]]]:
    """Grouping part ``g``, ``g1/g2`` or ``g1:g2`` -> [(lme4 name, factors)]."""
    nest = [p.strip() for p in text.split("/")]
    out: list[tuple[str, tuple[str, ...]]] = []
    for depth in range(len(nest), 0, -1):
        factors: list[str] = []
        for piece in nest[:depth]:
            for v in piece.split(":"):
                v = v.strip()
                if not re.fullmatch(r"`[^`]+`|[A-Za-z_.][A-Za-z0-9_.]*", v):
                    raise ModelError(
                        f"Cannot read the grouping factor {text!r} in {formula!r}: expected "
                        "a column name, g1/g2 (nested) or g1:g2."
                    )
                factors.append(_name(v))
        if len(nest) > 1:  # lme4 names the inner level first: g1/g2 -> g2:g1
            factors.reverse()
        out.append((":".join(factors), tuple(factors)))
    return out


def parse_formula(text: str) -> Formula:
    """Parse an lme4 formula.

    Parameters
    ----------
    text : str
        ``response ~ fixed terms + (random | group) ...``.

    Returns
    -------
    Formula
        Response name, fixed-effects spec and random terms (``||`` split into
        uncorrelated terms, ``g1/g2`` into ``g2:g1`` and ``g1``, as lme4 does).

    Examples
    --------
    >>> f = parse_formula("y ~ x + (x || g) + (1 | a/b)")
    >>> [(b.group, b.factors) for b in f.random]
    [('g', ('g',)), ('g', ('g',)), ('b:a', ('b', 'a')), ('a', ('a',))]
    """
    if not isinstance(text, str) or text.count("~") != 1:
        raise ModelError(
            f"The formula {text!r} must contain exactly one '~', as in "
            "'outcome ~ arm * wave + (1 | participant)'."
        )
    lhs, rhs = (s.strip() for s in text.split("~"))
    if not re.fullmatch(r"`[^`]+`|[A-Za-z_.][A-Za-z0-9_.]*", lhs):
        raise ModelError(
            f"The response {lhs!r} in {text!r} must be a single column name."
        )
    fixed_chunks: list[str] = []
    random: list[RandomTerm] = []
    for sign, chunk in _split_top(rhs):
        bar = None
        if chunk.startswith("(") and chunk.endswith(")"):
            bar = _bar_position(chunk[1:-1])
        if bar is None:
            fixed_chunks.append(f"{sign} {chunk}")
            continue
        if sign == "-":
            raise ModelError(f"A random-effect term cannot be subtracted in {text!r}.")
        inner = chunk[1:-1]
        pos, kind = bar
        left = inner[:pos].strip()
        right = inner[pos + len(kind):].strip()
        spec = parse_rhs(left or "1", what="random-effect term")
        for name, factors in _group_factors(right, text):
            if kind == "|":
                random.append(RandomTerm(spec, name, factors))
                continue
            if spec.intercept:
                random.append(RandomTerm(FixedSpec(True, ()), name, factors))
            for term in spec.terms:
                random.append(RandomTerm(FixedSpec(False, (term,)), name, factors))
    fixed_text = " ".join(fixed_chunks).strip()
    if fixed_text.startswith("+"):
        fixed_text = fixed_text[1:]
    fixed = parse_rhs(fixed_text or "1")
    if not random:
        raise ModelError(
            f"The formula {text!r} has no random-effect term. Add one such as "
            "'+ (1 | participant)'; for a model without random effects use ordinary regression."
        )
    return Formula(text=text, response=_name(lhs), fixed=fixed, random=tuple(random))
