"""Reproducibility: the same random_state gives bit-identical models and
predictions, whatever n_jobs, and predicting in one call or in many chunks
gives the same values (batch norm uses running statistics, dropout is off).

The equality tests could pass vacuously if random_state did nothing, so a
different random_state must give different weights.
"""

import itertools
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning

import skdeep
import skdeep.neural_network._base

from estimator_configurations import CONFIGURATIONS as ALL_CONFIGURATIONS
from estimator_configurations import config_id, with_budget

# Every registered configuration, with budgets small enough for many fits. The
# hidden layers have 16 units: test_networks_chunk_predictions_internally_...
# sizes its chunks from that.
CONFIGURATIONS = [
    with_budget(est, width=16, epochs=15, max_iter=50) for est in ALL_CONFIGURATIONS
]
IDS = [config_id(est) for est in CONFIGURATIONS]
# Those whose fit draws random numbers: random_state must matter.
RANDOMISED = [
    (est, name)
    for est, name in zip(CONFIGURATIONS, IDS, strict=True)
    if "hidden_layer_sizes" in est.get_params()
    or est.get_params().get("solver") in ("sgd", "adam")
]


def _data(est, dtype=np.float64, n=120):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, 5)).astype(dtype)
    if is_classifier(est):
        y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.8)
    else:
        y = X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + 0.1 * rng.normal(size=n)
    return X, y


def _fit(est, X, y, **params):
    est = clone(est).set_params(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def _learned(est) -> list[np.ndarray]:
    """Every number a fit learned: weights, biases, running statistics."""
    if hasattr(est, "network_"):
        return est.network_.get_weights()
    if hasattr(est, "coef_"):
        return [np.asarray(est.coef_), np.asarray(est.intercept_)]
    return [est._index.X, np.asarray(est._y)]  # KNN stores the training set


def _outputs(est, X) -> list[np.ndarray]:
    outputs = [np.asarray(est.predict(X))]
    for method in ("predict_proba", "decision_function"):
        if hasattr(est, method):
            outputs.append(np.asarray(getattr(est, method)(X)))
    return outputs


def _seeded(est) -> dict:
    return {"random_state": 0} if "random_state" in est.get_params() else {}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("est", CONFIGURATIONS, ids=IDS)
def test_same_random_state_gives_identical_models_and_predictions(est, dtype):
    X, y = _data(est, dtype)
    first = _fit(est, X, y, **_seeded(est))
    second = _fit(est, X, y, **_seeded(est))
    for a, b in zip(_learned(first), _learned(second), strict=True):
        assert_array_equal(a, b)
    for a, b in zip(_outputs(first, X), _outputs(second, X), strict=True):
        assert_array_equal(a, b)


@pytest.mark.parametrize(("est", "name"), RANDOMISED, ids=[n for _, n in RANDOMISED])
def test_a_different_random_state_gives_different_weights(est, name):
    X, y = _data(est)
    zero, one = _fit(est, X, y, random_state=0), _fit(est, X, y, random_state=1)
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(_learned(zero), _learned(one), strict=True)
    ), f"{name}: random_state changes nothing, so the equality tests prove nothing"


NEIGHBOURS = [
    (est, name)
    for est, name in zip(CONFIGURATIONS, IDS, strict=True)
    if isinstance(est, skdeep.KNN | skdeep.KNNRegressor)
]


@pytest.mark.parametrize("n_jobs", [2, -1])
@pytest.mark.parametrize(("est", "name"), NEIGHBOURS, ids=[n for _, n in NEIGHBOURS])
def test_neighbours_do_not_depend_on_n_jobs(est, name, n_jobs):
    X, y = _data(est, n=300)
    Q = np.random.default_rng(4).normal(size=(97, 5))
    serial = _fit(est, X, y, n_jobs=1)
    parallel = _fit(est, X, y, n_jobs=n_jobs)
    # A small working memory cuts the queries into many chunks, so that the
    # threads really share the work.
    with config_context(working_memory=0.05):
        for a, b in zip(_outputs(serial, Q), _outputs(parallel, Q), strict=True):
            assert_array_equal(a, b)
        for a, b in zip(serial.kneighbors(Q), parallel.kneighbors(Q), strict=True):
            assert_array_equal(a, b)


def _in_chunks(est, X, sizes) -> list[np.ndarray]:
    """The outputs of est on X, predicted in consecutive chunks of these sizes."""
    bounds = np.cumsum([0, *sizes])
    assert bounds[-1] == len(X)
    pieces = [_outputs(est, X[a:b]) for a, b in itertools.pairwise(bounds)]
    return [np.concatenate(parts) for parts in zip(*pieces, strict=True)]


# Single rows, then uneven chunks, then a large rest.
_CHUNKS = [1, 1, 1, 7, 13, 2, 95]


def _assert_same_up_to_rounding(actual, expected, dtype):
    """Equal within 1e-12 in float64. In float32 a matrix product of one row
    (BLAS gemv) and of many (gemm) may round differently in the last bit:
    allow 16 float32 ulps of the outputs' scale, far below any real change."""
    if dtype == np.float64 or expected.dtype.kind not in "fc":
        assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)
        return
    scale = max(1.0, float(np.max(np.abs(expected))))
    assert_allclose(actual, expected, rtol=0, atol=16 * np.finfo(dtype).eps * scale)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("est", CONFIGURATIONS, ids=IDS)
def test_predicting_in_chunks_gives_what_one_call_gives(est, dtype):
    X, y = _data(est, dtype)
    model = _fit(est, X, y, **_seeded(est))
    whole = _outputs(model, X)
    for a, b in zip(whole, _in_chunks(model, X, _CHUNKS), strict=True):
        _assert_same_up_to_rounding(b, a, dtype)


NETWORKS = [
    (est, name)
    for est, name in zip(CONFIGURATIONS, IDS, strict=True)
    if hasattr(est, "hidden_layer_sizes")
]


@pytest.mark.parametrize(("est", "name"), NETWORKS, ids=[n for _, n in NETWORKS])
def test_networks_chunk_predictions_internally_without_changing_them(
    est, name, monkeypatch
):
    X, y = _data(est)
    model = _fit(est, X, y, random_state=0)
    whole = _outputs(model, X)
    # Chunks of about 3 rows of the widest layer (16 units of 8 bytes).
    monkeypatch.setattr(skdeep.neural_network._base, "_PREDICT_CHUNK_BYTES", 3 * 16 * 8)
    for a, b in zip(whole, _outputs(model, X), strict=True):
        assert_allclose(b, a, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("est", "name"), NEIGHBOURS, ids=[n for _, n in NEIGHBOURS])
def test_neighbours_do_not_depend_on_working_memory(est, name):
    X, y = _data(est, n=300)
    Q = np.random.default_rng(5).normal(size=(97, 5))
    model = _fit(est, X, y)
    whole = _outputs(model, Q)
    with config_context(working_memory=0.01):  # chunks of a few queries
        for a, b in zip(whole, _outputs(model, Q), strict=True):
            assert_array_equal(b, a)
