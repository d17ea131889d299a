"""How result objects show themselves: a short ``repr``, escaped HTML, a summary object.

Every result object (model fits, pooled fits, exports) prints a few lines in
``repr`` -- what it is, what it was fitted to, where the tables are -- never
the arrays and frames it holds, and gives notebooks ``_repr_html_``. Its
``summary()`` returns a :class:`Summary`: a ``str`` whose text is the printed
summary, with the summary's tables as attributes and an HTML form.

Examples
--------
>>> import pandas as pd
>>> s = Summary("Model fit\\nFormula: y ~ x", heading="Model <fit>",
...             tables={"fixed": pd.DataFrame({"term": ["x"], "estimate": [1.5]})})
>>> print(s)
Model fit
Formula: y ~ x
>>> s.fixed["estimate"].tolist(), "Formula" in s
([1.5], True)
>>> "&lt;fit&gt;" in s._repr_html_()
True
>>> print(short_repr("MixedFit", ["formula: y ~ x", "10 observations"]))
MixedFit
  formula: y ~ x
  10 observations
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["Summary", "frame_html", "result_html", "short_repr"]


class Summary(str):
    """The text summary of a result, with its tables as attributes.

    A ``str`` (so ``print``, ``in`` and string methods work as before), whose
    ``repr`` is the text itself and whose ``_repr_html_`` is the same text,
    escaped, for notebooks. ``tables`` holds the summary's tables by name, and
    each is also an attribute (``fit.summary().fixed``).

    Parameters
    ----------
    text : str
        The summary as printed.
    heading : str
        One line naming the result (the HTML heading).
    tables : dict of str to pandas.DataFrame, optional
        The tables shown in the summary.
    """

    heading: str
    tables: dict[str, pd.DataFrame]

    def __new__(cls, text: str, *, heading: str = "",
                tables: Mapping[str, pd.DataFrame] | None = None) -> Summary:
        obj = super().__new__(cls, text)
        obj.heading = heading
        obj.tables = dict(tables or {})
        return obj

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(
            f"this summary has no table {name!r}; its tables are {sorted(tables)}.")

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.__dict__.get("tables", {})))

    def __repr__(self) -> str:
        return str(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_summary, (str(self), self.heading, self.tables))

    def _repr_html_(self) -> str:
        head = f"<strong>{html.escape(self.heading)}</strong>" if self.heading else ""
        return (f'<div class="helpstats-summary">{head}'
                f"<pre>{html.escape(str(self))}</pre></div>")


def _summary(text: str, heading: str, tables: Mapping[str, pd.DataFrame]) -> Summary:
    return Summary(text, heading=heading, tables=tables)


def short_repr(kind: str, lines: Iterable[str]) -> str:
    """``kind`` on the first line, then each line indented by two spaces."""
    return "\n".join([kind, *(f"  {line}" for line in lines)])


def frame_html(frame: pd.DataFrame, *, max_rows: int = 30) -> str:
    """A DataFrame as an escaped HTML table (numbers to 4 significant digits)."""
    return str(frame.to_html(index=False, escape=True, max_rows=max_rows, border=0,
                             float_format=lambda x: f"{x:.4g}", na_rep=""))


def result_html(title: str, lines: Sequence[str],
                tables: Mapping[str, pd.DataFrame] | None = None) -> str:
    """Escaped HTML: a heading, one paragraph line per fact, then the named tables."""
    parts = [f'<div class="helpstats-result"><strong>{html.escape(title)}</strong>']
    if lines:
        parts.append("<p>" + "<br>".join(html.escape(line) for line in lines) + "</p>")
    for name, frame in (tables or {}).items():
        parts.append(f"<p><em>{html.escape(name)}</em></p>{frame_html(frame)}")
    parts.append("</div>")
    return "".join(parts)
