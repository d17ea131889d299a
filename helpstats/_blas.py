"""The BLAS thread-pool rule in one place: a controller found once, limits set through it.

Fits, profiles and imputations here multiply many small dense matrices; threaded
BLAS only adds synchronisation there (badly so on a busy machine), so they run
with one BLAS thread. Creating a ``threadpoolctl`` controller looks up every
loaded BLAS library, which costs milliseconds (a tenth of a small model's whole
fit), so the controller is created once, on first use, and reused.
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager
from typing import Any

__all__ = ["limit_blas"]


@functools.cache
def _controller() -> Any:
    """The process's BLAS thread-pool controller (created on first use)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def limit_blas(threads: int | None = 1) -> AbstractContextManager[Any]:
    """A context in which BLAS uses at most ``threads`` threads.

    Parameters
    ----------
    threads : int or None, default 1
        The limit; None leaves the BLAS thread pools as they are.

    Returns
    -------
    contextlib.AbstractContextManager
        Restores the previous limits on exit.

    Examples
    --------
    >>> import numpy as np
    >>> from helpstats._blas import limit_blas
    >>> with limit_blas():
    ...     float(np.eye(2) @ np.ones(2) @ np.ones(2))
    2.0
    """
    limiter: AbstractContextManager[Any] = _controller().limit(limits=threads, user_api="blas")
    return limiter
