"""Bad parameters of the network estimators get a clear ValueError."""

import numpy as np
import pytest

from skdeep import MLPClassifier, MLPRegressor

X = np.random.default_rng(0).normal(size=(20, 3))
Y = np.arange(20) % 2


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize(
    "sizes", [(np.inf,), (np.nan,), (4, -np.inf), (0,), (2.5,), ("4",)]
)
def test_hidden_layer_sizes_must_be_positive_whole_numbers(Estimator, sizes):
    with pytest.raises(ValueError, match="hidden_layer_sizes must be positive whole"):
        Estimator(hidden_layer_sizes=sizes, max_iter=1).fit(X, Y)


@pytest.mark.parametrize(
    "class_weight, message",
    [
        ({0: 0.0, 1: 0.0}, "class_weight .times sample_weight. leaves every sample"),
        ({0: np.nan, 1: 1.0}, "Input class_weight contains NaN"),
        ({0: np.inf, 1: 1.0}, "Input class_weight contains infinity"),
        ({0: -1.0, 1: 1.0}, "Negative values in data passed to `class_weight`"),
    ],
)
def test_class_weight_is_checked_like_sample_weight(class_weight, message):
    with pytest.raises(ValueError, match=message):
        MLPClassifier((4,), class_weight=class_weight, max_iter=1).fit(X, Y)


def test_class_weight_zero_where_sample_weight_is_the_only_weight_is_refused():
    with pytest.raises(ValueError, match="leaves every sample with weight 0"):
        MLPClassifier((4,), class_weight={0: 0.0, 1: 1.0}, max_iter=1).fit(
            X, Y, sample_weight=(Y == 0).astype(float)
        )


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_max_norm_with_lbfgs_is_refused_as_dropout_is(Estimator):
    # L-BFGS takes no optimizer steps to project after: max_norm was ignored.
    with pytest.raises(ValueError, match="max_norm needs a stochastic solver"):
        Estimator(
            hidden_layer_sizes=(4,), solver="lbfgs", max_norm=1.0, max_iter=1
        ).fit(X, Y)
