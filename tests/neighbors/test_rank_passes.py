"""Brute force's cheaper first passes: a float32 rank block for float64
Euclidean data, given up where its error bound is too loose, and the tie
rule's fast ordering of the refined pairs.

Whatever pass ranks the candidates, the neighbours, their order and their
distances are those of the exact float64 distances, ties by training index.
"""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits

import skdeep.neighbors._distances as distances
import skdeep.neighbors._metrics as metrics
from skdeep import KNN


def _passes_run(monkeypatch):
    """Record the pass of every chunk search (and whether it gave up)."""
    runs = []
    chunk = distances._chunk_kneighbors

    def recording_chunk(*args):
        result = chunk(*args)
        runs.append((args[-1], result is not None))
        return result

    monkeypatch.setattr(distances, "_chunk_kneighbors", recording_chunk)
    return runs


def _exact_neighbours(Q, X, k):
    """Indices and distances by exact float64 sums, ties by training index."""
    squared = ((Q[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
    order = np.lexsort((np.broadcast_to(np.arange(X.shape[0]), squared.shape), squared))
    ind = order[:, :k]
    return np.sqrt(np.take_along_axis(squared, ind, axis=1)), ind


def test_float64_euclidean_data_are_ranked_in_float32_with_the_same_answer(
    monkeypatch,
):
    X, y = load_digits(return_X_y=True)
    X = (X - X.mean(axis=0)) / (X.std(axis=0) + 1)  # float64, with ties
    model = KNN(5).fit(X, y)
    runs = _passes_run(monkeypatch)
    narrow = model.kneighbors(X), model.kneighbors()
    assert {name for name, _ in runs} == {"narrow"}
    monkeypatch.setattr(metrics.Euclidean, "narrow_dtype", lambda *args: None)
    runs.clear()
    wide = model.kneighbors(X), model.kneighbors()
    assert {name for name, _ in runs} == {"data"}
    for got, want in zip(narrow, wide, strict=True):
        assert_array_equal(got[0], want[0])
        assert_array_equal(got[1], want[1])


def test_a_float32_pass_too_coarse_for_the_data_gives_way_to_float64(rng, monkeypatch):
    # A common offset of 1e4 leaves float32 about 1e-3 of resolution on the
    # squared norms, far coarser than the gaps between these distances.
    X = 1e4 + rng.random((400, 4)) * 1e-2
    Q = 1e4 + rng.random((100, 4)) * 1e-2
    runs = _passes_run(monkeypatch)
    dist, ind = KNN(5, algorithm="brute").fit(X, np.zeros(400)).kneighbors(Q)
    assert runs[0] == ("narrow", False) and runs[-1] == ("data", True)
    want_dist, want_ind = _exact_neighbours(Q, X, 5)
    assert_array_equal(ind, want_ind)
    np.testing.assert_allclose(dist, want_dist, rtol=1e-12)


@pytest.mark.parametrize("scale", [1e-20, 1e20])
def test_squared_norms_beyond_float32s_comfort_skip_the_float32_pass(
    rng, monkeypatch, scale
):
    X, Q = rng.normal(size=(300, 3)) * scale, rng.normal(size=(30, 3)) * scale
    runs = _passes_run(monkeypatch)
    _, ind = KNN(4, algorithm="brute").fit(X, np.zeros(300)).kneighbors(Q)
    assert {name for name, _ in runs} == {"data"}
    assert_array_equal(ind, _exact_neighbours(Q / scale, X / scale, 4)[1])


def test_a_query_that_overflows_float32_gets_the_float64_passs_answer(rng, monkeypatch):
    # Its row of the float32 block overflows: the row is searched in full.
    X = rng.normal(size=(300, 3))
    Q = np.vstack([rng.normal(size=(80, 3)), [[1e30, 0.0, 0.0]]])
    model = KNN(3, algorithm="brute").fit(X, np.zeros(300))
    runs = _passes_run(monkeypatch)
    narrow = model.kneighbors(Q)
    assert runs == [("narrow", True)]
    monkeypatch.setattr(metrics.Euclidean, "narrow_dtype", lambda *args: None)
    for got, want in zip(narrow, model.kneighbors(Q), strict=True):
        assert_array_equal(got, want)


def test_candidates_stop_before_listing_the_pairs_of_a_failed_pass(rng):
    R = np.zeros((50, 400))  # every value ties: every pair is a candidate
    assert distances._candidates(R, 5, 0.0, np.zeros(50), None, limit=1000) is None
    rows, cols = distances._candidates(R, 5, 0.0, np.zeros(50), None)
    assert np.unique(rows * R.shape[1] + cols).size == R.size


@pytest.mark.parametrize("n_rows", [30, 2**16 + 1])
@pytest.mark.parametrize("with_ties", [False, True])
def test_the_tie_rule_order_is_the_three_key_lexsort(rng, n_rows, with_ties):
    n_pairs = 5000
    rows = rng.integers(0, n_rows, n_pairs)
    cols = rng.permutation(n_pairs)
    values = rng.integers(0, 40, n_pairs) if with_ties else rng.random(n_pairs)
    values = values.astype(np.float64)
    assert_array_equal(
        distances._tie_rule_order(rows, values, cols, n_rows),
        np.lexsort((cols, values, rows)),
    )


def test_a_few_queries_skip_the_float32_pass(rng, monkeypatch):
    # Casting the training set would cost more than the narrower product saves.
    X = rng.normal(size=(500, 20))
    model = KNN(5).fit(X, np.zeros(500))
    runs = _passes_run(monkeypatch)
    model.kneighbors(X[: distances._NARROW_MIN_ROWS - 1])
    assert {name for name, _ in runs} == {"data"}
    runs.clear()
    model.kneighbors(X[: distances._NARROW_MIN_ROWS])
    assert {name for name, _ in runs} == {"narrow"}
