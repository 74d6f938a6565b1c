"""weights="distance": scikit-learn's semantics without overflow."""

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from skdeep.neighbors import KNN, KNNRegressor

X = np.array([[0.0], [1.0]])


@pytest.mark.parametrize("query", [1e-300, 5e-324, 0.0, 0.5])
def test_a_tiny_distance_predicts_the_target_like_scikit_learn(query):
    y = np.array([1e10, 0.0])
    ours = KNNRegressor(n_neighbors=2, weights="distance").fit(X, y)
    theirs = KNeighborsRegressor(n_neighbors=2, weights="distance").fit(X, y)
    prediction = ours.predict([[query]])
    assert np.isfinite(prediction).all()
    np.testing.assert_allclose(prediction, theirs.predict([[query]]), rtol=1e-15)


def test_an_exact_match_takes_all_the_weight():
    X_fit = np.array([[0.0], [0.0], [1.0]])
    y = np.array([0, 1, 1])
    ours = KNN(n_neighbors=3, weights="distance").fit(X_fit, y)
    theirs = KNeighborsClassifier(n_neighbors=3, weights="distance").fit(X_fit, y)
    np.testing.assert_array_equal(
        ours.predict_proba([[0.0]]), theirs.predict_proba([[0.0]])
    )
    np.testing.assert_array_equal(ours.predict_proba([[0.0]]), [[0.5, 0.5]])
