"""The fitted state of the scikit-learn preprocessors a file may hold, checked.

skdeep's own classes check their fitted attributes themselves
(``_check_fitted_state``). scikit-learn's scalers do not, and a loaded one
is used at once: a complex or zero ``scale_`` divides every query, a list
where an array belongs fails inside ``transform``. So a preprocessor is
compared with one of the same parameters fitted here on a few rows of its
width: it must hold the same fitted attributes, of the same types; its float
arrays of the same shapes, finite (and a ``scale_`` never zero, as fit makes
it); its other values equal, except the sample count (which transform
does not read).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    PolynomialFeatures,
    RobustScaler,
    StandardScaler,
)

# The scikit-learn preprocessors a file may hold (the allow-list reads them).
PREPROCESSORS = (
    StandardScaler,
    MinMaxScaler,
    MaxAbsScaler,
    RobustScaler,
    Normalizer,
    PolynomialFeatures,
)
# A reference of n_features_in_ columns costs that many floats: a file may
# ask for more only if its own arrays are that large.
_FREE_WIDTH = 2**16


def check_preprocessor_state(obj) -> None:
    """Raise ``ValueError`` naming the attribute unless the fitted state of the
    scikit-learn preprocessor ``obj`` is one its ``fit`` could have made."""
    if type(obj) not in PREPROCESSORS:
        return
    name = type(obj).__name__
    state = vars(obj)
    if not any(k.endswith("_") and not k.startswith("__") for k in state):
        return  # not fitted
    width = state.get("n_features_in_")
    largest = max(
        [v.size for v in state.values() if isinstance(v, np.ndarray)], default=0
    )
    if type(width) is not int or not 1 <= width <= max(_FREE_WIDTH, largest):
        raise ValueError(f"{name}.n_features_in_ must be a positive int.")
    rows = np.arange(2.0 * width).reshape(2, width) ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = vars(clone(obj).fit(rows))
    for key, expected in reference.items():
        if key not in state:
            raise ValueError(f"{name} is fitted but has no {key}.")
        _check_value(f"{name}.{key}", state[key], expected)


def _check_value(where: str, value, expected) -> None:
    if isinstance(expected, np.ndarray):
        if type(value) is not np.ndarray or value.shape != expected.shape:
            raise ValueError(f"{where} must be an array of shape {expected.shape}.")
        if expected.dtype.kind == "f":
            if value.dtype.kind != "f" or not np.isfinite(value).all():
                raise ValueError(f"{where} must hold finite floats.")
            if where.endswith(".scale_") and not value.all():
                raise ValueError(f"{where} holds zeros, which fit never leaves.")
        elif value.dtype != expected.dtype or not np.array_equal(value, expected):
            raise ValueError(f"{where} does not match the other parameters.")
    elif where.endswith(".n_samples_seen_"):
        return  # a count (or counts) of the data fitted; transform reads none
    elif type(value) is not type(expected) or value != expected:
        raise ValueError(f"{where} must be {expected!r}, not {value!r:.40}.")
