"""The LaTeX (``.tex``) writer: booktabs tables, every special character escaped."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ._layout import Composed

__all__ = ["latex_document", "latex_text"]

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
            "|": r"\textbar{}", "\u00d7": r"$\times$", "\u03b1": r"$\alpha$",
            "\u03c9": r"$\omega$", "\u03c7": r"$\chi$", "\u00b2": r"\textsuperscript{2}",
            "\n": " ", "\r": " "}
_PATTERN = re.compile("|".join(re.escape(c) for c in _SPECIAL))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def latex_text(text: str) -> str:
    r"""Text as LaTeX prints it literally: ``\ & % $ # _ { } ~ ^ < > |`` escaped, line
    breaks as spaces, control characters dropped; nothing in it is a command.

    Examples
    --------
    >>> print(latex_text(r"50% of $x_1 & {y}\input{z}"))
    50\% of \$x\_1 \& \{y\}\textbackslash{}input\{z\}
    """
    return _PATTERN.sub(lambda m: _SPECIAL[m.group()], _CONTROL.sub("", str(text)))


def _table(name: str, composed: Composed) -> str:
    lines = [r"\begin{table}[htbp]", r"\centering", f"\\caption{{{latex_text(name)}}}"]
    for panel in composed.panels:
        columns = "".join("r" if panel.right_aligned(j) else "l"
                          for j in range(len(panel.header)))
        if panel.title and len(composed.panels) > 1:
            lines.append(f"\\par\\medskip\\textit{{{latex_text(panel.title)}}}\\par")
        lines += [f"\\begin{{tabular}}{{{columns}}}", r"\toprule",
                  " & ".join(latex_text(c) for c in panel.header) + r" \\", r"\midrule"]
        for k, row in enumerate(panel.rows):
            cells = [latex_text(composed.text(c)) for c in row]
            if panel.emphasis and panel.emphasis[k] and cells and cells[0]:
                cells[0] = f"\\textbf{{{cells[0]}}}"
            lines.append(" & ".join(cells) + r" \\")
        lines += [r"\bottomrule", r"\end{tabular}"]
    if composed.note:
        lines.append(f"\\par\\smallskip{{\\footnotesize\\textit{{Note.}} "
                     f"{latex_text(composed.note)}}}")
    lines.append(r"\end{table}")
    return "\n".join(lines)


def latex_document(composed: Mapping[str, Composed]) -> str:
    """Every table as a booktabs ``table`` environment, in a document that compiles as it
    is (``\\input`` the tables into a paper by copying the environments)."""
    body = "\n\n".join(_table(name, table) for name, table in composed.items())
    return ("% Written by helpstats. Needs \\usepackage{booktabs}.\n"
            "\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n\\usepackage[T1]{fontenc}\n"
            "\\usepackage{booktabs}\n\\usepackage{textcomp}\n\\begin{document}\n\n"
            + body + "\n\n\\end{document}\n")
