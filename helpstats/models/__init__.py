"""Linear mixed models with lme4 parity.

:func:`fit_mixed` fits, :class:`MixedFit` holds the result (fixed effects with
Satterthwaite df, variance components, marginal means, contrasts, Type III
tests), :func:`compare` runs likelihood-ratio tests.
"""

from ._compare import compare
from ._emmeans import contrast_label
from .fit import MixedFit, fit_mixed

__all__ = ["MixedFit", "compare", "contrast_label", "fit_mixed"]
