"""skdeep: scikit-learn-compatible learners on a pure-NumPy backpropagation core.

The estimators are thin scikit-learn shells over :mod:`skdeep.nn`, the
NumPy core of layers, losses, optimizers, schedules and the training loop.
"""

from . import nn
from .linear_model import (
    LeastSquaresRegressor,
    LogisticRegression,
    SoftmaxClassifier,
)
from .neighbors import KNN, KNNRegressor
from .neural_network import MLPClassifier, MLPRegressor
from .persistence import load, save

__version__ = "0.1.0.dev0"

# Public estimators, re-exported here as they land.
ESTIMATORS: list[str] = [
    "LeastSquaresRegressor",
    "LogisticRegression",
    "SoftmaxClassifier",
    "MLPClassifier",
    "MLPRegressor",
    "KNN",
    "KNNRegressor",
]

__all__ = [
    "KNN",
    "KNNRegressor",
    "LeastSquaresRegressor",
    "LogisticRegression",
    "MLPClassifier",
    "MLPRegressor",
    "SoftmaxClassifier",
    "__version__",
    "load",
    "nn",
    "save",
]
