"""One rule for renamed keyword arguments.

helpstats uses one vocabulary of keyword names across the package (written
down in ``CONTRIBUTING.md``).  When a function's old keyword is renamed, the
old name keeps working for one release and emits a :class:`FutureWarning`
that names the new keyword; passing both names is an error.

Examples
--------
>>> import warnings
>>> @renamed_keywords(group="by")
... def count(data, *, by=None):
...     return by
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     count([], group="arm")
'arm'
>>> str(caught[0].message)
'count(group=...) is now count(by=...); the old name stops working in the next release.'
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import HelpstatsError

__all__ = ["renamed_keywords", "KeywordError"]

F = TypeVar("F", bound=Callable[..., Any])


class KeywordError(HelpstatsError, TypeError):
    """Both the old and the new name of a renamed keyword were given."""


def renamed_keywords(**old_to_new: str) -> Callable[[F], F]:
    """Accept old keyword names for one release, with a ``FutureWarning``.

    Parameters
    ----------
    **old_to_new : str
        Each old keyword name mapped to the name that replaces it.

    Returns
    -------
    callable
        A decorator that rewrites the old keywords to the new ones.

    Examples
    --------
    >>> @renamed_keywords(time="wave")
    ... def f(*, wave):
    ...     return wave
    >>> f(wave=3)
    3
    """

    def decorate(function: F) -> F:
        name = function.__name__

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise KeywordError(
                        f"{name}() got both {old}= and {new}=; {old}= is the old name of "
                        f"{new}=: pass only {new}=.")
                warnings.warn(
                    f"{name}({old}=...) is now {name}({new}=...); the old name stops "
                    "working in the next release.", FutureWarning, stacklevel=2)
                kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
