"""Exceptions and warnings raised by helpstats.

Every error is a :class:`HelpstatsError`; the specific classes also subclass
:class:`ValueError`, so ``except ValueError`` keeps working for callers that do
not know helpstats.

Examples
--------
>>> import helpstats as hs
>>> issubclass(hs.errors.ScoringError, ValueError)
True
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "HelpstatsError",
    "InstrumentError",
    "ScoringError",
    "ExportError",
    "ModelError",
    "StudyError",
    "RoleError",
    "HelpingError",
    "ReliabilityError",
    "MiskeyedItemWarning",
    "TableError",
    "LevelError",
    "ImputationError",
    "ImputationWarning",
    "ProvisionalKeyWarning",
    "AmbiguousCodingWarning",
    "HeywoodCaseWarning",
    "InvalidCellsWarning",
    "ExportWarning",
    "RoleMissingWarning",
    "OutputError",
]


class HelpstatsError(Exception):
    """Root of every helpstats error."""


class InstrumentError(HelpstatsError, ValueError):
    """An instrument definition file is missing, malformed or inconsistent."""


class ScoringError(HelpstatsError, ValueError):
    """Item responses could not be scored.

    Parameters
    ----------
    message : str
        What was found, what was expected and how to fix it.
    problems : pandas.DataFrame, optional
        One row per invalid cell: ``row, column, value, allowed``.
    """

    def __init__(self, message: str, problems: Any = None) -> None:
        super().__init__(message)
        self.problems = problems


class ExportError(HelpstatsError, ValueError):
    """A survey export could not be read."""


class ModelError(HelpstatsError, ValueError):
    """A mixed model could not be specified or fitted."""


class StudyError(HelpstatsError, ValueError):
    """A study file (``helpstats analyze``) is malformed."""


class RoleError(HelpstatsError, ValueError):
    """Helping roles could not be classified."""


class HelpingError(HelpstatsError, ValueError):
    """Within/between parts, lags, changes, role transitions or agreement, or a mediation
    model, could not be computed from the data given."""


class ReliabilityError(HelpstatsError, ValueError):
    """Reliability, item analysis or reliable change could not be computed."""

class ImputationError(HelpstatsError, ValueError):
    """Missing values could not be imputed, or imputed fits could not be pooled."""


class TableError(HelpstatsError, ValueError):
    """A results table or plot could not be built from its inputs, or not written."""


class LevelError(HelpstatsError, ValueError):
    """A confidence level (``level=``) outside (0, 1)."""


class ProvisionalKeyWarning(UserWarning):
    """A scoring key that is not verified against a primary source was used."""


class AmbiguousCodingWarning(UserWarning):
    """Responses fit more than one coding of an instrument and none was declared."""


class HeywoodCaseWarning(UserWarning):
    """A factor model behind omega needed a negative (bounded) residual variance."""


class InvalidCellsWarning(UserWarning):
    """Invalid item responses were scored as missing (``on_invalid="missing"``)."""


class MiskeyedItemWarning(UserWarning):
    """An item correlates negatively with the rest of its scale (reverse keying wrong?)."""


class ExportWarning(UserWarning):
    """A survey export was read with a change the user should know about.

    For example, repeated or empty column names were made unique
    (the renames are also in ``Export.source.renamed_columns``).
    """


class ImputationWarning(UserWarning):
    """Imputation chains may not have converged (see ``Imputation.rhat``)."""


class RoleMissingWarning(UserWarning):
    """Some members could not be given a helping role because a value is missing."""


class OutputError(TableError):
    """An output could not be written safely: it is an input, exists, or its folder cannot be
    made (see ``helpstats._output``)."""
