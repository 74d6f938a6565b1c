"""KNN and KNNRegressor with a scikit-learn ``DistanceMetric`` object as metric."""

from __future__ import annotations

import io
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.metrics import DistanceMetric
from sklearn.neighbors import KNeighborsRegressor

import skdeep
from skdeep import KNN, KNNRegressor
from skdeep.neighbors import _distances, _pairwise

METRICS = [
    ("manhattan", {}),
    ("minkowski", {"p": 3}),
    ("canberra", {}),
    ("mahalanobis", {"VI": np.diag([1.0, 2.0, 3.0, 4.0])}),
]
ALGORITHMS = ["auto", "brute", "ball_tree", "kd_tree"]


def _data(rng, n=80, n_queries=15, n_features=4):
    X = rng.normal(size=(n, n_features))
    return X, rng.normal(size=(n_queries, n_features)), rng.integers(0, 3, size=n)


def _exact_neighbours(metric, Q, X, k):
    """The k nearest by the object's own pairwise distances, ties by index."""
    D = metric.pairwise(Q, X)
    order = np.argsort(D, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(D, order, axis=1), order


@pytest.mark.parametrize("Estimator", [KNN, KNNRegressor])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("name", "params"), METRICS)
def test_neighbours_are_the_objects_own_distances(rng, Estimator, dtype, name, params):
    X, Q, y = _data(rng)
    X, Q = X.astype(dtype), Q.astype(dtype)
    metric = DistanceMetric.get_metric(name, dtype=dtype, **params)
    model = Estimator(5, metric=metric).fit(X, y)
    dist, ind = model.kneighbors(Q)
    expected_dist, expected_ind = _exact_neighbours(metric, Q, X, 5)
    assert_array_equal(ind, expected_ind)
    assert_array_equal(dist, expected_dist)
    assert dist.dtype == dtype
    assert model.effective_metric_ is metric
    assert model.effective_metric_params_ == {}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_regressor_matches_scikit_learns(rng, dtype, weights):
    X, Q, _ = _data(rng)
    X, Q = X.astype(dtype), Q.astype(dtype)
    y = rng.normal(size=X.shape[0])
    metric = DistanceMetric.get_metric("manhattan", dtype=dtype)
    ours = KNNRegressor(7, weights=weights, metric=metric).fit(X, y)
    ref = KNeighborsRegressor(7, weights=weights, metric=metric).fit(X, y)
    assert_array_equal(ours.kneighbors(Q)[1], ref.kneighbors(Q)[1])
    assert_allclose(ours.predict(Q), ref.predict(Q), rtol=1e-6)


def test_classifier_matches_the_same_metric_by_name(rng):
    X, Q, y = _data(rng)
    by_object = KNN(6, metric=DistanceMetric.get_metric("chebyshev")).fit(X, y)
    by_name = KNN(6, metric="chebyshev").fit(X, y)
    assert_array_equal(by_object.kneighbors(Q)[1], by_name.kneighbors(Q)[1])
    assert_array_equal(by_object.predict(Q), by_name.predict(Q))
    assert_array_equal(by_object.predict_proba(Q), by_name.predict_proba(Q))


def test_float64_metric_on_float32_data_ranks_in_float64(rng):
    # The trees compute in float64, so scikit-learn takes a DistanceMetric64
    # with float32 data there: its float64 distances decide the order.
    X, Q, y = _data(rng)
    X, Q = X.astype(np.float32), Q.astype(np.float32)
    metric = DistanceMetric.get_metric("euclidean")
    dist, ind = KNN(5, algorithm="ball_tree", metric=metric).fit(X, y).kneighbors(Q)
    expected_dist, expected_ind = _exact_neighbours(metric, Q, X, 5)
    assert_array_equal(ind, expected_ind)
    assert_array_equal(dist, expected_dist.astype(np.float32))


def test_blocks_are_computed_in_bounded_tiles(rng, monkeypatch):
    X, Q, y = _data(rng, n=50, n_queries=40)
    metric = DistanceMetric.get_metric("manhattan")
    whole = KNN(3, metric=metric).fit(X, y).kneighbors(Q)
    calls = []
    pairwise = metric.pairwise

    class Recording:
        def pairwise(self, A, B):
            calls.append((A.shape[0], B.shape[0]))
            return pairwise(A, B)

    # Tiles of 64 bytes: 8 float64 distances per pairwise call, or one
    # training point when a chunk has more queries.
    monkeypatch.setattr(_pairwise, "_REFINE_BYTES", 64)
    strategy = _pairwise.ObjectMetric(metric)
    strategy.name = Recording()
    monkeypatch.setattr(
        _distances.FittedIndex,
        "metric_strategy",
        property(lambda index: strategy),
    )
    with config_context(working_memory=0.001), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not adhere"
        tiled = KNN(3, metric=metric, n_jobs=2).fit(X, y).kneighbors(Q)
    assert len(calls) > 50
    assert all(n_train <= max(1, 8 // n_queries) for n_queries, n_train in calls)
    for a, b in zip(whole, tiled, strict=True):
        assert_array_equal(a, b)


def test_sparse_data_give_the_dense_neighbours(rng):
    X, Q, y = _data(rng)
    X[X < 0.3] = 0.0
    metric = DistanceMetric.get_metric("euclidean")
    dense = KNN(4, metric=metric).fit(X, y).kneighbors(Q)
    sparse = KNN(4, metric=metric).fit(sp.csr_array(X), y).kneighbors(sp.csr_array(Q))
    assert_array_equal(sparse[1], dense[1])
    assert_allclose(sparse[0], dense[0], rtol=1e-12)


def _outcome(Estimator, algorithm, dtype, metric, X, y, Q):
    try:
        Estimator(3, algorithm=algorithm, metric=metric).fit(X.astype(dtype), y)
        Estimator(3, algorithm=algorithm, metric=metric).fit(
            X.astype(dtype), y
        ).predict(Q.astype(dtype))
    except ValueError as error:
        return str(error)
    return None


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("metric_dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["euclidean", "haversine"])
def test_algorithm_and_dtype_rules_are_scikit_learns(
    rng, algorithm, dtype, metric_dtype, name
):
    X, Q, _ = _data(rng, n_features=2)
    y = rng.normal(size=X.shape[0])
    metric = DistanceMetric.get_metric(name, dtype=metric_dtype)
    ours = _outcome(KNNRegressor, algorithm, dtype, metric, X, y, Q)
    theirs = _outcome(KNeighborsRegressor, algorithm, dtype, metric, X, y, Q)
    assert (ours is None) == (theirs is None), (ours, theirs)
    if theirs is not None:
        assert ours.startswith(theirs.split(" for ")[0].split(" is not")[0])


def test_metric_params_are_refused_with_an_object(rng):
    X, _, y = _data(rng)
    metric = DistanceMetric.get_metric("euclidean")
    with pytest.raises(TypeError, match="takes no metric_params"):
        KNN(3, metric=metric, metric_params={"w": np.ones(4)}).fit(X, y)


def test_pickle_keeps_the_object_metric(rng):
    X, Q, y = _data(rng)
    model = KNN(3, metric=DistanceMetric.get_metric("manhattan")).fit(X, y)
    copy = pickle.loads(pickle.dumps(model))
    assert_array_equal(copy.kneighbors(Q)[1], model.kneighbors(Q)[1])


def test_skdeep_save_refuses_an_object_metric(rng):
    # skdeep files hold data only, never arbitrary objects: the metric name
    # ('manhattan') is what saves.
    X, _, y = _data(rng)
    model = KNN(3, metric=DistanceMetric.get_metric("manhattan")).fit(X, y)
    refused = r"Cannot save KNN\.metric: .*ManhattanDistance"
    with pytest.raises(TypeError, match=refused):
        skdeep.save(model, io.BytesIO())
    skdeep.save(KNN(3, metric="manhattan").fit(X, y), io.BytesIO())
