"""KNN and KNNRegressor against scikit-learn's brute force and exact maths.

References come from ``sklearn.neighbors.KNeighbors*(algorithm='brute')`` on
the same data, or from exact integer arithmetic where ties are involved.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.spatial.distance import cdist
from sklearn import config_context
from sklearn.datasets import load_digits, load_iris, load_wine
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

import skdeep.neighbors._distances as distances
import skdeep.neighbors._metrics as metrics
from skdeep import KNN, KNNRegressor

# (metric, p) pairs covering every kernel, also reached through 'minkowski'.
METRICS = [
    ("euclidean", 2),
    ("manhattan", 2),
    ("chebyshev", 2),
    ("minkowski", 1),
    ("minkowski", 2),
    ("minkowski", np.inf),
    ("minkowski", 3),
]
METRIC_IDS = [f"{m}-p{p}" for m, p in METRICS]
# float64 results agree with scikit-learn up to its own GEMM rounding.
RTOL = {np.float64: 1e-12, np.float32: 1e-6}


def _inverse_square(dist):
    return 1.0 / (1.0 + dist**2)


def _sklearn(Estimator, n_neighbors, metric, p, **params):
    return Estimator(n_neighbors, algorithm="brute", metric=metric, p=p, **params)


def _blobs(rng, n, n_features, dtype=np.float64):
    return rng.normal(size=(n, n_features)).astype(dtype)


def _exact_rank_values(Q, X, metric, p):
    """Integer rank values (the distance, or a monotone power of it)."""
    diff = np.abs(Q[:, None, :].astype(np.int64) - X[None, :, :].astype(np.int64))
    if metric == "chebyshev" or (metric == "minkowski" and np.isinf(p)):
        return diff.max(axis=2)
    power = {"euclidean": 2, "manhattan": 1}.get(metric, p)
    return (diff ** int(power)).sum(axis=2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("metric", "p"), METRICS, ids=METRIC_IDS)
def test_kneighbors_match_sklearn_brute_on_continuous_data(rng, metric, p, dtype):
    X, Q = _blobs(rng, 400, 6, dtype), _blobs(rng, 90, 6, dtype)
    y = rng.integers(0, 3, size=400)
    ours = KNN(7, metric=metric, p=p).fit(X, y)
    ref = _sklearn(KNeighborsClassifier, 7, metric, p).fit(X, y)
    dist, ind = ours.kneighbors(Q)
    ref_dist, ref_ind = ref.kneighbors(Q)
    assert_array_equal(ind, ref_ind)
    assert dist.dtype == dtype
    assert_allclose(dist, ref_dist, rtol=RTOL[dtype])


@pytest.mark.parametrize(("metric", "p"), METRICS, ids=METRIC_IDS)
def test_kneighbors_of_the_training_set_exclude_each_point(rng, metric, p):
    X = _blobs(rng, 300, 5)
    ours = KNN(6, metric=metric, p=p).fit(X, np.zeros(300))
    ref = _sklearn(KNeighborsClassifier, 6, metric, p).fit(X, np.zeros(300))
    dist, ind = ours.kneighbors()
    ref_dist, ref_ind = ref.kneighbors()
    assert_array_equal(ind, ref_ind)
    assert_allclose(dist, ref_dist, rtol=1e-12)
    assert not (ind == np.arange(300)[:, None]).any()
    # X=None is not the same as passing the training set, which finds itself.
    assert_array_equal(ours.kneighbors(X, 1, return_distance=False).ravel(), range(300))


@pytest.mark.parametrize("weights", ["uniform", "distance", _inverse_square])
@pytest.mark.parametrize(("metric", "p"), METRICS, ids=METRIC_IDS)
def test_classifier_predictions_and_probabilities_match_sklearn(
    rng, metric, p, weights
):
    X, Q = _blobs(rng, 300, 4), _blobs(rng, 120, 4)
    y = np.array(["ant", "bee", "cat"])[rng.integers(0, 3, size=300)]
    ours = KNN(9, weights=weights, metric=metric, p=p).fit(X, y)
    ref = _sklearn(KNeighborsClassifier, 9, metric, p, weights=weights).fit(X, y)
    assert_array_equal(ours.classes_, ref.classes_)
    assert_array_equal(ours.predict(Q), ref.predict(Q))
    assert_allclose(ours.predict_proba(Q), ref.predict_proba(Q), rtol=1e-12)
    assert_array_equal(ours.predict(None), ref.predict(None))
    assert ours.score(Q, ref.predict(Q)) == 1.0


@pytest.mark.parametrize("weights", ["uniform", "distance", _inverse_square])
@pytest.mark.parametrize(("metric", "p"), METRICS, ids=METRIC_IDS)
def test_regressor_predictions_match_sklearn(rng, metric, p, weights):
    X, Q = _blobs(rng, 300, 4), _blobs(rng, 120, 4)
    y = X[:, 0] ** 2 + rng.normal(size=300)
    ours = KNNRegressor(6, weights=weights, metric=metric, p=p).fit(X, y)
    ref = _sklearn(KNeighborsRegressor, 6, metric, p, weights=weights).fit(X, y)
    assert_allclose(ours.predict(Q), ref.predict(Q), rtol=1e-12)
    assert_allclose(ours.predict(None), ref.predict(None), rtol=1e-12)


def test_float32_classifier_probabilities_match_sklearn(rng):
    X, Q = _blobs(rng, 300, 4, np.float32), _blobs(rng, 100, 4, np.float32)
    y = rng.integers(0, 4, size=300)
    ours = KNN(8, weights="distance").fit(X, y)
    ref = KNeighborsClassifier(8, weights="distance", algorithm="brute").fit(X, y)
    assert_array_equal(ours.predict(Q), ref.predict(Q))
    assert_allclose(ours.predict_proba(Q), ref.predict_proba(Q), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("metric", "p"), METRICS, ids=METRIC_IDS)
def test_exact_ties_are_broken_by_training_index(rng, metric, p, dtype):
    # On a small integer grid most distances tie. scikit-learn returns the
    # same distances but orders (and, at the k-th place, picks) tied points
    # as its heaps and threads happen to, so the indices are checked against
    # a stable sort of exactly computed integer distances instead.
    X = rng.integers(0, 3, size=(250, 3))
    Q = rng.integers(0, 3, size=(40, 3))
    k = 12
    ours = KNN(k, metric=metric, p=p).fit(X.astype(dtype), np.zeros(250))
    dist, ind = ours.kneighbors(Q.astype(dtype))
    exact = _exact_rank_values(Q, X, metric, p)
    assert_array_equal(ind, np.argsort(exact, axis=1, kind="stable")[:, :k])
    ref = _sklearn(KNeighborsClassifier, k, metric, p).fit(X, np.zeros(250))
    assert_allclose(dist, ref.kneighbors(Q)[0], rtol=RTOL[dtype])
    # Training set against itself: each point's duplicates come first.
    _, self_ind = ours.kneighbors()
    exact = _exact_rank_values(X, X, metric, p).astype(float)
    np.fill_diagonal(exact, np.inf)
    assert_array_equal(self_ind, np.argsort(exact, axis=1, kind="stable")[:, :k])


# Budgets below one row are drawn on purpose (the chunking edge case): scikit-learn's
# get_chunk_n_rows then warns that it uses one row per chunk, as it should.
@pytest.mark.filterwarnings("ignore:Could not adhere to working_memory")
@settings(max_examples=40, deadline=None)
@given(
    n_train=st.integers(2, 60),
    n_queries=st.integers(1, 20),
    n_features=st.integers(1, 4),
    levels=st.integers(1, 4),
    metric_index=st.integers(0, len(METRICS) - 1),
    k_fraction=st.floats(0, 1),
    seed=st.integers(0, 2**32 - 1),
    working_memory=st.sampled_from([1e-4, 1e-3, 100]),
)
def test_neighbours_of_integer_data_are_the_stable_exact_sort(
    n_train,
    n_queries,
    n_features,
    levels,
    metric_index,
    k_fraction,
    seed,
    working_memory,
):
    rng = np.random.default_rng(seed)
    metric, p = METRICS[metric_index]
    X = rng.integers(0, levels, size=(n_train, n_features))
    Q = rng.integers(0, levels, size=(n_queries, n_features))
    k = 1 + int(k_fraction * (n_train - 1))
    with config_context(working_memory=working_memory):
        ind = KNN(k, metric=metric, p=p).fit(X, np.zeros(n_train)).kneighbors(Q)[1]
    exact = _exact_rank_values(Q, X, metric, p)
    assert_array_equal(ind, np.argsort(exact, axis=1, kind="stable")[:, :k])


def test_float32_gives_float32_distances_rounded_from_the_exact_ones(rng):
    X, Q = _blobs(rng, 500, 30, np.float32), _blobs(rng, 50, 30, np.float32)
    dist, ind = KNN(5).fit(X, np.zeros(500)).kneighbors(Q)
    assert dist.dtype == np.float32
    diff = Q[:, None, :].astype(np.float64) - X[ind].astype(np.float64)
    assert_array_equal(dist, np.sqrt((diff**2).sum(axis=2)).astype(np.float32))


@pytest.mark.parametrize(("metric", "p"), METRICS, ids=METRIC_IDS)
def test_float32_neighbours_stay_exact_where_float32_rounding_is_coarse(rng, metric, p):
    # A large common offset: float32 carries ~3 significant digits of the
    # differences, and the GEMM identity cancels ‖x‖² ≈ 1e9 down to ~10.
    X = (1e4 + rng.normal(size=(800, 10))).astype(np.float32)
    Q = (1e4 + rng.normal(size=(60, 10))).astype(np.float32)
    ours = KNN(10, metric=metric, p=p).fit(X, np.zeros(800))
    dist, ind = ours.kneighbors(Q)
    # The coordinates are multiples of 2**-10 below 2**14, so differences,
    # their squares and cubes and the sums of 10 of them are exact in float64:
    # this reference is exact. It has ties, which scikit-learn does not order
    # by index, so only the distances are compared with it.
    diff = np.abs(Q[:, None, :].astype(np.float64) - X[None, :, :])
    if metric == "chebyshev" or np.isinf(p):
        exact = diff.max(axis=2)
    else:
        exact = (diff ** {"euclidean": 2, "manhattan": 1}.get(metric, p)).sum(axis=2)
    assert_array_equal(ind, np.argsort(exact, axis=1, kind="stable")[:, :10])
    ref = _sklearn(KNeighborsClassifier, 10, metric, p).fit(X, np.zeros(800))
    assert_allclose(dist, ref.kneighbors(Q)[0], rtol=1e-6)


def test_float32_training_set_with_float64_queries_computes_in_float64(rng):
    X, Q = _blobs(rng, 300, 5, np.float32), _blobs(rng, 40, 5)
    dist, ind = KNN(4).fit(X, np.zeros(300)).kneighbors(Q)
    ref_dist, ref_ind = (
        KNeighborsClassifier(4, algorithm="brute")
        .fit(X.astype(np.float64), np.zeros(300))
        .kneighbors(Q)
    )
    assert dist.dtype == np.float64
    assert_array_equal(ind, ref_ind)
    assert_allclose(dist, ref_dist, rtol=1e-12)


def test_values_whose_squares_overflow_float32_give_the_exact_neighbours(rng):
    X = (rng.normal(size=(200, 3)) * 1e25).astype(np.float32)
    Q = (rng.normal(size=(20, 3)) * 1e25).astype(np.float32)
    ind = KNN(5).fit(X, np.zeros(200)).kneighbors(Q, return_distance=False)
    ref = KNeighborsClassifier(5, algorithm="brute").fit(X, np.zeros(200))
    assert_array_equal(ind, ref.kneighbors(Q, return_distance=False))


@pytest.mark.parametrize(("metric", "p"), METRICS, ids=METRIC_IDS)
def test_tiny_working_memory_chunks_without_changing_the_result(
    rng, metric, p, monkeypatch
):
    X, Q = _blobs(rng, 200, 5), _blobs(rng, 70, 5)
    # Brute force's chunks (a tree searches in its own chunks).
    model = KNN(5, metric=metric, p=p, algorithm="brute").fit(X, np.zeros(200))
    one_chunk = model.kneighbors(Q)
    calls = []
    chunk = distances._chunk_kneighbors

    def counting_chunk(Q_chunk, *args, **kwargs):
        calls.append(Q_chunk.shape[0])
        return chunk(Q_chunk, *args, **kwargs)

    monkeypatch.setattr(distances, "_chunk_kneighbors", counting_chunk)
    # 200 float64 columns (+ group minima) are ~1.7 KB a row: 5 rows a chunk.
    with config_context(working_memory=0.01):
        chunked = model.kneighbors(Q)
        chunked_self = model.kneighbors()
    assert len(calls) > 10 and max(calls) <= 6
    assert_array_equal(chunked[1], one_chunk[1])
    assert_array_equal(chunked[0], one_chunk[0])
    assert_array_equal(chunked_self[1], model.kneighbors()[1])


@pytest.mark.parametrize(("metric", "p"), METRICS, ids=METRIC_IDS)
def test_two_threads_give_the_same_result_as_one(rng, metric, p):
    X, Q = _blobs(rng, 300, 5), _blobs(rng, 90, 5)
    y = rng.integers(0, 2, size=300)
    one = KNN(5, weights="distance", metric=metric, p=p, n_jobs=1).fit(X, y)
    two = KNN(5, weights="distance", metric=metric, p=p, n_jobs=2).fit(X, y)
    with config_context(working_memory=0.05):
        for a, b in zip(one.kneighbors(Q), two.kneighbors(Q), strict=True):
            assert_array_equal(a, b)
        assert_array_equal(one.predict_proba(None), two.predict_proba(None))


def test_multi_output_targets_match_sklearn(rng):
    X, Q = _blobs(rng, 200, 3), _blobs(rng, 50, 3)
    Y = np.column_stack([rng.integers(0, 3, 200), rng.choice(["x", "y"], 200)])
    ours = KNN(5, weights="distance").fit(X, Y)
    ref = KNeighborsClassifier(5, weights="distance", algorithm="brute").fit(X, Y)
    assert ours.outputs_2d_ and len(ours.classes_) == 2
    assert_array_equal(ours.predict(Q), ref.predict(Q))
    for a, b in zip(ours.predict_proba(Q), ref.predict_proba(Q), strict=True):
        assert_allclose(a, b, rtol=1e-12)
    Yr = np.column_stack([X[:, 0], X[:, 1] ** 2])
    for weights in ["uniform", "distance"]:
        reg = KNNRegressor(4, weights=weights).fit(X, Yr)
        ref_reg = KNeighborsRegressor(4, weights=weights, algorithm="brute")
        assert_allclose(reg.predict(Q), ref_reg.fit(X, Yr).predict(Q), rtol=1e-12)


@pytest.mark.parametrize("Estimator", [KNN, KNNRegressor])
def test_exact_matches_take_all_the_weight_with_distance_weights(rng, Estimator):
    X = _blobs(rng, 50, 3)
    X[7] = X[3]  # two training points coincide with the query X[3]
    y = np.arange(50) % 4
    Q = X[[3, 10]]
    ours = Estimator(5, weights="distance").fit(X, y)
    Reference = KNeighborsClassifier if Estimator is KNN else KNeighborsRegressor
    ref = Reference(5, weights="distance", algorithm="brute").fit(X, y)
    if Estimator is KNN:
        proba = ours.predict_proba(Q)
        # y[3] = 3 and y[7] = 3: all the weight on class 3.
        assert_array_equal(proba[0], [0, 0, 0, 1])
        assert_allclose(proba, ref.predict_proba(Q), rtol=1e-12)
    else:
        assert ours.predict(Q)[0] == 3.0
        assert_allclose(ours.predict(Q), ref.predict(Q), rtol=1e-12)


@pytest.mark.parametrize(
    "load", [load_digits, load_wine, load_iris], ids=["digits", "wine", "iris"]
)
def test_five_fold_accuracy_equals_sklearn(load):
    X, y = load(return_X_y=True)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    ours = cross_val_score(KNN(), X, y, cv=folds)
    ref = cross_val_score(KNeighborsClassifier(), X, y, cv=folds)
    assert_array_equal(ours, ref)
    # score(None, y) is leave-one-out, as in scikit-learn.
    assert KNN().fit(X, y).score(None, y) == KNeighborsClassifier().fit(X, y).score(
        None, y
    )


@pytest.mark.parametrize(
    ("metric", "p", "effective"),
    [
        ("minkowski", 1, "manhattan"),
        ("minkowski", 2, "euclidean"),
        ("minkowski", np.inf, "chebyshev"),
        ("minkowski", 1.5, "minkowski"),
        ("euclidean", 3, "euclidean"),
    ],
)
def test_effective_metric(metric, p, effective):
    model = KNN(1, metric=metric, p=p).fit([[0.0], [1.0]], [0, 1])
    assert model.effective_metric_ == effective
    expected = {"p": p} if effective == "minkowski" else {}
    assert model.effective_metric_params_ == expected
    assert model.n_samples_fit_ == 2


@pytest.mark.parametrize("Estimator", [KNN, KNNRegressor])
def test_more_neighbours_than_training_points_is_a_clear_error(Estimator):
    model = Estimator(n_neighbors=5).fit([[0.0], [1.0], [2.0]], [0, 1, 1])
    with pytest.raises(ValueError, match="n_neighbors = 5, n_samples_fit = 3"):
        model.predict([[0.5]])
    with pytest.raises(ValueError, match="n_neighbors < n_samples_fit when X is None"):
        model.kneighbors(n_neighbors=3)
    assert model.kneighbors(n_neighbors=2)[1].shape == (3, 2)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_kneighbors_rejects_a_bad_n_neighbors(bad):
    model = KNN().fit(np.eye(6), range(6))
    with pytest.raises(ValueError, match="n_neighbors must be a positive integer"):
        model.kneighbors(n_neighbors=bad)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("Estimator", [KNN, KNNRegressor])
def test_nan_and_inf_are_rejected_in_fit_and_predict(Estimator, value):
    X = np.arange(12.0).reshape(6, 2)
    bad = X.copy()
    bad[2, 1] = value
    with pytest.raises(ValueError, match=r"Input X contains (NaN|infinity)"):
        Estimator(n_neighbors=2).fit(bad, range(6))
    model = Estimator(n_neighbors=2).fit(X, range(6))
    with pytest.raises(ValueError, match=r"Input X contains (NaN|infinity)"):
        model.predict(bad)


@pytest.mark.parametrize("Estimator", [KNN, KNNRegressor])
def test_empty_input_is_rejected(Estimator):
    with pytest.raises(ValueError, match="0 sample"):
        Estimator().fit(np.empty((0, 3)), [])
    model = Estimator(n_neighbors=1).fit(np.eye(3), [0, 1, 2])
    with pytest.raises(ValueError, match="0 sample"):
        model.predict(np.empty((0, 3)))
    with pytest.raises(ValueError, match="0 feature"):
        Estimator().fit(np.empty((3, 0)), [0, 1, 2])


def test_unknown_metric_lists_the_valid_ones():
    with pytest.raises(ValueError, match="'metric' parameter of KNN") as error:
        KNN(metric="cosine").fit(np.eye(3), [0, 1, 2])
    for name in ("minkowski", "euclidean", "manhattan", "chebyshev", "cosine"):
        assert f"'{name}'" in str(error.value)


@pytest.mark.parametrize("p", [0, -2])
def test_p_not_positive_is_rejected(p):
    with pytest.raises(
        ValueError, match=r"'p' parameter of KNN must be .* range \(0(\.0)?, inf\]"
    ):
        KNN(p=p).fit(np.eye(3), [0, 1, 2])


@pytest.mark.parametrize("algorithm", ["auto", "brute"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_p_below_one_warns_and_finds_scikit_learns_neighbours(rng, algorithm, dtype):
    # 0 < p < 1 is a semimetric: scikit-learn's brute force takes it, warning.
    X, Q = (
        rng.normal(size=(80, 6)).astype(dtype),
        rng.normal(size=(12, 6)).astype(dtype),
    )
    y = rng.normal(size=80)
    with pytest.warns(UserWarning, match="Mind that for 0 < p < 1"):
        ours = KNNRegressor(5, p=0.5, algorithm=algorithm).fit(X, y)
    theirs = KNeighborsRegressor(5, p=0.5, algorithm="brute").fit(X, y)
    dist, ind = ours.kneighbors(Q)
    assert_array_equal(ind, theirs.kneighbors(Q)[1])
    assert_allclose(
        dist, cdist(Q, X, "minkowski", p=0.5)[np.arange(12)[:, None], ind], rtol=1e-5
    )
    assert_allclose(ours.predict(Q), theirs.predict(Q), rtol=1e-5)


@pytest.mark.parametrize("algorithm", ["kd_tree", "ball_tree"])
def test_p_below_one_is_refused_with_the_trees(algorithm):
    with pytest.raises(
        ValueError, match=f'algorithm="{algorithm}" does not support 0 < p < 1'
    ):
        KNN(p=0.5, algorithm=algorithm).fit(np.eye(3), [0, 1, 2])


def test_weight_callables_are_checked():
    X, y = np.arange(10.0).reshape(5, 2), [0, 1, 0, 1, 1]
    with pytest.raises(ValueError, match="shaped like the distances"):
        KNN(2, weights=lambda d: d[:, 0]).fit(X, y).predict(X)
    with pytest.raises(ValueError, match="zero weights"):
        KNN(2, weights=np.zeros_like).fit(X, y).predict(X)
    with pytest.raises(ValueError, match="zero weights"):
        KNNRegressor(2, weights=np.zeros_like).fit(X, y).predict(X)


@pytest.mark.parametrize("metric", ["manhattan", "chebyshev"])
def test_a_grid_too_coarse_for_the_data_falls_back_and_stays_exact(
    rng, metric, monkeypatch
):
    # One far outlier stretches the integer grid so much that all the other
    # points round to the same level: the integer pass cannot select, and
    # the float kernel takes over.
    X, Q = _blobs(rng, 2000, 6), _blobs(rng, 50, 6)
    X[0, 0] = 1e6
    kernels = []
    for name in ("_grid_rank", "_blocked_rank"):
        kernel = getattr(metrics, name)

        def spy(*args, _kernel=kernel, _name=name):
            kernels.append(_name)
            return _kernel(*args)

        monkeypatch.setattr(metrics, name, spy)
    model = KNN(5, metric=metric, algorithm="brute").fit(X, np.zeros(2000))
    dist, ind = model.kneighbors(Q)
    assert kernels[0] == "_grid_rank" and "_blocked_rank" in kernels
    ref = _sklearn(KNeighborsClassifier, 5, metric, 2).fit(X, np.zeros(2000))
    ref_dist, ref_ind = ref.kneighbors(Q)
    assert_array_equal(ind, ref_ind)
    assert_allclose(dist, ref_dist, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("metric", ["manhattan", "chebyshev"])
def test_queries_outside_the_training_range_stay_exact(rng, metric, dtype):
    X = rng.random((500, 8)).astype(dtype)
    Q = (3 * rng.normal(size=(60, 8))).astype(dtype)  # mostly beyond [0, 1)
    ours = KNN(6, metric=metric).fit(X, np.zeros(500))
    ref = _sklearn(KNeighborsClassifier, 6, metric, 2).fit(X, np.zeros(500))
    dist, ind = ours.kneighbors(Q)
    ref_dist, ref_ind = ref.kneighbors(Q)
    assert_array_equal(ind, ref_ind)
    assert_allclose(dist, ref_dist, rtol=RTOL[dtype])


@pytest.mark.parametrize("metric", ["manhattan", "chebyshev"])
def test_integer_data_with_massive_ties_stay_on_the_exact_grid(
    rng, metric, monkeypatch
):
    # Two levels per feature: thousands of points tie at each distance, yet
    # the grid is exact (step 1), so the integer pass keeps the job.
    X = rng.integers(0, 2, size=(3000, 4))
    Q = rng.integers(0, 2, size=(20, 4))
    model = KNN(7, metric=metric, algorithm="brute").fit(X, np.zeros(3000))
    assert model._index.grid.scale == 1.0
    calls = []
    blocked = metrics._blocked_rank
    monkeypatch.setattr(
        metrics, "_blocked_rank", lambda *a: calls.append(1) or blocked(*a)
    )
    ind = model.kneighbors(Q, return_distance=False)
    assert not calls
    exact = _exact_rank_values(Q, X, metric, 1)
    assert_array_equal(ind, np.argsort(exact, axis=1, kind="stable")[:, :7])


@pytest.mark.parametrize("exponent", [500, -500, 1000])
@pytest.mark.parametrize(("metric", "p"), METRICS, ids=METRIC_IDS)
def test_huge_and_tiny_coordinates_find_the_same_neighbours(rng, metric, p, exponent):
    # Scaling every coordinate by c = 2^±500 (about 1e±150) scales every
    # distance by c and changes no neighbour, although |d|^p then leaves the
    # float64 range (overflow, or underflow to 0 that would make all points tie).
    X, Q = rng.normal(size=(60, 4)), rng.normal(size=(9, 4))
    c = 2.0**exponent
    ref_dist, ref_ind = (
        _sklearn(KNeighborsRegressor, 5, metric, p).fit(X, np.zeros(60)).kneighbors(Q)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        est = KNNRegressor(5, metric=metric, p=p).fit(X * c, np.zeros(60))
        dist, ind = est.kneighbors(Q * c)
    assert_array_equal(ind, ref_ind)
    assert_allclose(dist / c, ref_dist, rtol=1e-13)


@pytest.mark.parametrize("metric", ["manhattan", "chebyshev"])
def test_the_grid_kernel_across_tiles_and_feature_spans_matches_exact_distances(
    rng, metric, monkeypatch
):
    """300 features (three int16 spans of at most 128 for Manhattan), tiles
    shrunk so that queries and training points both span several of them and
    end in partial ones: the neighbours are the exact float64 ones."""
    monkeypatch.setattr(metrics, "_TILE_BYTES", 4096)
    monkeypatch.setattr(metrics, "_TILE_ROWS", 8)
    grid_calls = []
    kernel = metrics._grid_rank

    def spy(*args):
        grid_calls.append(1)
        return kernel(*args)

    monkeypatch.setattr(metrics, "_grid_rank", spy)
    X, Q = rng.random((700, 300)), rng.random((45, 300))
    dist, ind = KNN(4, metric=metric).fit(X, np.zeros(700)).kneighbors(Q)
    assert grid_calls
    diff = np.abs(Q[:, None, :] - X[None, :, :])
    exact = diff.sum(axis=2) if metric == "manhattan" else diff.max(axis=2)
    order = np.lexsort((np.broadcast_to(np.arange(700), exact.shape), exact))
    assert_array_equal(ind, order[:, :4])
    assert_allclose(dist, np.take_along_axis(exact, order[:, :4], 1), rtol=1e-12)


@pytest.mark.parametrize("where", ["fit", "query"])
def test_p_below_one_float32_distances_never_overflow_to_inf(where):
    # 10 features of ±1e37 are within the Manhattan bound (1.7e37), but their
    # distance for p = 0.5 is 10² · 2e37 = 2e39: beyond float32.
    large = np.full((4, 10), 1e37, dtype=np.float32)
    large[::2] *= -1
    small = np.arange(40, dtype=np.float32).reshape(4, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Mind that for 0 < p < 1"
        model = KNNRegressor(2, p=0.5)
        with pytest.raises(ValueError, match="Standardise the features"):
            if where == "fit":
                model.fit(large, np.arange(4.0))
            model.fit(small, np.arange(4.0)).kneighbors(large)
    # Values within the p = 0.5 bound give finite distances.
    fine = large / np.float32(100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        dist, _ = KNNRegressor(2, p=0.5).fit(fine, np.arange(4.0)).kneighbors(fine)
    assert np.isfinite(dist).all()
