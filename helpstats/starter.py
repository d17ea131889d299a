"""A newcomer's starting points: the study-file reference page and a copy of the example study.

``STUDY_FILE.md`` (every section and key of a study file, with its type, default and an
example) ships inside the package next to the bundled example study;
:func:`study_file_reference` returns its text (``helpstats docs study-file`` prints it) and
:func:`copy_example` copies the example study, its data and the reference page into a
folder of the user's (``helpstats example -o DIR``), where ``helpstats analyze`` runs it.

Examples
--------
>>> from helpstats.starter import study_file_reference
>>> study_file_reference().splitlines()[0]
'# The study file (`study.toml`)'
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from .errors import HelpstatsError

__all__ = ["ExampleExistsError", "copy_example", "study_file_path", "study_file_reference"]

REFERENCE = "STUDY_FILE.md"
EXAMPLE = "example_study.toml"


class ExampleExistsError(HelpstatsError, ValueError):
    """A file :func:`copy_example` would write exists already (and ``force`` was not given)."""


def _data_dir() -> Path:
    return Path(str(resources.files("helpstats").joinpath("data")))


def study_file_path() -> Path:
    """Where the installed reference page of the study-file format is.

    Examples
    --------
    >>> from helpstats.starter import study_file_path
    >>> study_file_path().name
    'STUDY_FILE.md'
    """
    return _data_dir() / REFERENCE


def study_file_reference() -> str:
    """The reference page of the study-file format (Markdown text)."""
    return study_file_path().read_text(encoding="utf-8")


def example_files() -> list[Path]:
    """The bundled files :func:`copy_example` copies: the study file, the exports it
    reads (``[data] files``) and the reference page."""
    from .study import load_study

    study = load_study(_data_dir() / EXAMPLE)
    return [study.path, *(entry.path for entry in study.files), study_file_path()]


def copy_example(folder: str | Path, *, force: bool = False) -> list[Path]:
    """Copy the bundled example study into ``folder`` (created if needed).

    Parameters
    ----------
    folder : str or pathlib.Path
        Where to put ``example_study.toml``, its data and ``STUDY_FILE.md``.
    force : bool
        Replace files of the same name in ``folder``; without it an existing
        file stops the copy before anything is written.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ExampleExistsError
        A file to be written exists (and ``force`` is false), or ``folder`` is a file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from helpstats.starter import copy_example
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "my-study"
    >>> [p.name for p in copy_example(folder)]
    ['example_study.toml', 'example_study.csv', 'STUDY_FILE.md']
    """
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise ExampleExistsError(f"{target}: is a file; give a folder for the example study.")
    sources = example_files()
    existing = [target / source.name for source in sources if (target / source.name).exists()]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        raise ExampleExistsError(f"{names} already exist(s); choose another folder, or pass "
                                 "force=True to replace them.")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        destination = target / source.name
        if destination.is_dir():
            raise ExampleExistsError(f"{destination}: is a folder; remove it or choose another "
                                     "folder.")
        shutil.copyfile(source, destination)
        written.append(destination)
    return written
