"""The dtype of a role column, which carries the rule that made it.

``DataFrame.attrs`` is dropped by ``join``, ``concat`` and column assignment,
so the role rule of :func:`helpstats.classify_roles` travels in the column's
dtype instead: :class:`RoleDtype` is the ordered categorical
``neither < helpee < helper < dual`` (equal to ``ROLE_DTYPE`` for every pandas
purpose) plus the rule. Assignment into a frame, ``merge``, ``join``,
indexing, sorting, pickling and ``concat`` of columns with the same rule keep
it; ``concat`` of columns made by different rules gives a plain ordered
categorical (which rule would apply is then unknowable), and so does
recomputing the values.

Examples
--------
>>> import numpy as np, pandas as pd
>>> dtype = RoleDtype({"method": "median"})
>>> roles = pd.Series(RoleCategorical.from_codes(np.array([0, 3]), dtype=dtype))
>>> frame = pd.DataFrame({"id": [1, 2]})
>>> frame["role"] = roles
>>> role_rule(pd.concat([frame, frame])["role"])
{'method': 'median'}
>>> roles.dtype == pd.CategoricalDtype(["neither", "helpee", "helper", "dual"], ordered=True)
True
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["ROLES", "RoleCategorical", "RoleDtype", "role_rule"]

#: The role categories, in their (ordered) category order.
ROLES: tuple[str, ...] = ("neither", "helpee", "helper", "dual")


class RoleDtype(pd.CategoricalDtype):
    """Ordered categorical ``neither < helpee < helper < dual`` carrying a role rule.

    Parameters
    ----------
    rule : dict
        The rule of :func:`helpstats.classify_roles` (``method``, ``cutoffs``, ...).
    """

    def __init__(self, rule: Mapping[str, Any] | None = None,
                 categories: Sequence[str] = ROLES, ordered: bool = True) -> None:
        super().__init__(list(categories), ordered=ordered)
        self._rule = copy.deepcopy(dict(rule or {}))

    @property
    def rule(self) -> dict[str, Any]:
        """A copy of the role rule."""
        return copy.deepcopy(self._rule)

    def _same_rule(self, other: Any) -> bool:
        return isinstance(other, RoleDtype) and other._rule == self._rule

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RoleDtype):
            return super().__eq__(other) and self._same_rule(other)
        return super().__eq__(other)

    __hash__ = pd.CategoricalDtype.__hash__

    def __reduce__(self) -> tuple[Any, ...]:
        return (RoleDtype, (self._rule, list(self.categories), self.ordered))

    @classmethod
    def construct_array_type(cls) -> type[RoleCategorical]:
        return RoleCategorical

    def _get_common_dtype(self, dtypes: list[Any]) -> Any:
        plain = pd.CategoricalDtype(self.categories, ordered=self.ordered)
        if all(isinstance(d, pd.CategoricalDtype) and plain == d for d in dtypes):
            if all(self._same_rule(d) for d in dtypes):
                return self
            return plain  # roles of different rules (or none): keep the categories only
        return super()._get_common_dtype(dtypes)


class RoleCategorical(pd.Categorical):
    """The array behind a role column: a Categorical whose ``concat`` keeps a shared rule."""

    @classmethod
    def _concat_same_type(cls, to_concat: Sequence[Any], axis: int = 0) -> Any:
        result = super()._concat_same_type(to_concat, axis=axis)
        first = to_concat[0].dtype
        if isinstance(first, RoleDtype) and all(first._same_rule(x.dtype) for x in to_concat):
            return cls.from_codes(result.codes, dtype=first)
        return result


def role_rule(roles: Any) -> dict[str, Any] | None:
    """The rule carried by a role column (its dtype, else its ``attrs``), or None."""
    dtype = getattr(roles, "dtype", None)
    if isinstance(dtype, RoleDtype):
        return dtype.rule
    attrs = getattr(roles, "attrs", None)
    if isinstance(attrs, Mapping) and isinstance(attrs.get("role_rule"), Mapping):
        return dict(attrs["role_rule"])
    return None
