"""Least squares at the edges of the float range: sample weights rescaled by a
power of two, and coefficients the dtype cannot represent refused."""

from __future__ import annotations

import math

import numpy as np

from .._validation import largest_magnitude
from . import _sparse_least_squares as sparse_ls


def power_of_two_scale(array) -> float:
    """The power of two at or below max|array| (1 for an all-zero array).

    For the centered operator of sparse X: at or below a bound of max|A|.
    """
    if isinstance(array, sparse_ls.CenteredOperator):
        largest = array.largest_entry_bound()
    else:
        largest = max(float(array.max()), -float(array.min())) if array.size else 0.0
    return math.ldexp(1.0, math.frexp(largest)[1] - 1) if largest > 0 else 1.0


def unit_weights(sample_weight, alpha):
    """Weights beyond 2^±64 divided by a power of two c near their maximum, α too.

    ``½Σsᵢrᵢ² + ½α‖w‖²`` is c times the objective with ``s/c`` and ``α/c``
    (same minimiser), whose ``√s·x`` and squares stay in range and whose gd
    tolerance means something. An α/c that overflows: the penalty dominates.
    """
    if sample_weight is None:
        return None, alpha
    scale = power_of_two_scale(sample_weight)
    if 2.0**-64 <= scale <= 2.0**64:
        return sample_weight, alpha
    return sample_weight / sample_weight.dtype.type(scale), alpha / scale


def check_representable(coef, intercept, X, Y) -> None:
    """Refuse coefficients beyond the dtype's range (inf/NaN from the solvers).

    Features of order 1e-308 explaining targets of order 1 need coefficients
    beyond 1e308: the exact solution does not exist in the dtype.
    """
    if np.isfinite(coef).all() and np.isfinite(intercept).all():
        return
    dtype = np.dtype(X.dtype)
    raise ValueError(
        "LeastSquaresRegressor: the least-squares coefficients overflow "
        f"{dtype} (largest {float(np.finfo(dtype).max):.3g}): the features (values "
        f"up to {largest_magnitude(X):.3g}) are too small next to the targets "
        f"(up to {largest_magnitude(Y):.3g}) for the exact solution to be "
        "represented. Standardise the features (e.g. "
        "sklearn.preprocessing.StandardScaler) or rescale them."
    )
