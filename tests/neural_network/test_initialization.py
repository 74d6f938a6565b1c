"""weight_init='auto' is scikit-learn's initialization, and what that buys."""

import math
import warnings

import numpy as np
import pytest
import sklearn.neural_network as sk
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import check_regressors_train

from skdeep import MLPClassifier, MLPRegressor


def _initial_network(estimator, n_features, n_outputs):
    """The network a first fit starts from (built as ``fit`` builds it)."""
    hidden = estimator._hidden_layers()
    rng = np.random.default_rng(0)
    return estimator._build_network(n_features, n_outputs, hidden, rng, np.float64)


@pytest.mark.parametrize(
    ("activation", "factor"),
    [("relu", 6), ("tanh", 6), ("identity", 6), ("gelu", 6), ("logistic", 2),
     ("sigmoid", 2)],
)  # fmt: skip
def test_auto_draws_weights_and_biases_by_scikit_learns_rule(activation, factor):
    # scikit-learn's _init_coef: W and b ~ U(-a, a), a = √(f / (fan_in + fan_out)),
    # f = 2 for logistic units, else 6, in every layer (the output layer too).
    mlp = MLPClassifier((300, 200), activation=activation)
    network = _initial_network(mlp, 100, 3)
    dense = [layer for layer in network.layers if hasattr(layer, "W")]
    fans = [(100, 300), (300, 200), (200, 3)]
    for layer, (fan_in, fan_out) in zip(dense, fans, strict=True):
        limit = math.sqrt(factor / (fan_in + fan_out))
        assert np.abs(layer.W).max() <= limit
        assert np.abs(layer.W).max() > 0.99 * limit  # 600+ draws reach the edges
        assert np.abs(layer.b).max() <= limit
        assert np.abs(layer.b).max() > 0.5 * limit
        # U(-a, a) has σ = a/√3; the kernels hold 600+ draws.
        assert abs(layer.W.std() * math.sqrt(3) / limit - 1) < 0.1


def test_named_initializers_keep_zero_biases():
    network = _initial_network(MLPClassifier((20,), weight_init="he_uniform"), 10, 3)
    dense = [layer for layer in network.layers if hasattr(layer, "W")]
    assert np.abs(dense[0].W).max() > math.sqrt(6 / 30)  # He's wider limit √(6/10)
    assert all(not layer.b.any() for layer in dense)


def test_regressor_passes_check_regressors_train_in_50_epochs():
    # He's initialization failed this check where scikit-learn's passes.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_regressors_train("MLPRegressor", sk.MLPRegressor(max_iter=50))
        check_regressors_train("MLPRegressor", MLPRegressor(max_iter=50))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sgd_with_momentum_trains_on_unscaled_iris_as_scikit_learn_does(seed):
    # He's initialization made SGD (momentum 0.9) diverge on the raw features.
    X, y = load_iris(return_X_y=True)
    options = dict(solver="sgd", learning_rate_init=0.01, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = sk.MLPRegressor(**options).fit(X, y).score(X, y)
        score = MLPRegressor(**options).fit(X, y).score(X, y)
    assert reference > 0.8
    assert score > 0.8
