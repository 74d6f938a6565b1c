"""A warm start or partial_fit continues the fitted network: the parameters that
built its layers may not change (refused, naming the parameter); the options
acting on existing layers and the loss (same output link) are applied."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from skdeep import MLPClassifier, MLPRegressor, nn


@pytest.fixture
def data():
    return make_classification(n_samples=80, n_features=4, random_state=0)


def _continue(estimator, call, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if call == "partial_fit":
            return estimator.partial_fit(X, y)
        return estimator.fit(X, y)


def _fitted(X, y, call, **params):
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0,
                        warm_start=call == "warm_start", **params)  # fmt: skip
    return _continue(clf, "fit", X, y)


@pytest.mark.parametrize("call", ["warm_start", "partial_fit"])
@pytest.mark.parametrize(
    "fitted, changed",
    [
        ({}, {"hidden_layer_sizes": (7,)}),
        ({}, {"hidden_layer_sizes": (5, 5)}),
        ({}, {"activation": "tanh"}),
        ({}, {"normalization": "batch"}),
        ({"normalization": "layer"}, {"normalization": None}),
        ({}, {"dropout": 0.3}),
        ({"dropout": 0.2}, {"dropout": 0.0}),
    ],
)
def test_a_changed_layer_parameter_is_refused_and_changes_nothing(
    data, call, fitted, changed
):
    X, y = data
    clf = _fitted(X, y, call, **fitted)
    before, proba = pickle.dumps(clf), clf.predict_proba(X)
    params = clf.get_params()
    clf.set_params(**changed)
    (name,) = changed
    with pytest.raises(ValueError, match=rf"^{name}=.* does not match the fitted"):
        _continue(clf, call, X, y)
    clf.set_params(**params)
    assert pickle.dumps(clf) == before
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


@pytest.mark.parametrize("call", ["warm_start", "partial_fit"])
def test_a_network_without_hidden_layers_continues(data, call):
    # No hidden layer has an activation or a normalization to compare: the
    # parameters' (default) values describe nothing and must not be refused.
    X, y = data
    clf = MLPClassifier(hidden_layer_sizes=(), max_iter=3, random_state=0,
                        warm_start=call == "warm_start")  # fmt: skip
    _continue(clf, "fit", X, y)
    coef = clf.coefs_[0].copy()
    clf.set_params(activation="tanh")
    _continue(clf, call, X, y)
    assert not np.array_equal(clf.coefs_[0], coef)
    clf.set_params(hidden_layer_sizes=(3,))
    with pytest.raises(ValueError, match=r"^hidden_layer_sizes=.* does not match"):
        _continue(clf, call, X, y)


@pytest.mark.parametrize("call", ["warm_start", "partial_fit"])
def test_changed_dropout_rates_and_max_norm_are_applied(data, call):
    X, y = data
    clf = _fitted(X, y, call, dropout=0.2)
    clf.set_params(dropout=0.5, max_norm=0.1)
    _continue(clf, call, X, y)
    (dropout,) = [ly for ly in clf.network_.layers if isinstance(ly, nn.Dropout)]
    assert dropout.rate == 0.5
    for W in clf.coefs_:
        assert np.linalg.norm(W, axis=0).max() <= 0.1 * (1 + 1e-12)


@pytest.mark.parametrize("call", ["warm_start", "partial_fit"])
def test_a_changed_label_smoothing_is_applied(data, call):
    X, y = data
    clf = _fitted(X, y, call)
    clf.set_params(label_smoothing=0.2)
    _continue(clf, call, X, y)
    assert clf._loss.label_smoothing == 0.2


@pytest.mark.parametrize("call", ["warm_start", "partial_fit"])
def test_a_loss_is_applied_if_it_keeps_the_output_link_else_refused(data, call):
    X, y = data
    y = y.astype(float)
    reg = MLPRegressor(hidden_layer_sizes=(5,), max_iter=3, random_state=0,
                       warm_start=call == "warm_start")  # fmt: skip
    _continue(reg, "fit", X, y)
    reg.set_params(loss="huber")
    _continue(reg, call, X, y)
    assert reg._loss.name == "huber"
    before = pickle.dumps(reg)
    reg.set_params(loss="poisson")  # exp link: the output layer means other things
    with pytest.raises(ValueError, match=r"^loss='poisson' has another output link"):
        _continue(reg, call, X, y)
    reg.set_params(loss="huber")
    assert pickle.dumps(reg) == before
