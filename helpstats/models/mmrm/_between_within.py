"""Between-within and residual df (SAS ``ddfm=bw`` / ``ddfm=residual``).

A model-matrix column that is constant within every subject is a *between*
column, any other a *within* column. SAS PROC MIXED counts the intercept as a
between column (R mmrm gives it the within df; ``intercept="within"`` follows
mmrm). ``between df = subjects - rank(between columns)``,
``within df = observations - subjects - (number of within columns)``; a contrast
takes the smallest df among the coefficients it involves.

Examples
--------
>>> import numpy as np
>>> X = np.column_stack([np.ones(6), [0, 0, 1, 1, 1, 1.0], [0, 1, 0, 1, 0, 1.0]])
>>> bw = BetweenWithin.from_design(X, np.repeat([0, 1, 2], 2), ["(Intercept)", "a", "t"])
>>> bw.kinds, bw.ddf_between, bw.ddf_within
(('between', 'between', 'within'), 1, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["BetweenWithin"]


@dataclass(frozen=True)
class BetweenWithin:
    """Classification of the model's columns and the two df."""

    kinds: tuple[str, ...]
    ddf_between: int
    ddf_within: int

    @classmethod
    def from_design(cls, X: np.ndarray, subjects: np.ndarray, names: Sequence[str], *,
                    intercept: str = "between") -> BetweenWithin:
        """Classify the columns of ``X`` (rows of used observations) by ``subjects``."""
        order = np.argsort(subjects, kind="stable")
        s = subjects[order]
        Xs = X[order]
        starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
        n_subj = len(starts)
        first = np.repeat(Xs[starts], np.diff(np.r_[starts, len(s)]), axis=0)
        varies = np.any(np.abs(Xs - first) > 1e-12 * (1 + np.abs(first)), axis=0)
        kinds = []
        for j, name in enumerate(names):
            if name == "(Intercept)":
                kinds.append(intercept)
            else:
                kinds.append("within" if varies[j] else "between")
        between = [j for j, k in enumerate(kinds) if k == "between"]
        rank_b = int(np.linalg.matrix_rank(X[:, between])) if between else 0
        n_within = sum(k == "within" for k in kinds)
        return cls(kinds=tuple(kinds), ddf_between=n_subj - rank_b,
                   ddf_within=len(s) - n_subj - n_within)

    def df(self, c: np.ndarray) -> float:
        """df of ``c'beta`` (or of ``C beta`` when ``c`` has rows): the smallest involved."""
        used = np.any(np.atleast_2d(c) != 0, axis=0)
        dfs = [self.ddf_between if k == "between" else self.ddf_within
               for k, u in zip(self.kinds, used, strict=True) if u]
        return float(min(dfs)) if dfs else float(self.ddf_within)
