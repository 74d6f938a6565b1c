"""Sparse (CSR, CSC) training points and queries: the same exact neighbours
as the dense search, without densifying the training set."""

import io

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.neighbors import KNeighborsClassifier

import skdeep
import skdeep.neighbors._distances as distances
from skdeep import KNN, KNNRegressor

METRICS = [
    ("euclidean", 2),
    ("manhattan", 2),
    ("chebyshev", 2),
    ("minkowski", 3),
]
IDS = [f"{m}-p{p}" for m, p in METRICS]


def _sparse_data(rng, n, n_features, dtype=np.float64, density=0.2):
    X = sp.random(n, n_features, density=density, format="csr", random_state=rng)
    X.data = rng.normal(size=X.data.size)
    return X.astype(dtype)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("metric", "p"), METRICS, ids=IDS)
def test_sparse_search_equals_the_dense_search(rng, metric, p, dtype, fmt):
    X = _sparse_data(rng, 200, 30, dtype).asformat(fmt)
    Q = _sparse_data(rng, 40, 30, dtype).asformat(fmt)
    y = rng.integers(0, 3, size=200)
    sparse_model = KNN(5, metric=metric, p=p).fit(X, y)
    dense_model = KNN(5, metric=metric, p=p).fit(X.toarray(), y)
    assert "X" not in vars(sparse_model._index)  # kept as CSR arrays
    for queries, dense_queries in ((Q, Q.toarray()), (Q.toarray(), Q), (None, None)):
        got = sparse_model.kneighbors(queries)
        want = dense_model.kneighbors(dense_queries)
        assert_array_equal(got[1], want[1])
        assert got[0].dtype == want[0].dtype
        assert_allclose(got[0], want[0], rtol=1e-13 if dtype == np.float64 else 0)
    assert_array_equal(sparse_model.predict(Q), dense_model.predict(Q.toarray()))


@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "l1", "l2"])
def test_sparse_kneighbors_match_scikit_learn(rng, metric):
    # Dense enough that no two rows tie (scikit-learn orders ties otherwise).
    X = _sparse_data(rng, 150, 20, density=0.5)
    Q = _sparse_data(rng, 25, 20, density=0.5)
    y = rng.integers(0, 2, size=150)
    ours = KNN(4, metric=metric, weights="distance").fit(X, y)
    ref = KNeighborsClassifier(4, metric=metric, weights="distance").fit(X, y)
    dist, ind = ours.kneighbors(Q)
    ref_dist, ref_ind = ref.kneighbors(Q)
    assert_array_equal(ind, ref_ind)
    assert_allclose(dist, ref_dist, rtol=1e-12, atol=1e-14)
    assert_allclose(ours.predict_proba(Q), ref.predict_proba(Q), rtol=1e-12)


def test_sparse_ties_and_duplicates_stay_exact(rng):
    # Integer data with many exact ties: ordered by training index, as dense.
    dense = rng.integers(0, 2, size=(300, 12)).astype(float)
    dense[rng.random(dense.shape) < 0.6] = 0
    y = rng.integers(0, 2, size=300)
    for metric in ("euclidean", "manhattan", "chebyshev"):
        got = KNN(7, metric=metric).fit(sp.csr_array(dense), y).kneighbors()
        want = KNN(7, metric=metric).fit(dense, y).kneighbors()
        assert_array_equal(got[1], want[1])
        assert_array_equal(got[0], want[0])


@pytest.mark.parametrize(("metric", "p"), METRICS, ids=IDS)
def test_sparse_search_in_tiny_chunks_with_threads_is_unchanged(rng, metric, p):
    X, Q = _sparse_data(rng, 300, 50), _sparse_data(rng, 60, 50)
    index = distances.FittedIndex(X, skdeep.neighbors._metrics.get_metric(metric, p))
    whole = distances.kneighbors(Q, index, 3)
    chunked = distances.kneighbors(Q, index, 3, n_jobs=2, working_memory=0.01)
    for a, b in zip(whole, chunked, strict=True):
        assert_array_equal(a, b)


def test_a_wide_sparse_training_set_is_never_densified(rng, monkeypatch):
    # 1000 x 30000 float64 would be 240 MB dense; its tiles stay within the
    # refinement batch (16 MiB) or a tile of 32 query rows.
    X = sp.random(1000, 30_000, density=1e-3, format="csr", random_state=0)
    Q = sp.random(5, 30_000, density=1e-3, format="csr", random_state=1)
    calls = []
    real = sp.csr_array.toarray

    def counted(self, *args, **kwargs):
        calls.append(self.shape[0] * self.shape[1] * 8)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_array, "toarray", counted)
    y = np.arange(1000) % 2
    for metric in ("euclidean", "manhattan"):
        KNN(2, metric=metric).fit(X, y).kneighbors(Q)
    assert calls and max(calls) <= 16 * 2**20


@pytest.mark.parametrize("Estimator", [KNN, KNNRegressor])
def test_a_sparse_fit_saves_and_loads(rng, Estimator, tmp_path):
    X, Q = _sparse_data(rng, 80, 10), _sparse_data(rng, 9, 10)
    y = rng.integers(0, 3, size=80)
    model = Estimator(3, metric="manhattan").fit(X, y)
    path = tmp_path / "sparse.skdeep"
    skdeep.save(model, path)
    loaded = skdeep.load(path)
    assert_array_equal(loaded.predict(Q), model.predict(Q))
    for a, b in zip(loaded.kneighbors(), model.kneighbors(), strict=True):
        assert_array_equal(a, b)


def test_a_file_with_broken_sparse_indices_is_refused(rng):
    model = KNN(1).fit(_sparse_data(rng, 20, 5), np.arange(20) % 2)
    model._index.csr["indices"] = model._index.csr["indices"] + 100
    buffer = io.BytesIO()
    skdeep.save(model, buffer)
    buffer.seek(0)
    with pytest.raises(ValueError, match="indices must be"):
        skdeep.load(buffer).kneighbors()


def test_a_tree_algorithm_with_sparse_input_warns_as_scikit_learn(rng):
    X, y = _sparse_data(rng, 20, 5), np.arange(20) % 2
    with pytest.warns(UserWarning, match="cannot use tree with sparse input"):
        KNeighborsClassifier(2, algorithm="kd_tree").fit(X, y)
    with pytest.warns(UserWarning, match="cannot use tree with sparse input"):
        KNN(2, algorithm="kd_tree").fit(X, y)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "lil"])
def test_sparse_precomputed_graphs_match_scikit_learn(rng, fmt):
    # A KNeighborsTransformer graph: each row's stored entries are its
    # candidate neighbours, its own point stored as an explicit zero.
    from sklearn.neighbors import KNeighborsRegressor, KNeighborsTransformer

    X, Q, y = rng.normal(size=(60, 4)), rng.normal(size=(9, 4)), rng.normal(size=60)
    transformer = KNeighborsTransformer(n_neighbors=6, mode="distance").fit(X)
    train, test = (transformer.transform(A).asformat(fmt) for A in (X, Q))
    ours = KNNRegressor(4, metric="precomputed").fit(train, y)
    theirs = KNeighborsRegressor(4, metric="precomputed").fit(train, y)
    for A in (test, None):
        for a, b in zip(ours.kneighbors(A), theirs.kneighbors(A), strict=True):
            assert_allclose(a, b)
    assert_allclose(ours.predict(test), theirs.predict(test))


def test_a_precomputed_graph_with_too_few_neighbours_is_refused(rng):
    graph = sp.csr_array(np.triu(rng.uniform(1, 2, size=(5, 5)), 1))
    model = KNN(2, metric="precomputed").fit(graph, [0, 1, 0, 1, 0])
    with pytest.raises(ValueError, match="2 neighbors per samples are required"):
        model.kneighbors(graph)


@pytest.mark.parametrize("fmt", ["dok", "bsr"])
def test_precomputed_formats_without_explicit_zeros_are_refused(fmt):
    graph = sp.csr_array(np.eye(3)).asformat(fmt)
    with pytest.raises(TypeError, match="handling of explicit zeros"):
        KNN(1, metric="precomputed").fit(graph, [0, 1, 2])


@pytest.mark.parametrize("algorithm", ["kd_tree", "ball_tree"])
def test_sparse_queries_are_refused_after_a_dense_tree_fit(rng, algorithm):
    X = rng.normal(size=(10, 3))
    model = KNN(1, algorithm=algorithm).fit(X, np.arange(10) % 2)
    with pytest.raises(ValueError, match="does not work with sparse matrices"):
        model.predict(sp.csr_array(X))


def test_the_tags_declare_sparse_input():
    assert KNN().__sklearn_tags__().input_tags.sparse
    assert KNNRegressor().__sklearn_tags__().input_tags.sparse


def test_sparse_kneighbors_graph_matches_dense(rng):
    X, y = _sparse_data(rng, 60, 8), np.arange(60) % 2
    with config_context(working_memory=0.01):
        got = KNN(3).fit(X, y).kneighbors_graph(mode="distance")
    want = KNN(3).fit(X.toarray(), y).kneighbors_graph(mode="distance")
    assert_array_equal(got.indices, want.indices)
    assert_allclose(got.data, want.data, rtol=1e-13)
