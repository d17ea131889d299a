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
import inspect
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import HelpstatsError

__all__ = ["renamed_keywords", "KeywordError", "keyword_only"]

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


def keyword_only(*names: str) -> Callable[[F], F]:
    """Accept, for one release, keyword-only arguments that used to be positional.

    The decorated function declares ``names`` keyword-only; a call that still
    passes them by position (after the function's positional parameters) works
    and emits a :class:`FutureWarning` that names the keyword.

    Parameters
    ----------
    *names : str
        The keyword-only parameters, in their former positional order.

    Returns
    -------
    callable
        The decorator.

    Examples
    --------
    >>> import warnings
    >>> @keyword_only("columns")
    ... def alpha(data, instrument, *, columns=None):
    ...     return columns
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     alpha([], "phq9", "Q5_{n}")
    'Q5_{n}'
    >>> str(caught[0].message)
    'alpha(..., columns) by position is now alpha(..., columns=...); passing it by position \
stops working in the next release.'
    """

    def decorate(function: F) -> F:
        name = function.__name__
        params = inspect.signature(function).parameters.values()
        n_positional = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            extra = args[n_positional:]
            if extra:
                if len(extra) > len(names):
                    raise TypeError(f"{name}() takes {n_positional} positional arguments "
                                    f"(then {', '.join(f'{n}=' for n in names)} by keyword) "
                                    f"but {len(args)} were given.")
                moved = names[:len(extra)]
                for old in moved:
                    if old in kwargs:
                        raise KeywordError(f"{name}() got {old} both by position and as {old}=; "
                                           f"pass only {old}=.")
                warnings.warn(
                    f"{name}(..., {', '.join(moved)}) by position is now {name}(..., "
                    f"{'=..., '.join(moved)}=...); passing it by position stops working in the "
                    "next release.", FutureWarning, stacklevel=2)
                kwargs.update(zip(moved, extra, strict=True))
                args = args[:n_positional]
            return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
