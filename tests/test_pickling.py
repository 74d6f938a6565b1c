"""Every estimator travels between processes: pickle and cloudpickle round trips.

joblib's process backends and Dask send estimators to workers with pickle or
cloudpickle (unfitted for a grid search, fitted for a refit or a model shipped
back), so a round trip must keep the parameters, the fitted state and the state
a later ``partial_fit`` continues from.
"""

import io
import pickle
from copy import deepcopy

import cloudpickle
import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_digits

import skdeep
from skdeep import nn
from skdeep.linear_model._solvers import _LinearLayer

from estimator_configurations import CONFIGURATIONS as ALL_CONFIGURATIONS
from estimator_configurations import config_id, with_budget

# Every registered configuration: the defaults, then the options that add
# fitted state (optimizer moments, batch-norm statistics, an index). Tiny
# budgets keep the file fast; seeded, so that two fits can be compared.
CONFIGURATIONS = [
    with_budget(est, width=8, epochs=5, max_iter=50, random_state=0)
    for est in ALL_CONFIGURATIONS
]
ALL = [pytest.param(est, id=config_id(est)) for est in CONFIGURATIONS]
# Convergence is not what is tested here, nor the Cholesky solver's fallback on
# the digits' constant pixels.
pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore:LeastSquaresRegressor.*ill-conditioned"),
]

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
    assert {type(est).__name__ for est in CONFIGURATIONS} == set(skdeep.ESTIMATORS)


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


# --- Layers taken in the middle of training ------------------------------------
# Every layer type, unbuilt; ``_LinearLayer`` (the linear models' minibatch
# solvers) stands for a subclass that inherits its base's declarations.
LAYERS = [
    pytest.param(lambda: nn.Layer(), id="Layer"),
    pytest.param(lambda: nn.Dense(3, l1=0.1, l2=0.2), id="Dense"),
    pytest.param(lambda: nn.Activation("tanh"), id="Activation"),
    pytest.param(lambda: nn.Activation("prelu"), id="Activation-prelu"),
    pytest.param(lambda: nn.Dropout(0.3), id="Dropout"),
    pytest.param(lambda: nn.BatchNorm(), id="BatchNorm"),
    pytest.param(lambda: nn.LayerNorm(), id="LayerNorm"),
    pytest.param(
        lambda: _LinearLayer(3, l2=0.2, fit_intercept=False), id="_LinearLayer"
    ),
    pytest.param(
        lambda: nn.Sequential(
            [
                nn.Dense(6, l2=0.1),
                nn.BatchNorm(),
                nn.Activation("prelu"),
                nn.Dropout(0.3),
                nn.LayerNorm(),
                nn.Dense(3, l1=0.01, l2=0.1),
            ]
        ),
        id="Sequential",
    ),
]


def _joblib_copy(layer):
    # joblib writes each array apart from the pickle stream: a list that
    # aliased a layer's attributes would come back holding copies of them.
    buffer = io.BytesIO()
    joblib.dump(layer, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


COPIERS = [
    pytest.param(lambda layer: pickle.loads(pickle.dumps(layer)), id="pickle"),
    pytest.param(deepcopy, id="deepcopy"),
    pytest.param(_joblib_copy, id="joblib"),
]


def _layers_of(layer):
    return [layer, *getattr(layer, "layers", ())]


def _training_step(layer, optimizer, X, rng):
    """Forward in training mode, backward, step; the output of the forward."""
    Y = layer.forward(X, training=True)
    layer.backward(rng.normal(size=Y.shape))
    optimizer.step(layer.params, layer.grads)
    return Y


@pytest.mark.parametrize("copier", COPIERS)
@pytest.mark.parametrize("make_layer", LAYERS)
def test_a_layer_copied_mid_training_carries_no_cache_and_trains_on_identically(
    make_layer, copier
):
    """Copied after a training-mode forward and backward (from a callback, say),
    a layer leaves out what it caches for backward and carries its scratch
    buffers as zeros; the copy then trains and predicts exactly as the
    original does."""
    rng = np.random.default_rng(0)
    layer = make_layer()
    layer.build(4, rng, np.float64)
    X = [rng.normal(size=(8, 4)) for _ in range(4)]
    optimizer = skdeep.nn.optimizers.get("adam", learning_rate=0.01)
    _training_step(layer, optimizer, X[0], rng)
    Y = layer.forward(X[1], training=True)
    layer.backward(np.ones_like(Y))

    copy = copier(layer)
    for original, copied in zip(_layers_of(layer), _layers_of(copy), strict=True):
        caches, scratch = type(original).transient_attributes()
        assert not caches & vars(copied).keys()
        for name in scratch:
            assert_array_equal(getattr(copied, name), 0.0)
            assert getattr(copied, name).shape == getattr(original, name).shape
    copy_optimizer = deepcopy(optimizer)
    for step_X in X[2:]:
        assert_array_equal(
            _training_step(copy, copy_optimizer, step_X, np.random.default_rng(1)),
            _training_step(layer, optimizer, step_X, np.random.default_rng(1)),
        )
    for a, b in zip(layer.params + layer.state, copy.params + copy.state, strict=True):
        assert_array_equal(a, b)
    assert_array_equal(copy.forward(X[0]), layer.forward(X[0]))
