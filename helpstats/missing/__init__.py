"""Missing data: multiple imputation, pooling with Rubin's rules, sensitivity and patterns."""

from .imputation import Imputation, impute
from .pattern import dropout_model, dropout_table, missing_pattern, plot_dropout
from .pooling import PooledFit, pool
from .tipping import TippingPoint, tipping_point

__all__ = ["Imputation", "PooledFit", "TippingPoint", "dropout_model", "dropout_table", "impute",
           "missing_pattern", "plot_dropout", "pool", "tipping_point"]
