"""What a fitted linear model must hold, checked when a file is loaded.

``skdeep.load`` rebuilds fitted attributes from data; these checks stand where
``fit`` would have made them consistent, so that a crafted or corrupted file
is refused at load instead of failing (or predicting NaN) later.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_unfitted

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def check_linear_state(estimator, classifier: bool) -> None:
    """Raise ``ValueError`` naming the attribute unless ``coef_``,
    ``intercept_`` and (for a classifier) ``classes_`` are consistent."""
    state = vars(estimator)
    name = type(estimator).__name__
    if "coef_" not in state:
        check_unfitted(name, state, "coef_")
        return
    n_features = state.get("n_features_in_")
    if type(n_features) is not int or n_features < 1:
        raise ValueError(f"{name}.n_features_in_ must be a positive int.")
    coef = _finite_float_array(name, "coef_", state["coef_"])
    intercept = state.get("intercept_")
    if classifier:
        rows = coef.shape[0] if coef.ndim == 2 else None
        # Files of skdeep 0.1.0.dev0 lack _score_columns.
        if (
            coef.shape != (rows, n_features)
            or state.get("_score_columns", rows) != rows
        ):
            raise ValueError(
                f"{name}.coef_ has shape {coef.shape}, expected "
                f"({state.get('_score_columns')!r:.20}, {n_features}) (score "
                "columns, features)."
            )
        intercept = _finite_float_array(name, "intercept_", intercept)
        if intercept.shape != (rows,) or intercept.dtype != coef.dtype:
            raise ValueError(f"{name}.intercept_ must match coef_'s rows and dtype.")
        _check_classes(estimator, rows)
        return
    if coef.ndim not in (1, 2) or coef.shape[-1] != n_features:
        raise ValueError(
            f"{name}.coef_ has shape {coef.shape}; its last axis must be the "
            f"{n_features} features."
        )
    if coef.ndim == 1:
        if type(intercept) is not float or not np.isfinite(intercept):
            raise ValueError(f"{name}.intercept_ must be a finite float.")
    else:
        intercept = _finite_float_array(name, "intercept_", intercept)
        if intercept.shape != coef.shape[:1]:
            raise ValueError(f"{name}.intercept_ must have one value per target.")


def _finite_float_array(name: str, attribute: str, value) -> np.ndarray:
    if type(value) is not np.ndarray or value.dtype not in _FLOATS:
        raise ValueError(f"{name}.{attribute} must be a float32 or float64 array.")
    if not np.isfinite(value).all():
        raise ValueError(f"{name}.{attribute} holds NaN or infinite values.")
    return value


def _check_classes(estimator, rows: int) -> None:
    name = type(estimator).__name__
    classes = vars(estimator).get("classes_")
    if type(classes) is not np.ndarray or classes.ndim != 1 or classes.size < 2:
        raise ValueError(f"{name}.classes_ must be a 1-d array of 2 or more classes.")
    # Two classes take one column of scores, or two with a softmax link.
    expected = (1, 2) if classes.size == 2 else (classes.size,)
    if rows not in expected:
        raise ValueError(
            f"{name}.classes_ holds {classes.size} classes, which need "
            f"{' or '.join(map(str, expected))} score columns, not {rows}."
        )
