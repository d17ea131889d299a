"""Reading survey exports: one reader per format, auto-detection, one result type.

Examples
--------
>>> from helpstats.io import FORMATS
>>> "redcap" in FORMATS
True
"""

from __future__ import annotations

from ._export import FORMATS, Export, Source
from .detect import detect_format
from .read import read_export

__all__ = ["FORMATS", "Export", "Source", "detect_format", "read_export"]
