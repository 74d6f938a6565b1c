"""Every estimator travels between processes: pickle and cloudpickle round trips.

joblib's process backends and Dask send estimators to workers with pickle or
cloudpickle (unfitted for a grid search, fitted for a refit or a model shipped
back), so a round trip must keep the parameters, the fitted state and the state
a later ``partial_fit`` continues from.
"""

import pickle

import cloudpickle
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_digits

import skdeep

# Several configurations per public estimator: the defaults, then the options
# that add fitted state (optimizer moments, batch-norm statistics, an index).
CONFIGURATIONS = {
    "LeastSquaresRegressor": [
        skdeep.LeastSquaresRegressor(),
        skdeep.LeastSquaresRegressor(solver="gd", alpha=0.1),
        skdeep.LeastSquaresRegressor(solver="adam", random_state=0, max_iter=5),
    ],
    "LogisticRegression": [
        skdeep.LogisticRegression(),
        skdeep.LogisticRegression(solver="newton", class_weight="balanced"),
        skdeep.LogisticRegression(solver="sgd", random_state=0, max_iter=5),
    ],
    "SoftmaxClassifier": [
        skdeep.SoftmaxClassifier(),
        skdeep.SoftmaxClassifier(solver="gd", l1_ratio=0.2, max_iter=50),
        skdeep.SoftmaxClassifier(solver="adam", random_state=0, max_iter=5),
    ],
    "MLPClassifier": [
        skdeep.MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0),
        skdeep.MLPClassifier(
            hidden_layer_sizes=(8, 8),
            normalization="batch",
            dropout=0.1,
            solver="rmsprop",
            learning_rate="cosine",
            max_iter=5,
            random_state=0,
        ),
        skdeep.MLPClassifier(
            hidden_layer_sizes=(8,), solver="lbfgs", max_iter=20, random_state=0
        ),
    ],
    "MLPRegressor": [
        skdeep.MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0),
        skdeep.MLPRegressor(
            hidden_layer_sizes=(8,),
            normalization="layer",
            solver="sgd",
            early_stopping=True,
            max_iter=5,
            random_state=0,
        ),
    ],
    "KNN": [
        skdeep.KNN(),
        skdeep.KNN(n_neighbors=3, weights="distance", metric="manhattan", n_jobs=2),
    ],
    "KNNRegressor": [
        skdeep.KNNRegressor(),
        skdeep.KNNRegressor(metric="minkowski", p=3, weights="distance"),
    ],
}
ALL = [
    pytest.param(estimator, id=f"{name}-{i}")
    for name, estimators in CONFIGURATIONS.items()
    for i, estimator in enumerate(estimators)
]
# Tiny budgets keep the file fast; convergence is not what is tested here.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

STOCHASTIC = [p for p in ALL if hasattr(p.values[0], "partial_fit")]
DUMPERS = [
    pytest.param(pickle, id="pickle"),
    pytest.param(cloudpickle, id="cloudpickle"),
]


def round_trip(dumper, estimator):
    return pickle.loads(dumper.dumps(estimator))


def digits_data(estimator, dtype=np.float64):
    """300 digits rows scaled to [0, 1]; the digit itself is a regression target."""
    X, y = load_digits(return_X_y=True)
    X = (X[:300] / 16).astype(dtype)
    y = y[:300]
    return X, (y if is_classifier(estimator) else y.astype(dtype))


def outputs(estimator, X):
    """Everything the estimator predicts on X, by method name."""
    methods = ("predict", "predict_proba", "decision_function")
    return {m: getattr(estimator, m)(X) for m in methods if hasattr(estimator, m)}


def assert_same_outputs(first, second, X):
    expected, got = outputs(first, X), outputs(second, X)
    assert expected.keys() == got.keys()
    for method, values in expected.items():
        assert_array_equal(got[method], values, err_msg=method)
        assert got[method].dtype == values.dtype, method


def test_every_public_estimator_is_audited():
    assert set(CONFIGURATIONS) == set(skdeep.ESTIMATORS)


@pytest.mark.parametrize("dumper", DUMPERS)
@pytest.mark.parametrize("estimator", ALL)
def test_unfitted_round_trip_keeps_the_parameters_and_fits_identically(
    estimator, dumper
):
    X, y = digits_data(estimator)
    copy = round_trip(dumper, clone(estimator))
    assert repr(copy.get_params()) == repr(estimator.get_params())
    assert_same_outputs(clone(estimator).fit(X, y), copy.fit(X, y), X)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("dumper", DUMPERS)
@pytest.mark.parametrize("estimator", ALL)
def test_fitted_round_trip_predicts_identically(estimator, dumper, dtype):
    X, y = digits_data(estimator, dtype)
    fitted = clone(estimator).fit(X, y)
    copy = round_trip(dumper, fitted)
    assert_same_outputs(fitted, copy, X)


@pytest.mark.parametrize("dumper", DUMPERS)
@pytest.mark.parametrize("estimator", STOCHASTIC)
def test_partial_fit_continues_identically_after_a_round_trip(estimator, dumper):
    # The optimizer's moments, its step count and the shuffling generator must
    # all travel: a worker that receives the model mid-stream continues exactly
    # where the sender would have.
    X, y = digits_data(estimator)
    first, second = (X[:150], y[:150]), (X[150:], y[150:])
    extra = {"classes": np.unique(y)} if is_classifier(estimator) else {}
    here = clone(estimator).partial_fit(*first, **extra)
    there = round_trip(dumper, here)
    here.partial_fit(*second)
    there.partial_fit(*second)
    assert_same_outputs(here, there, X)
