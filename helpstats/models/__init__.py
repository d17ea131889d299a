"""Linear mixed models with lme4 parity.

:func:`fit_mixed` fits, :class:`MixedFit` holds the result (fixed effects with
Satterthwaite or Kenward-Roger df, variance components, marginal means,
contrasts, Type III tests, confidence intervals), :func:`compare` runs
likelihood-ratio tests. Every fit carries its :class:`ModelSpec` and
implements the :class:`ModelResult` protocol that the inference is written
against. :func:`fit_glmm` fits generalized linear mixed models
(:class:`GlmmFit`) with the response families of :mod:`helpstats.models.families`.
"""

from . import families
from ._compare import compare
from ._emmeans import contrast_label
from ._formula import add_terms, formula_columns, quote_name
from ._protocol import ModelResult
from .fit import MixedFit, fit_mixed
from .glmm import GlmmFit, fit_glmm
from .spec import FactorInfo, ModelSpec, RandomInfo, TransformInfo

__all__ = [
    "FactorInfo",
    "GlmmFit",
    "MixedFit",
    "ModelResult",
    "ModelSpec",
    "RandomInfo",
    "TransformInfo",
    "add_terms",
    "compare",
    "contrast_label",
    "families",
    "fit_glmm",
    "fit_mixed",
    "formula_columns",
    "quote_name",
]
