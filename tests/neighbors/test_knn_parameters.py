"""KNN's scikit-learn parameters beyond the search: algorithm, leaf_size,
metric aliases, metric_params, 'precomputed', callable metrics, weights=None,
and kneighbors_graph. References come from scikit-learn on the same data."""

import inspect
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.spatial.distance import cdist
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from skdeep import KNN, KNNRegressor

PAIRS = [(KNN, KNeighborsClassifier), (KNNRegressor, KNeighborsRegressor)]


def _data(rng, n=120, n_queries=30, n_features=4):
    X = rng.normal(size=(n, n_features))
    return X, rng.normal(size=(n_queries, n_features)), rng.integers(0, 3, size=n)


def _assert_same_search(ours, ref, Q):
    for queries in (Q, None):
        dist, ind = ours.kneighbors(queries)
        ref_dist, ref_ind = ref.kneighbors(queries)
        assert_array_equal(ind, ref_ind)
        assert_allclose(dist, ref_dist, rtol=1e-12, atol=1e-14)
    assert_allclose(ours.predict(Q), ref.predict(Q), rtol=1e-12)


@pytest.mark.parametrize(("Ours", "Theirs"), PAIRS)
def test_the_signature_is_scikit_learns(Ours, Theirs):
    def described(cls):  # names, order, kinds and defaults (not annotations)
        return [
            (q.name, q.kind, q.default)
            for q in inspect.signature(cls).parameters.values()
        ]

    assert described(Ours) == described(Theirs)


@pytest.mark.parametrize("algorithm", ["auto", "ball_tree", "kd_tree", "brute"])
@pytest.mark.parametrize("leaf_size", [1, 30])
def test_every_algorithm_and_leaf_size_gives_scikit_learns_neighbours(
    rng, algorithm, leaf_size
):
    X, Q, y = _data(rng)
    params = {"algorithm": algorithm, "leaf_size": leaf_size, "n_neighbors": 4}
    ours = KNN(**params).fit(X, y)
    _assert_same_search(ours, KNeighborsClassifier(**params).fit(X, y), Q)


@pytest.mark.parametrize(
    ("param", "value"), [("algorithm", "cover_tree"), ("leaf_size", 0)]
)
def test_bad_algorithm_and_leaf_size_are_refused(param, value):
    with pytest.raises(ValueError, match=f"'{param}' parameter of KNN"):
        KNN(**{param: value}).fit(np.eye(3), [0, 1, 2])


@pytest.mark.parametrize(
    ("metric", "algorithm"),
    [
        ("l1", "brute"),
        ("cityblock", "auto"),
        ("l2", "kd_tree"),
        ("infinity", "auto"),
        ("p", "ball_tree"),
        ("l2", "brute"),
        ("infinity", "kd_tree"),
    ],
)
@pytest.mark.parametrize(("Ours", "Theirs"), PAIRS)
def test_metric_aliases_match_scikit_learn(rng, Ours, Theirs, metric, algorithm):
    X, Q, y = _data(rng)
    params = {"n_neighbors": 5, "metric": metric, "algorithm": algorithm, "p": 3}
    ours, ref = Ours(**params).fit(X, y), Theirs(**params).fit(X, y)
    _assert_same_search(ours, ref, Q)
    assert ours.effective_metric_ == ref.effective_metric_ == metric
    assert ours.effective_metric_params_ == ref.effective_metric_params_


@pytest.mark.parametrize("metric", ["p", "infinity"])
def test_aliases_scikit_learn_refuses_with_brute_force_are_refused(metric):
    with pytest.raises(ValueError, match=f"Metric '{metric}' not valid"):
        KNeighborsClassifier(metric=metric, algorithm="brute").fit(np.eye(3), [0, 1, 2])
    with pytest.raises(ValueError, match=f"Metric '{metric}' not valid"):
        KNN(metric=metric, algorithm="brute").fit(np.eye(3), [0, 1, 2])


@pytest.mark.parametrize(
    ("metric", "p", "metric_params"),
    [
        ("minkowski", 2, {"p": 3}),
        ("minkowski", None, {"p": 1}),
        ("minkowski", 3, {"p": np.inf}),
        ("p", 2, {"p": 3}),
        ("p", None, {"p": 1.5}),
        ("minkowski", 1.5, {}),
    ],
)
def test_metric_params_follow_scikit_learns_rules(rng, metric, p, metric_params):
    X, Q, y = _data(rng)
    params = {"metric": metric, "p": p, "metric_params": metric_params}
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        ref = KNeighborsClassifier(4, **params).fit(X, y)
    with warnings.catch_warnings(record=True) as ours_warnings:
        warnings.simplefilter("always")
        ours = KNN(4, **params).fit(X, y)
    assert [w.category for w in ours_warnings] == [w.category for w in theirs]
    assert [str(w.message) for w in ours_warnings] == [str(w.message) for w in theirs]
    _assert_same_search(ours, ref, Q)
    assert ours.effective_metric_ == ref.effective_metric_
    ref_params = {k: v for k, v in ref.effective_metric_params_.items() if k != "w"}
    assert ours.effective_metric_params_ == ref_params


def test_p_given_twice_warns_at_the_users_line():
    match = "Parameter p is found in metric_params"
    with pytest.warns(SyntaxWarning, match=match) as w:
        KNN(1, p=2, metric_params={"p": 3}).fit([[0.0], [1.0]], [0, 1])
    assert w[0].filename == __file__


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        (
            {"metric": "euclidean", "metric_params": {"p": 3}, "p": None},
            TypeError,
            "takes no metric_params",
        ),
        ({"metric": "minkowski", "p": None}, ValueError, "Minkowski power p"),
        (
            {"metric": "minkowski", "metric_params": {"p": -0.5}, "p": None},
            ValueError,
            "Minkowski power p",
        ),
        ({"metric_params": {"w": np.ones(2)}}, ValueError, "Weighted Minkowski"),
        ({"metric": "precomputed", "algorithm": "kd_tree"}, ValueError, "not valid"),
        ({"metric": cdist, "algorithm": "kd_tree"}, ValueError, "kd_tree does not"),
    ],
)
def test_metric_parameters_that_cannot_work_are_refused(params, error, match):
    with pytest.raises(error, match=match):
        KNN(1, **params).fit([[0.0, 1.0], [1.0, 0.0]], [0, 1])


@pytest.mark.parametrize(("Ours", "Theirs"), PAIRS)
def test_weights_none_is_uniform(rng, Ours, Theirs):
    X, Q, y = _data(rng)
    ours = Ours(6, weights=None).fit(X, y)
    assert_array_equal(ours.predict(Q), Ours(6).fit(X, y).predict(Q))
    assert_allclose(ours.predict(Q), Theirs(6, weights=None).fit(X, y).predict(Q))


@pytest.mark.parametrize(("Ours", "Theirs"), PAIRS)
@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_precomputed_distances_match_scikit_learn(rng, Ours, Theirs, weights):
    X, Q, y = _data(rng)
    D_train, D_query = cdist(X, X), cdist(Q, X)
    ours = Ours(5, metric="precomputed", weights=weights).fit(D_train, y)
    ref = Theirs(5, metric="precomputed", weights=weights).fit(D_train, y)
    _assert_same_search(ours, ref, D_query)
    assert ours.n_features_in_ == ref.n_features_in_ == X.shape[0]
    assert ours.effective_metric_ == "precomputed"
    # The same neighbours as from the points themselves.
    assert_array_equal(ours.kneighbors(D_query)[1], Ours(5).fit(X, y).kneighbors(Q)[1])


def test_precomputed_matrices_are_checked():
    with pytest.raises(ValueError, match="must be square"):
        KNN(1, metric="precomputed").fit(np.ones((3, 2)), [0, 1, 2])
    with pytest.raises(ValueError, match="Negative values"):
        KNN(1, metric="precomputed").fit(-np.eye(2), [0, 1])
    model = KNN(1, metric="precomputed").fit(np.eye(3), [0, 1, 2])
    with pytest.raises(ValueError, match="features"):
        model.predict(np.ones((2, 4)))


def _weighted_l1(a, b, scale=1.0):
    return scale * np.abs(a - b).sum()


@pytest.mark.parametrize(("Ours", "Theirs"), PAIRS)
@pytest.mark.parametrize("metric_params", [None, {"scale": 2.5}])
def test_callable_metrics_match_scikit_learn(rng, Ours, Theirs, metric_params):
    X, Q, y = _data(rng, n=60, n_queries=12)
    params = {"metric": _weighted_l1, "metric_params": metric_params}
    ours, ref = Ours(5, **params).fit(X, y), Theirs(5, **params).fit(X, y)
    _assert_same_search(ours, ref, Q)
    assert ours.effective_metric_ is _weighted_l1
    assert ours.effective_metric_params_ == ref.effective_metric_params_
    scale = (metric_params or {}).get("scale", 1.0)
    L1 = KNN(5, metric="l1").fit(X, y).kneighbors(Q)
    assert_array_equal(ours.kneighbors(Q)[1], L1[1])
    assert_allclose(ours.kneighbors(Q)[0], scale * L1[0], rtol=1e-12)


def test_callable_metric_search_chunks_without_changing_the_result(rng):
    from sklearn import config_context

    X, Q, y = _data(rng, n=50, n_queries=40)
    whole = KNN(3, metric=_weighted_l1).fit(X, y).kneighbors(Q)
    # A block of 50 float64 distances per row: chunks of a few rows each.
    with config_context(working_memory=0.001), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not adhere"
        chunked = KNN(3, metric=_weighted_l1, n_jobs=2).fit(X, y).kneighbors(Q)
    for a, b in zip(whole, chunked, strict=True):
        assert_array_equal(a, b)


@pytest.mark.parametrize("mode", ["connectivity", "distance"])
@pytest.mark.parametrize("n_neighbors", [None, 3])
@pytest.mark.parametrize("metric", ["minkowski", "manhattan", "precomputed"])
def test_kneighbors_graph_matches_scikit_learn(rng, mode, n_neighbors, metric):
    X, Q, y = _data(rng)
    if metric == "precomputed":
        X, Q = cdist(X, X), cdist(Q, X)
    ours = KNN(4, metric=metric).fit(X, y)
    ref = KNeighborsClassifier(4, metric=metric).fit(X, y)
    for queries in (Q, None):
        got = ours.kneighbors_graph(queries, n_neighbors, mode)
        want = ref.kneighbors_graph(queries, n_neighbors, mode)
        assert type(got) is type(want) and got.format == "csr"
        assert got.shape == want.shape
        assert_array_equal(got.indices, want.indices)
        assert_array_equal(got.indptr, want.indptr)
        assert_allclose(got.data, want.data, rtol=1e-12, atol=1e-14)


def test_kneighbors_graph_of_the_training_set_leaves_out_each_point():
    X = np.array([[0.0], [1.0], [3.0]])
    graph = KNN(1).fit(X, [0, 1, 1]).kneighbors_graph(mode="distance")
    assert sp.issparse(graph)
    assert_array_equal(graph.toarray(), [[0, 1, 0], [1, 0, 0], [0, 2, 0]])


def test_kneighbors_graph_refuses_an_unknown_mode():
    model = KNN(1).fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match=r'Unsupported mode.*"weights"'):
        model.kneighbors_graph(mode="weights")
