"""The metric strategies and their registry, apart from the search driver.

A metric is one class in ``skdeep.neighbors._metrics`` plus its entry in
``METRICS``: the estimators take their ``metric`` names from the registry and
the driver runs any metric through the same interface.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.spatial.distance import cdist
from sklearn.metrics import DistanceMetric
from sklearn.utils._param_validation import StrOptions

import skdeep.neighbors._distances as distances
import skdeep.neighbors._metrics as metrics
from skdeep import KNN, KNNRegressor
from skdeep.neighbors._knn import _KNNBase

# scipy's name and power for each registered metric, built with p = 3.
SCIPY = {
    "euclidean": ("euclidean", {}),
    "manhattan": ("cityblock", {}),
    "chebyshev": ("chebyshev", {}),
    "minkowski": ("minkowski", {"p": 3}),
}


@pytest.mark.parametrize("Estimator", [KNN, KNNRegressor])
def test_the_estimators_accept_exactly_the_registered_metric_names(Estimator):
    # The registered names, their aliases and 'precomputed' (callables and
    # scikit-learn DistanceMetric objects aside).
    constraint, callables, objects = Estimator._parameter_constraints["metric"]
    assert callables is callable
    assert objects is DistanceMetric
    assert constraint.options == (
        set(metrics.METRICS) | set(metrics.ALIASES) | {"precomputed"}
    )
    assert set(metrics.ALIASES.values()) <= set(metrics.METRICS)
    for name in metrics.METRICS:
        model = Estimator(1, metric=name, p=3).fit([[0.0], [1.0]], [0, 1])
        assert model.effective_metric_ == name


# The metrics with a rank pass to refine (the others fill exact blocks).
RANKED = sorted(n for n, cls in metrics.METRICS.items() if not cls.exact_block)


@pytest.mark.parametrize("name", RANKED)
def test_exact_rank_values_become_the_distance(rng, name):
    metric = metrics.get_metric(name, 3)
    Q, X = rng.normal(size=(30, 7)), rng.normal(size=(30, 7))
    scipy_name, kwargs = SCIPY[name]
    got = metric.to_distance(metric.exact_rank(Q - X))
    assert_allclose(got, np.diag(cdist(Q, X, scipy_name, **kwargs)), rtol=1e-13)


@pytest.mark.parametrize(
    ("name", "p", "expected"),
    [
        ("minkowski", 1, metrics.Manhattan),
        ("minkowski", 2.0, metrics.Euclidean),
        ("minkowski", np.inf, metrics.Chebyshev),
        ("minkowski", 2.5, metrics.Minkowski),
        ("chebyshev", 3, metrics.Chebyshev),
    ],
)
def test_minkowski_with_a_claimed_p_gets_the_dedicated_metric(name, p, expected):
    metric = metrics.get_metric(name, p)
    assert type(metric) is expected
    assert metric.params == ({"p": 2.5} if expected is metrics.Minkowski else {})


def test_an_unknown_metric_name_lists_the_registered_ones():
    with pytest.raises(ValueError, match="Unknown metric 'cosine'") as error:
        metrics.get_metric("cosine")
    for name in metrics.METRICS:
        assert f"'{name}'" in str(error.value)


class _BroadcastManhattan(metrics.Metric):
    """L1 with a naive, unblocked rank pass: a metric the driver never saw."""

    name = "broadcast_manhattan"

    def rank(self, Q, index, out):
        np.abs(Q[:, None, :] - index.X[None, :, :]).sum(axis=2, out=out)
        return metrics._gamma(Q.shape[1] + 2, out.dtype), np.zeros(Q.shape[0])

    def exact_rank(self, diff):
        return np.abs(diff).sum(axis=1)


def test_a_new_metric_class_runs_through_the_unchanged_driver_and_estimators(
    rng, monkeypatch
):
    monkeypatch.setitem(metrics.METRICS, "broadcast_manhattan", _BroadcastManhattan)
    # The constraint the estimators build from the registry when imported.
    monkeypatch.setitem(
        _KNNBase._parameter_constraints,
        "metric",
        [StrOptions(set(metrics.METRICS))],
    )
    X, Q = rng.normal(size=(300, 5)), rng.normal(size=(40, 5))
    y = rng.integers(0, 3, size=300)
    ours = KNN(6, metric="broadcast_manhattan", n_jobs=2).fit(X, y)
    ref = KNN(6, metric="manhattan").fit(X, y)
    assert ours.effective_metric_ == "broadcast_manhattan"
    assert ours._index.grid is None
    for Q_or_self in (Q, None):
        got, want = ours.kneighbors(Q_or_self), ref.kneighbors(Q_or_self)
        for a, b in zip(got, want, strict=True):
            assert_array_equal(a, b)
    index = distances.FittedIndex(X, _BroadcastManhattan())
    dist, ind = distances.kneighbors(Q, index, 4, working_memory=0.01)
    assert_array_equal(ind, ref.kneighbors(Q, 4)[1])
    assert_array_equal(dist, ref.kneighbors(Q, 4)[0])


@pytest.mark.parametrize("name", ["manhattan", "chebyshev"])
def test_the_grid_pass_bounds_its_error_from_the_exact_distances(rng, name):
    metric = metrics.get_metric(name)
    X, Q = rng.normal(size=(200, 9)), 2 * rng.normal(size=(25, 9))
    index = distances.FittedIndex(X, metric)
    out = np.empty((25, 200), dtype=np.float32)
    abs_tol, exact = metric.grid_rank(Q, index, out)
    assert not exact
    true = cdist(Q, X, "cityblock" if name == "manhattan" else "chebyshev")
    error = np.abs(index.grid.scale * out - true)
    assert (error <= index.grid.scale * abs_tol[:, None]).all()


@pytest.mark.parametrize("name", RANKED)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_float_rank_pass_stays_within_its_bound(rng, name, dtype):
    # Rank values equal the exact ones up to a constant per row (‖q‖² for
    # the Euclidean product form), within rel·|value| + abs_tol. Coordinates
    # are multiples of 2**-10 in [-2, 2]: the float64 reference is exact.
    metric = metrics.get_metric(name, 3)
    X = (rng.integers(-2048, 2049, size=(150, 6)) / 1024).astype(dtype)
    Q = (rng.integers(-2048, 2049, size=(20, 6)) / 1024).astype(dtype)
    index = distances.FittedIndex(X, metric)
    out = np.empty((20, 150), dtype=dtype)
    rel, abs_tol = metric.rank(Q, index, out)
    diff = Q[:, None, :].astype(np.float64) - X[None, :, :]
    exact = metric.exact_rank(diff.reshape(-1, 6)).reshape(20, 150)
    if name == "euclidean":
        exact = exact - np.einsum("ij,ij->i", Q, Q, dtype=np.float64)[:, None]
    error = np.abs(out.astype(np.float64) - exact)
    assert (error <= rel * np.abs(exact) + abs_tol[:, None]).all()


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_exact_rank_values_become_the_semimetric_distance_for_p_below_one(rng, p):
    metric = metrics.get_metric("minkowski", p)
    Q, X = rng.normal(size=(30, 7)), rng.normal(size=(30, 7))
    got = metric.to_distance(metric.exact_rank(Q - X))
    want = (np.abs(Q - X) ** p).sum(axis=1) ** (1 / p)
    assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("p", [0.1, 0.5])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_rank_pass_stays_within_its_bound_for_p_below_one(rng, p, dtype):
    # The bound of the summed powers needs no triangle inequality.
    metric = metrics.get_metric("minkowski", p)
    X = (rng.integers(-2048, 2049, size=(150, 6)) / 1024).astype(dtype)
    Q = (rng.integers(-2048, 2049, size=(20, 6)) / 1024).astype(dtype)
    index = distances.FittedIndex(X, metric)
    out = np.empty((20, 150), dtype=dtype)
    rel, abs_tol = metric.rank(Q, index, out)
    diff = Q[:, None, :].astype(np.float64) - X[None, :, :]
    exact = metric.exact_rank(diff.reshape(-1, 6)).reshape(20, 150)
    error = np.abs(out.astype(np.float64) - exact)
    assert (error <= rel * np.abs(exact) + abs_tol[:, None]).all()


def test_nan_euclidean_distances_are_scikit_learns(rng):
    from sklearn.metrics.pairwise import nan_euclidean_distances

    X = rng.normal(size=(40, 5))
    X[rng.random(X.shape) < 0.2] = np.nan
    Q = rng.normal(size=(7, 5))
    Q[rng.random(Q.shape) < 0.2] = np.nan
    model = KNN(4, metric="nan_euclidean").fit(X, np.arange(40) % 2)
    dist, ind = model.kneighbors(Q)
    full = nan_euclidean_distances(Q, X)
    want = np.argsort(full, axis=1, kind="stable")[:, :4]
    assert_array_equal(ind, want)
    assert_allclose(dist, np.take_along_axis(full, want, axis=1))


def test_haversine_distances_are_scikit_learns(rng):
    from sklearn.neighbors import KNeighborsRegressor

    X, Q = rng.uniform(-1.5, 1.5, size=(50, 2)), rng.uniform(-1.5, 1.5, size=(9, 2))
    y = rng.normal(size=50)
    ours = KNNRegressor(3, metric="haversine").fit(X, y)
    theirs = KNeighborsRegressor(3, metric="haversine").fit(X, y)
    for a, b in zip(ours.kneighbors(Q), theirs.kneighbors(Q), strict=True):
        assert_allclose(a, b)
    with pytest.raises(ValueError, match="only valid in 2 dimensions"):
        KNNRegressor(3, metric="haversine").fit(X[:, [0, 1, 1]], y).predict(
            Q[:, [0, 1, 1]]
        )


@pytest.mark.parametrize("ufunc", [np.add, np.maximum])
@pytest.mark.parametrize("n_features", range(1, 10))
def test_row_reductions_by_column_give_numpys_reduction_bit_for_bit(
    rng, ufunc, n_features
):
    # Terms spread over many magnitudes, so that a different order of the
    # additions would round differently.
    values = np.abs(rng.normal(size=(3000, n_features))) * np.exp(
        rng.normal(scale=8, size=(3000, n_features))
    )
    assert_array_equal(metrics.reduce_rows(ufunc, values), ufunc.reduce(values, axis=1))
    assert_array_equal(
        metrics.reduce_rows(ufunc, values.astype(np.float32)),
        ufunc.reduce(values.astype(np.float32), axis=1),
    )
