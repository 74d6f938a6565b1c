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
