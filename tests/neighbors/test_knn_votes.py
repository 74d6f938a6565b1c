"""KNN.predict votes from the k neighbours' labels: no (queries × classes) matrix.

The winners must be those of the vote matrix that ``predict_proba``
normalises (its argmax: equal votes to the smallest class index), which is
scikit-learn's rule too.
"""

import tracemalloc
import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_array_equal
from sklearn.neighbors import KNeighborsClassifier

from skdeep import KNN
from skdeep.neighbors._knn import _vote_winners


def _matrix_winners(labels, weights, n_classes):
    """The argmax of the vote matrix, votes added in neighbour order (as before)."""
    votes = np.zeros((labels.shape[0], n_classes))
    rows = np.arange(labels.shape[0])
    for j in range(labels.shape[1]):
        votes[rows, labels[:, j]] += 1.0 if weights is None else weights[:, j]
    return np.argmax(votes, axis=1)


_WEIGHT_VALUES = st.sampled_from(
    [0.0, -0.0, 0.1, 0.2, 0.3, 1.0, 2.0, -1.0, 1e308, np.nan, 1 / 3, 0.7]
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    shape=st.tuples(st.integers(1, 12), st.integers(1, 9)),
    n_classes=st.integers(1, 6),
    data=st.data(),
)
def test_winners_equal_the_argmax_of_the_vote_matrix(shape, n_classes, data):
    # Ties, zero and negative weights (a class no neighbour has then holds the
    # largest vote, 0), NaN, and sums whose rounding depends on the order.
    labels = data.draw(
        hnp.arrays(np.intp, shape, elements=st.integers(0, n_classes - 1))
    )
    weights = data.draw(
        st.none() | hnp.arrays(np.float64, shape, elements=_WEIGHT_VALUES)
    )
    with np.errstate(all="ignore"):
        expected = _matrix_winners(labels, weights, n_classes)
        assert_array_equal(_vote_winners(labels, weights, n_classes), expected)


def test_predict_equals_the_old_vote_and_scikit_learn_on_tied_votes(rng):
    # Distinct distances (the same neighbours as scikit-learn's), tied votes:
    # 2-2 and 2-2-2 splits of 4 and 6 neighbours among 7 classes are common.
    X = rng.normal(size=(300, 2))
    y = rng.integers(0, 7, size=300)
    queries = rng.normal(size=(400, 2))
    for weights in ("uniform", "distance"):
        for k in (1, 4, 6, 30):
            clf = KNN(n_neighbors=k, weights=weights).fit(X, y)
            votes = clf._votes(queries)[0]
            old = clf.classes_[np.argmax(votes, axis=1)]
            if weights == "uniform" and k in (4, 6):
                top_two = np.sort(votes, axis=1)[:, -2:]
                assert np.sum(top_two[:, 0] == top_two[:, 1]) > 20
            predicted = clf.predict(queries)
            assert_array_equal(predicted, old)
            ref = KNeighborsClassifier(n_neighbors=k, weights=weights).fit(X, y)
            assert_array_equal(predicted, ref.predict(queries))


def test_multi_output_predict_equals_the_old_vote(rng):
    X = rng.normal(size=(60, 3))
    Y = np.c_[rng.integers(0, 3, 60), rng.choice(["a", "b", "c", "d"], 60)]
    queries = rng.normal(size=(25, 3))
    clf = KNN(n_neighbors=6, weights=lambda d: np.round(d, 1)).fit(X, Y)
    votes = clf._votes(queries)
    old = np.stack(
        [c[np.argmax(v, axis=1)] for c, v in zip(clf.classes_, votes, strict=True)],
        axis=1,
    )
    assert_array_equal(clf.predict(queries), old)


def test_predict_with_many_classes_needs_no_more_memory_than_the_search(rng):
    # 8,000 classes × 8,000 queries: the vote matrix took 489 MiB.
    X = rng.normal(size=(8000, 2))
    y = np.arange(8000)
    queries = rng.normal(size=(8000, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "unique classes > 50%"
        clf = KNN().fit(X, y)
    peaks = []
    for method in (clf.kneighbors, clf.predict):
        tracemalloc.start()
        try:
            method(queries)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    search, predict = peaks
    assert predict < search + 16 * 2**20
