"""What a fitted neighbours estimator must hold, checked when a file is loaded.

``skdeep.load`` rebuilds fitted attributes from data; these checks stand where
``fit`` would have made them consistent. The training points are checked as
the array ``fit`` stores (an ordinary C-contiguous array: a zero-stride view
of a few bytes would be copied to its full size by the first query); what the
search derives from them (norms, the integer grid) is computed again from them
rather than trusted.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from .._validation import check_unfitted
from . import _distances, _trees

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def check_neighbors_state(estimator, classifier: bool) -> None:
    """Raise ``ValueError`` naming the attribute unless the training points,
    targets and classes of ``estimator`` are consistent."""
    state = vars(estimator)
    name = type(estimator).__name__
    if "_index" not in state:
        check_unfitted(name, state, "_index")
        return
    n_samples, n_features = state.get("n_samples_fit_"), state.get("n_features_in_")
    for attribute, value in (
        ("n_samples_fit_", n_samples),
        ("n_features_in_", n_features),
    ):
        if type(value) is not int or value < 1:
            raise ValueError(f"{name}.{attribute} must be a positive int.")
    index = state["_index"]
    if type(index) is not _distances.FittedIndex:
        raise ValueError(f"{name}._index must be a FittedIndex.")
    allow_nan = estimator.__sklearn_tags__().input_tags.allow_nan
    _check_points(name, index, (n_samples, n_features), allow_nan)
    _rebuild_search_state(estimator, index)
    y = state.get("_y")
    if type(y) is not np.ndarray or y.ndim not in (1, 2) or len(y) != n_samples:
        raise ValueError(f"{name}._y must be an array of {n_samples} targets.")
    if classifier:
        _check_codes(estimator, y)
    elif y.dtype.kind not in "fiu" or not np.isfinite(y).all():
        raise ValueError(f"{name}._y must hold finite numbers.")


def _check_points(name: str, index, shape: tuple, allow_nan: bool) -> None:
    where = f"{name}._index"
    if "csr" in vars(index):
        csr = vars(index)["csr"]
        try:
            points = sp.csr_array(
                (csr["data"], csr["indices"], csr["indptr"]), shape=tuple(csr["shape"])
            )
            points.check_format(full_check=True)
        except (TypeError, ValueError, KeyError, IndexError) as error:
            raise ValueError(
                f"{where}.csr is not a valid CSR matrix ({error})."
            ) from error
        data = csr["data"]
    else:
        points = data = vars(index).get("X")
        if type(points) is not np.ndarray or not points.flags.c_contiguous:
            raise ValueError(f"{where}.X must be an ordinary C-contiguous array.")
    if points.shape != shape or data.dtype not in _FLOATS:
        raise ValueError(
            f"{where}: the training points are a {data.dtype} array of shape "
            f"{points.shape}; expected float32 or float64 of shape {shape}."
        )
    values = data[~np.isnan(data)] if allow_nan else data
    if not np.isfinite(values).all():
        raise ValueError(f"{where}: the training points hold NaN or infinite values.")


def _rebuild_search_state(estimator, index) -> None:
    """Check the index's metric against the estimator's parameters and
    recompute what the search derives from the training points.

    The norms, their maximum and the integer grid bound the rounding of the
    search's first pass: values from a file could make it miss the true
    neighbours, so they are computed again, as ``fit`` computes them.
    """
    name = type(estimator).__name__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fit has warned about the parameters
        strategy = estimator._metric_strategy(index.points)[0]
    held = (vars(index).get("metric"), vars(index).get("p"))
    if held != (strategy.name, strategy.p):
        raise ValueError(
            f"{name}._index searches with metric {held[0]!r:.40} and p "
            f"{held[1]!r:.20}; the parameters give {strategy.name!r} and p "
            f"{strategy.p!r}."
        )
    algorithm, leaf_size = index.algorithm, index.leaf_size
    if algorithm not in ("brute", *_trees.TREES):
        raise ValueError(f"{name}._index: unknown search {algorithm!r:.40}.")
    if algorithm != "brute" and (
        type(leaf_size) is not int
        or leaf_size < 1
        or "X" not in vars(index)
        or _trees.minkowski_power(strategy) is None
    ):
        raise ValueError(
            f"{name}._index: a {algorithm} search needs a positive int leaf_size, "
            "dense training points and a Minkowski metric."
        )
    for attribute in ("grid", "sqnorms", "max_sqnorm", "tree"):
        vars(index).pop(attribute, None)
    if algorithm == "brute":
        index.prepare_brute_force(strategy)
    # A tree index computes them on first use, if it ever falls back.


def _check_codes(estimator, y: np.ndarray) -> None:
    name = type(estimator).__name__
    two_d = vars(estimator).get("outputs_2d_")
    classes = vars(estimator).get("classes_")
    per_output = classes if two_d is True else [classes]
    if (
        type(two_d) is not bool
        or type(per_output) is not list
        or y.ndim != (2 if two_d else 1)
        or y.reshape(len(y), -1).shape[1] != len(per_output)
    ):
        raise ValueError(f"{name}.classes_, outputs_2d_ and _y do not match.")
    # One array of labels per output, all of the dtype of the targets fitted.
    if len({getattr(c, "dtype", None) for c in per_output}) != 1:
        raise ValueError(f"{name}.classes_ must be arrays of one dtype.")
    if y.dtype.kind not in "iu":
        raise ValueError(f"{name}._y must hold integer class codes.")
    codes = y.reshape(len(y), -1)
    for k, classes_k in enumerate(per_output):
        if type(classes_k) is not np.ndarray or classes_k.ndim != 1:
            raise ValueError(f"{name}.classes_ must be 1-d arrays of labels.")
        column = codes[:, k]
        if column.size and not 0 <= column.min() <= column.max() < classes_k.size:
            raise ValueError(
                f"{name}._y holds class codes outside [0, {classes_k.size}) "
                "(the classes_ it indexes)."
            )
