"""Linear mixed models with lme4 parity.

:func:`fit_mixed` fits, :class:`MixedFit` holds the result (fixed effects with
Satterthwaite df, variance components, marginal means, contrasts, Type III
tests), :func:`compare` runs likelihood-ratio tests. :func:`fit_glmm` fits
generalized linear mixed models (:class:`GlmmFit`) with the response families
of :mod:`helpstats.models.families`.
"""

from . import families
from ._compare import compare
from ._emmeans import contrast_label
from .fit import MixedFit, fit_mixed
from .glmm import GlmmFit, fit_glmm

__all__ = ["GlmmFit", "MixedFit", "compare", "contrast_label", "families", "fit_glmm",
           "fit_mixed"]
