"""Mixed models for repeated measures (MMRM): SAS PROC MIXED ``REPEATED`` / R mmrm.

:func:`fit_mmrm` fits, :class:`MmrmFit` holds the result. One file per concept:
``_structures`` (covariance structures and their parameter maps), ``_engine``
(likelihood, analytic gradient and observed Hessian, optimiser),
``_kenward_roger``, ``_satterthwaite``, ``_between_within``, ``_sandwich``,
``_inference`` (df and covariance per method), ``_hypotheses`` (grid, emmeans,
contrasts, Type III), ``_result`` and ``_fit``.
"""

from ._fit import fit_mmrm
from ._inference import DF_METHODS as MMRM_DF_METHODS
from ._result import MmrmFit
from ._sandwich import VCOV_TYPES
from ._structures import STRUCTURES

__all__ = ["MMRM_DF_METHODS", "STRUCTURES", "VCOV_TYPES", "MmrmFit", "fit_mmrm"]
