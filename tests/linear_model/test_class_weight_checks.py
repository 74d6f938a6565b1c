"""class_weight goes through sample_weight's checks, in sample_weight's words."""

import numpy as np
import pytest

from skdeep.linear_model import LogisticRegression, SoftmaxClassifier

X = np.random.default_rng(0).normal(size=(20, 3))
Y = np.arange(20) % 2


@pytest.mark.parametrize("Classifier", [LogisticRegression, SoftmaxClassifier])
@pytest.mark.parametrize(
    "class_weight, message",
    [
        ({0: 0.0, 1: 0.0}, "class_weight .times sample_weight. leaves every sample"),
        ({0: np.nan, 1: 1.0}, "Input class_weight contains NaN"),
        ({0: np.inf, 1: 1.0}, "Input class_weight contains infinity"),
        ({0: -1.0, 1: 1.0}, "Negative values in data passed to `class_weight`"),
    ],
)
def test_class_weight_is_checked_like_sample_weight(Classifier, class_weight, message):
    with pytest.raises(ValueError, match=message):
        Classifier(class_weight=class_weight, max_iter=5).fit(X, Y)


@pytest.mark.parametrize("Classifier", [LogisticRegression, SoftmaxClassifier])
def test_partial_fit_checks_class_weight_too(Classifier):
    with pytest.raises(ValueError, match="Input class_weight contains NaN"):
        Classifier(class_weight={0: np.nan, 1: 1.0}, solver="sgd").partial_fit(
            X, Y, classes=[0, 1]
        )
