"""Generalized linear mixed models with glmer parity.

:func:`fit_glmm` fits binomial, Poisson and negative binomial (NB2) mixed
models by the Laplace approximation or adaptive Gauss-Hermite quadrature;
:class:`GlmmFit` holds the result. One file per concept: the random-effects
system and its factor (``_system``), PIRLS (``_pirls``), the Laplace and
quadrature deviances (``_quadrature``), the two optimisation stages and the
Hessian (``_optimize``), the response (``_response``), separation checks
(``_separation``), Wald inference (``_wald``) and the summary (``_summary``).
"""

from .fit import fit_glmm
from .result import GlmmFit

__all__ = ["GlmmFit", "fit_glmm"]
