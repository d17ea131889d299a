"""Figure files that can be handed on: palette, labels, and PNG + SVG + PDF with their caption.

A figure of helpstats has a number, a title and a caption. :func:`save_figure`
writes it in three formats and stores the numbered title and the caption in
each file, so a figure pasted into a paper or e-mailed on its own still says
what it shows:

=======  ==============================================================
PNG      text chunks ``Title`` and ``Description`` (matplotlib ``metadata=``)
SVG      ``<title>`` and ``<desc>`` elements, text kept as text
PDF      document ``Title`` and ``Subject``
=======  ==============================================================

The palette is Okabe & Ito's (2008) colour-blind-safe set, and every group
also gets its own marker and line style, so groups stay apart in grey-scale
print.

Labels: the functions that draw take ``labels=``: ``None``, a mapping from
column name to label, or an object with ``variable(name)`` and
``level(column, value)`` methods (such as :class:`helpstats.tables.Labels`, which reads a
study file's ``[labels]`` and ``wave_label`` and knows the instruments' scale names).

Examples
--------
>>> style(0), style(1)
(('#E69F00', 'o', '-'), ('#56B4E9', 's', '--'))
>>> label_of({"wave": "Months since baseline"}, "wave"), label_of(None, "wave")
('Months since baseline', 'wave')
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ._output import atomic_write, safe_stem

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FIGURE_FORMATS", "OKABE_ITO", "FigureFile", "label_of", "level_of",
           "save_figure", "style"]

#: Okabe & Ito (2008) colours: orange, sky blue, bluish green, blue, vermillion, reddish
#: purple, then yellow (faint on white, so late) and black (also the "overall" colour).
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442",
             "#000000")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_LINES = ("-", "--", "-.", ":")

#: The formats :func:`save_figure` writes, in this order.
FIGURE_FORMATS = ("png", "svg", "pdf")


def style(index: int) -> tuple[str, str, str]:
    """Colour, marker and line style of the ``index``-th group (they cycle)."""
    return (OKABE_ITO[index % len(OKABE_ITO)], _MARKERS[index % len(_MARKERS)],
            _LINES[index % len(_LINES)])


def label_of(labels: Any, name: Any) -> str:
    """The label of a column: from ``labels`` (see the module notes), else the name.

    Examples
    --------
    >>> label_of({"age": "Age (years)"}, "age"), label_of({"age": "Age"}, "sex")
    ('Age (years)', 'sex')
    """
    text = str(name)
    if labels is None:
        return text
    if hasattr(labels, "variable"):
        return str(labels.variable(text))
    if isinstance(labels, Mapping):
        return str(labels.get(text, text))
    return text


def level_of(labels: Any, column: Any, value: Any) -> str:
    """The label of one level of ``column`` (its text without a level label).

    Examples
    --------
    >>> level_of(None, "arm", 1.0), level_of({"arm": "Arm"}, "arm", "peer")
    ('1', 'peer')
    """
    if labels is not None and hasattr(labels, "level"):
        return str(labels.level(column, value))
    return _text(value)


def _text(value: Any) -> str:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class FigureFile:
    """A figure written by :func:`save_figure`.

    Attributes
    ----------
    number : int
    title : str
    caption : str
    paths : mapping of str to pathlib.Path
        The file of each format (``"png"``, ``"svg"``, ``"pdf"``).
    """

    number: int
    title: str
    caption: str
    paths: Mapping[str, Path]

    @property
    def heading(self) -> str:
        """``"Figure 1. <title>"``."""
        return f"Figure {self.number}. {self.title}"


def save_figure(
    figure: Figure,
    folder: str | Path,
    name: str,
    *,
    number: int,
    title: str,
    caption: str,
    formats: Sequence[str] = FIGURE_FORMATS,
    dpi: int = 120,
) -> FigureFile:
    """Write ``figure`` as PNG, SVG and PDF, each holding the numbered title and caption.

    The numbered title is also drawn at the top of the figure. Files are written
    atomically (see :func:`helpstats._output.atomic_write`).

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    folder : str or pathlib.Path
    name : str
        File stem (made safe for a file name).
    number : int
        The figure number (``Figure 1``).
    title, caption : str
        A one-line title; the caption says what every mark means.
    formats : sequence of str, default ("png", "svg", "pdf")
    dpi : int, default 120
        Resolution of the PNG.

    Returns
    -------
    FigureFile

    Examples
    --------
    >>> import tempfile
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [1, 2])
    >>> saved = save_figure(fig, tempfile.mkdtemp(), "line", number=2, title="A line",
    ...                     caption="Points joined by a line.")
    >>> sorted(saved.paths), saved.heading
    (['pdf', 'png', 'svg'], 'Figure 2. A line')
    >>> "<desc>Points joined by a line.</desc>" in saved.paths["svg"].read_text()
    True
    >>> plt.close(fig)
    """
    import matplotlib

    from . import __version__

    unknown = [f for f in formats if f not in FIGURE_FORMATS]
    if unknown:
        from .errors import OutputError

        raise OutputError(f"save_figure: format(s) {unknown} are not written; use some of "
                          f"{list(FIGURE_FORMATS)}.")
    folder = Path(folder)
    heading = f"Figure {number}. {title}"
    figure.suptitle(heading, x=0.02, ha="left", fontsize=11, fontweight="bold")  # replaces one
    if figure.get_layout_engine() is None:
        # room for the title and a legend outside the axes: laid out once, then frozen so
        # that each of the three formats is drawn once (no layout pass per file)
        figure.set_layout_engine("constrained")
        figure.draw_without_rendering()
        figure.set_layout_engine("none")
    software = f"helpstats {__version__} (matplotlib {matplotlib.__version__})"
    metadata: dict[str, dict[str, Any]] = {
        "png": {"Title": heading, "Description": caption, "Software": software},
        "svg": {"Title": heading, "Description": caption, "Creator": software, "Date": None},
        "pdf": {"Title": heading, "Subject": caption, "Creator": software,
                "CreationDate": None},
    }
    stem = safe_stem(name, default="figure")
    paths: dict[str, Path] = {}
    for fmt in formats:
        path = folder / f"{stem}.{fmt}"

        def write(stream: IO[bytes], fmt: str = fmt) -> None:
            with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": stem}):
                if fmt == "svg":
                    buffer = io.BytesIO()
                    figure.savefig(buffer, format="svg", metadata=metadata["svg"])
                    stream.write(_svg_with_desc(buffer.getvalue(), caption))
                else:
                    figure.savefig(stream, format=fmt, metadata=metadata[fmt], dpi=dpi)

        paths[fmt] = atomic_write(path, write)
    return FigureFile(number=number, title=title, caption=caption, paths=paths)


def _svg_with_desc(svg: bytes, caption: str) -> bytes:
    """Add ``<desc>`` (the caption) after the ``<title>`` matplotlib writes."""
    text = svg.decode("utf-8")
    desc = f"<desc>{html.escape(caption, quote=False)}</desc>"
    end = text.find("</title>")
    if end >= 0:
        end += len("</title>")
        text = text[:end] + desc + text[end:]
    else:
        start = text.find(">", text.find("<svg")) + 1
        text = text[:start] + desc + text[start:]
    return text.encode("utf-8")
