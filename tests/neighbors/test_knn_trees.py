"""The tree searches ('kd_tree', 'ball_tree', and 'auto' where it picks one)
answer exactly as brute force: same neighbours in the same order, ties
included, same distances to the bit, same predictions; the tree is a cache
that no copy, pickle or file carries."""

import copy
import io
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from scipy.spatial import cKDTree

import skdeep
from skdeep import KNN, KNNRegressor
from skdeep.neighbors import _kd_tree, _trees

METRICS = [
    {"metric": "l1"},
    {"metric": "l2"},
    {"metric": "chebyshev"},
    {"metric": "minkowski", "p": 3},
]
TREE_ALGORITHMS = ["kd_tree", "ball_tree", "auto"]


def _assert_same_as_brute(ours, brute, queries, n_neighbors=None):
    for Q in queries:
        got_both = ours.kneighbors(Q, n_neighbors)
        for got, want in zip(got_both, brute.kneighbors(Q, n_neighbors), strict=True):
            assert got.dtype == want.dtype
            assert_array_equal(got, want)


@pytest.mark.parametrize("algorithm", TREE_ALGORITHMS)
@pytest.mark.parametrize("params", METRICS, ids=lambda p: str(p))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_a_tree_finds_brute_forces_neighbours_and_predictions(
    rng, algorithm, params, dtype, weights
):
    X = rng.normal(size=(100, 3)).astype(dtype)
    Q = rng.normal(size=(20, 3)).astype(dtype)
    y = rng.integers(0, 3, size=100)
    for Estimator in (KNN, KNNRegressor):
        ours = Estimator(4, algorithm=algorithm, weights=weights, **params).fit(X, y)
        brute = Estimator(4, algorithm="brute", weights=weights, **params).fit(X, y)
        expected = "kd_tree" if algorithm == "auto" else algorithm
        assert ours._index.algorithm == expected
        for n_neighbors in (1, 4, 99):  # 99: all but the excluded point
            _assert_same_as_brute(ours, brute, (Q, None), n_neighbors)
        _assert_same_as_brute(ours, brute, (Q,), 100)
        assert_array_equal(ours.predict(Q), brute.predict(Q))
        assert_array_equal(ours.predict(None), brute.predict(None))
        if Estimator is KNN:
            assert_array_equal(ours.predict_proba(Q), brute.predict_proba(Q))
        graph = ours.kneighbors_graph(Q, mode="distance")
        assert (graph != brute.kneighbors_graph(Q, mode="distance")).nnz == 0


@pytest.mark.parametrize("algorithm", ["kd_tree", "ball_tree"])
@pytest.mark.parametrize("params", METRICS, ids=lambda p: str(p))
@pytest.mark.parametrize("n_features", [3, 8])  # 8: a leaf-ordered kd-tree
def test_ties_break_by_training_index_as_in_brute_force(
    rng, algorithm, params, n_features
):
    # Points on a small integer grid: many equal distances, and duplicates.
    X = rng.integers(0, 4, size=(500, n_features)).astype(float)
    Q = rng.integers(0, 4, size=(60, n_features)).astype(float)
    y = rng.integers(0, 2, size=500)
    ours = KNN(7, algorithm=algorithm, **params).fit(X, y)
    brute = KNN(7, algorithm="brute", **params).fit(X, y)
    _assert_same_as_brute(ours, brute, (Q, None))


@pytest.mark.parametrize("algorithm", ["kd_tree", "ball_tree"])
@pytest.mark.parametrize("params", METRICS, ids=lambda p: str(p))
@pytest.mark.parametrize("n_features", [3, 8])
def test_many_queries_searched_in_spatial_order_answer_in_their_own(
    rng, algorithm, params, n_features
):
    # Enough queries to be reordered; grid points (exact ties) and points a
    # few ulps off them (distances closer than the tree's rounding), so that
    # rows in the tree's order and rows that need sorting both occur.
    n_queries = _trees._SORT_MIN_QUERIES + 100
    X = rng.integers(0, 6, size=(800, n_features)).astype(float)
    X[::3] *= 1 + 4 * np.finfo(float).eps
    Q = rng.integers(0, 6, size=(n_queries, n_features))
    Q = Q + rng.random((n_queries, n_features))
    Q[::5] = np.round(Q[::5])
    y = rng.integers(0, 2, size=800)
    ours = KNN(6, algorithm=algorithm, **params).fit(X, y)
    brute = KNN(6, algorithm="brute", **params).fit(X, y)
    _assert_same_as_brute(ours, brute, (Q, Q[::-1], Q.astype(np.float32)))


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_coordinates_out_of_the_trees_range_are_searched_exactly(rng, scale):
    X = rng.normal(size=(200, 2)) * scale
    Q = rng.normal(size=(20, 2)) * scale
    y = rng.integers(0, 2, size=200)
    ours = KNN(3, algorithm="kd_tree").fit(X, y)
    brute = KNN(3, algorithm="brute").fit(X, y)
    _assert_same_as_brute(ours, brute, (Q, None))
    # In-range training points, out-of-range queries.
    ours = KNN(3, algorithm="kd_tree").fit(X / scale, y)
    brute = KNN(3, algorithm="brute").fit(X / scale, y)
    _assert_same_as_brute(ours, brute, (Q,))


def test_auto_picks_a_tree_for_few_features_and_brute_force_elsewhere(rng):
    y = np.zeros(400)

    def search(X, **params):
        return KNN(**params).fit(X, y[: X.shape[0]])._index.algorithm

    assert search(rng.normal(size=(400, 2))) == "kd_tree"
    assert search(rng.normal(size=(400, 784))) == "brute"
    assert search(rng.normal(size=(400, 9))) == "brute"
    # The most features for a tree: Euclidean and Manhattan 6 (8 from
    # 50,000 training points), Chebyshev 10 (12), other powers 12.
    for metric, most in (("euclidean", 6), ("manhattan", 6), ("chebyshev", 10)):
        assert search(rng.normal(size=(400, most)), metric=metric) == "kd_tree"
        assert search(rng.normal(size=(400, most + 1)), metric=metric) == "brute"
    minkowski_3 = {"metric": "minkowski", "p": 3}
    assert search(rng.normal(size=(400, 12)), **minkowski_3) == "kd_tree"
    assert search(rng.normal(size=(400, 13)), **minkowski_3) == "brute"
    y_large = np.zeros(_trees._LARGE)
    for metric, most in (("euclidean", 8), ("chebyshev", 12)):
        large = rng.normal(size=(_trees._LARGE, most))
        model = KNN(metric=metric)
        assert model.fit(large, y_large)._index.algorithm == "kd_tree"
        assert model.fit(large[:-1], y_large[:-1])._index.algorithm == "brute"
        assert model.fit(large[:, :-1].copy(), y_large)._index.algorithm == "kd_tree"
    assert search(sp.random(400, 2, density=0.5, format="csr", rng=rng)) == "brute"
    assert search(rng.normal(size=(400, 2)), metric="haversine") == "brute"
    assert search(rng.normal(size=(10, 2)), n_neighbors=5) == "brute"  # k >= n / 2
    assert search(rng.random(size=(400, 400)), metric="precomputed") == "brute"


def test_sparse_queries_against_a_tree_are_answered_by_brute_force(rng):
    X = rng.normal(size=(200, 3))
    Q = sp.random(20, 3, density=0.6, format="csr", rng=rng)
    y = rng.integers(0, 2, size=200)
    ours = KNN(3).fit(X, y)
    assert ours._index.algorithm == "kd_tree"
    _assert_same_as_brute(ours, KNN(3, algorithm="brute").fit(X, y), (Q,))


def test_n_jobs_sets_the_tree_query_threads(rng, monkeypatch):
    seen = []
    query = _trees._query

    def spy(tree, Q, k, p, n_threads):
        seen.append(n_threads)
        return query(tree, Q, k, p, n_threads)

    monkeypatch.setattr(_trees, "_query", spy)
    X, y = rng.normal(size=(100, 2)), np.zeros(100)
    for n_jobs, threads in ((None, 1), (2, 2)):
        KNN(algorithm="kd_tree", n_jobs=n_jobs).fit(X, y).kneighbors(X[:5])
        assert seen[-1] == threads


@pytest.mark.parametrize("algorithm", ["kd_tree", "ball_tree"])
def test_copies_pickles_and_files_carry_no_tree_and_rebuild_it(rng, algorithm):
    X, Q = rng.normal(size=(200, 2)), rng.normal(size=(30, 2))
    y = rng.integers(0, 3, size=200)
    model = KNN(3, algorithm=algorithm, leaf_size=5).fit(X, y)
    assert "tree" in vars(model._index)
    buffer = io.BytesIO()
    skdeep.save(model, buffer)
    buffer.seek(0)
    copies = [
        copy.deepcopy(model),
        pickle.loads(pickle.dumps(model)),
        skdeep.load(buffer),
    ]
    for other in copies:
        assert "tree" not in vars(other._index)
        assert other._index.leaf_size == 5
        _assert_same_as_brute(other, model, (Q, None))
        assert "tree" in vars(other._index)


def test_an_index_attribute_that_is_not_a_tree_is_replaced(rng):
    X, y = rng.normal(size=(100, 2)), np.zeros(100)
    model = KNN(3, algorithm="kd_tree").fit(X, y)
    expected = model.kneighbors(X[:10])
    model._index.tree = np.zeros(3)  # as a file could hold it: never used
    for got, want in zip(model.kneighbors(X[:10]), expected, strict=True):
        assert_array_equal(got, want)


def test_an_unknown_search_in_the_index_is_refused(rng):
    model = KNN(3, algorithm="kd_tree").fit(rng.normal(size=(20, 2)), np.zeros(20))
    model._index.algorithm = "cover_tree"
    with pytest.raises(ValueError, match="Unknown search 'cover_tree'"):
        model.kneighbors()


@pytest.mark.parametrize("n_features", [5, 6, 8, 16, 17])
def test_a_leaf_ordered_kd_tree_answers_as_a_kd_tree_on_the_training_order(
    rng, n_features
):
    X = rng.normal(size=(3000, n_features))
    Q = rng.normal(size=(200, n_features))
    tree = _kd_tree.build(X, 30)
    leaf_ordered = 6 <= n_features <= 16
    assert isinstance(tree, _kd_tree.LeafOrderedKDTree) == leaf_ordered
    plain = cKDTree(X, leafsize=30)
    for p in (1, 2, np.inf):
        dist, ind = tree.query(Q, k=4, p=p, workers=1)
        want_dist, want_ind = plain.query(Q, k=4, p=p)
        assert_array_equal(ind, want_ind)
        np.testing.assert_allclose(dist, want_dist, rtol=1e-13)
        radius = want_dist[:, -1]
        found = tree.query_ball_point(Q, radius, p=p, workers=1)
        want = plain.query_ball_point(Q, radius, p=p)
        for got_row, want_row in zip(found, want, strict=True):
            assert sorted(got_row) == sorted(want_row)
        counts = tree.query_ball_point(Q, radius, p=p, workers=1, return_length=True)
        assert_array_equal(counts, [len(row) for row in want])
