"""Checks of the targets ``y`` that scikit-learn's validation leaves to us.

``validate_data`` accepts string regression targets as they are (only object
arrays are converted, with ``y_numeric=True``) and lets labels that mix strings
and numbers through to ``np.unique``, which fails comparing them. Both end in
numpy errors that do not say what to change; these checks say it up front.
"""

from __future__ import annotations

import numpy as np


def check_label_types(y, estimator) -> None:
    """Refuse class labels that mix strings with other types (they cannot be sorted).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> check_label_types(["a", "b"], BaseEstimator())
    >>> check_label_types(np.array(["a", 1], dtype=object), BaseEstimator())
    Traceback (most recent call last):
    ...
    TypeError: BaseEstimator: the class labels mix types (int, str), ...
    """
    labels = np.asarray(y)
    if labels.dtype != object:
        return
    types = {type(label) for label in labels.ravel()}
    if len(types) > 1 and any(issubclass(t, str) for t in types):
        names = ", ".join(sorted(t.__name__ for t in types))
        raise TypeError(
            f"{type(estimator).__name__}: the class labels mix types ({names}), "
            "which cannot be sorted into classes_. Convert them to one type, for "
            "example all to strings with np.asarray(y).astype(str)."
        )


def check_numeric_targets(y, estimator) -> None:
    """Refuse regression targets given as strings.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> check_numeric_targets([1.5, 2.0], BaseEstimator())
    >>> check_numeric_targets(["1.5", "2.0"], BaseEstimator())
    Traceback (most recent call last):
    ...
    ValueError: BaseEstimator needs numeric targets, but y holds strings ...
    """
    targets = np.asarray(y)
    if targets.dtype.kind in "US" or (
        targets.dtype == object and any(isinstance(v, str) for v in targets.flat)
    ):
        raise ValueError(
            f"{type(estimator).__name__} needs numeric targets, but y holds "
            f"strings (dtype {targets.dtype}). Convert numbers written as text "
            "with np.asarray(y, dtype=float); for class labels use a classifier."
        )
