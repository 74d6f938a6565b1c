"""scikit-learn's estimator checks over every public estimator, several
configurations each, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import skdeep
from skdeep import MLPClassifier, MLPRegressor

# Each family lists the configurations it must pass in: defaults first, then
# the options that change the code path (solvers, layers, metrics, ...).

# Neural networks (skdeep.neural_network). Small budgets: the checks fit hundreds
# of times; every configuration still trains for real.
_MODERN = dict(
    dropout=0.1, normalization="batch", learning_rate="cosine", solver="rmsprop"
)
_REGULARISED = dict(
    solver="sgd",
    learning_rate="adaptive",
    activation="gelu",
    early_stopping=True,
    l1=1e-4,
    max_iter=100,
)
NETWORK_CONFIGURATIONS: list = [
    MLPClassifier(max_iter=100),
    MLPClassifier(**_MODERN, max_iter=100),
    MLPClassifier(**_REGULARISED, label_smoothing=0.1),
    MLPClassifier(solver="lbfgs"),
    MLPRegressor(max_iter=100),
    MLPRegressor(**_MODERN, max_iter=100),
    MLPRegressor(**_REGULARISED),
    MLPRegressor(solver="lbfgs"),
]

# Linear models (skdeep.linear_model).
LINEAR_CONFIGURATIONS: list = [
    skdeep.LeastSquaresRegressor(),
    skdeep.LeastSquaresRegressor(solver="lstsq", alpha=1.0),
    skdeep.LeastSquaresRegressor(solver="cholesky", alpha=0.5, fit_intercept=False),
    skdeep.LeastSquaresRegressor(solver="gd", alpha=0.1),
    skdeep.LeastSquaresRegressor(solver="sgd", random_state=0),
    skdeep.LeastSquaresRegressor(solver="adam", random_state=0),
    skdeep.LogisticRegression(),
    skdeep.LogisticRegression(solver="newton", class_weight="balanced"),
    skdeep.LogisticRegression(solver="gd", l1_ratio=0.5, max_iter=1000),
    skdeep.LogisticRegression(solver="sgd", random_state=0),
    skdeep.SoftmaxClassifier(),
    skdeep.SoftmaxClassifier(solver="newton"),
    skdeep.SoftmaxClassifier(solver="gd", max_iter=1000, l1_ratio=0.2),
    skdeep.SoftmaxClassifier(solver="adam", random_state=0, class_weight="balanced"),
]

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
