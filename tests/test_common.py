"""scikit-learn's estimator checks over every public estimator, several
configurations each, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import skdeep

# Each family lists the configurations it must pass in: defaults first, then
# the options that change the code path (solvers, layers, metrics, ...).

# Neural networks (skdeep.neural_network).
NETWORK_CONFIGURATIONS: list = []

# Linear models (skdeep.linear_model).
LINEAR_CONFIGURATIONS: list = []

# Nearest neighbours (skdeep.neighbors). A callable weight must pickle (a
# module-level function does) and be positive, which sigmoid is.
NEIGHBOR_CONFIGURATIONS: list = [
    config
    for Estimator in (skdeep.KNN, skdeep.KNNRegressor)
    for config in (
        Estimator(),
        Estimator(n_neighbors=3, weights="distance", metric="manhattan"),
        Estimator(metric="chebyshev"),
        Estimator(metric="minkowski", p=float("inf"), weights="distance"),
        Estimator(n_neighbors=4, p=3),
        Estimator(weights=skdeep.nn.activations.sigmoid, metric="euclidean"),
        Estimator(n_neighbors=2, n_jobs=2),
    )
]

CONFIGURATIONS = [
    *NETWORK_CONFIGURATIONS,
    *LINEAR_CONFIGURATIONS,
    *NEIGHBOR_CONFIGURATIONS,
]


@parametrize_with_checks(CONFIGURATIONS, expected_failed_checks=lambda est: {})
def test_scikit_learn_compatible(estimator, check):
    check(estimator)


def test_every_public_estimator_is_checked():
    checked = {type(est).__name__ for est in CONFIGURATIONS}
    assert set(skdeep.ESTIMATORS) <= checked
