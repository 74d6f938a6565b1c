"""What a fitted network estimator must hold, checked when a file is loaded.

``skdeep.load`` rebuilds fitted attributes from data; these checks stand where
``fit`` would have made them consistent, so that a crafted or corrupted file
is refused at load instead of failing (or predicting NaN) later.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import is_classifier

from .. import nn
from .._validation import check_unfitted

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def check_network_state(estimator) -> None:
    """Raise ``ValueError`` naming the attribute unless the fitted state of the
    MLP ``estimator`` is consistent (nothing to check before ``fit``)."""
    state = vars(estimator)
    name = type(estimator).__name__
    if "network_" not in state:
        check_unfitted(name, state, "network_")
        return
    network = state["network_"]
    n_features = state.get("n_features_in_")
    if type(n_features) is not int or n_features < 1:
        raise ValueError(f"{name}.n_features_in_ must be a positive int.")
    if type(network) is not nn.Sequential:
        raise ValueError(f"{name}.network_ must be a skdeep.nn.Sequential.")
    dtype = vars(network).get("dtype")
    if dtype not in _FLOATS:
        raise ValueError(f"{name}.network_.dtype must be float32 or float64.")
    try:
        n_outputs = network.check_built(n_features, dtype)
    except ValueError as error:
        raise ValueError(f"{name}.network_: {error}") from error
    if state.get("n_outputs_") != n_outputs:
        raise ValueError(
            f"{name}.n_outputs_ is {state.get('n_outputs_')!r:.40}; its network "
            f"has {n_outputs} outputs."
        )
    dense = [layer for layer in network.layers if type(layer) is nn.Dense]
    for attribute, arrays in (("coefs_", "W"), ("intercepts_", "b")):
        held = state.get(attribute)
        expected = [getattr(layer, arrays) for layer in dense]
        if (
            type(held) is not list
            or len(held) != len(expected)
            or not all(_same_array(a, b) for a, b in zip(held, expected, strict=True))
        ):
            raise ValueError(
                f"{name}.{attribute} must hold the arrays {arrays} of the network's "
                "Dense layers."
            )
    if is_classifier(estimator):
        _check_classes(estimator, n_outputs)
    # The loss gives predictions their link (softmax, sigmoid, exp).
    expected = type(estimator._make_loss())
    if type(state.get("_loss")) is not expected:
        raise ValueError(
            f"{name}._loss is a {type(state.get('_loss')).__name__}; its parameters "
            f"give a {expected.__name__}."
        )


def _same_array(held, layer_array: np.ndarray) -> bool:
    # The very array, except in files saved from memory maps (joblib), whose
    # copies are written apart.
    return held is layer_array or (
        type(held) is np.ndarray
        and held.dtype == layer_array.dtype
        and held.shape == layer_array.shape
        and np.array_equal(held, layer_array)
    )


def _check_classes(estimator, n_outputs: int) -> None:
    name = type(estimator).__name__
    classes = vars(estimator).get("classes_")
    if type(classes) is not np.ndarray or classes.ndim != 1 or classes.size < 1:
        raise ValueError(f"{name}.classes_ must be a non-empty 1-d array.")
    binarizer = vars(estimator).get("_label_binarizer")
    binarizer_classes = vars(binarizer).get("classes_") if binarizer else None
    if type(binarizer_classes) is not np.ndarray or not _same_array(
        classes, binarizer_classes
    ):
        raise ValueError(f"{name}.classes_ must be its label binarizer's classes_.")
    activation = vars(estimator).get("out_activation_")
    multilabel = vars(estimator).get("_multilabel")
    if activation not in ("softmax", "logistic") or type(multilabel) is not bool:
        raise ValueError(f"{name}.out_activation_ or _multilabel is invalid.")
    binary = activation == "logistic" and not multilabel and classes.size <= 2
    expected = 1 if binary else classes.size
    if n_outputs != expected:
        raise ValueError(
            f"{name}.classes_ holds {classes.size} classes, for which the network "
            f"needs {expected} outputs, not {n_outputs}."
        )
