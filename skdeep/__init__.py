"""skdeep: scikit-learn-compatible learners on a pure-NumPy backpropagation core.

The estimators are thin scikit-learn shells over :mod:`skdeep.nn`, the
NumPy core of layers, losses, optimizers, schedules and the training loop.
"""

from sklearn.base import BaseEstimator as _BaseEstimator

from . import nn
from ._version import __version__
from .linear_model import (
    LeastSquaresRegressor,
    LogisticRegression,
    SoftmaxClassifier,
)
from .neighbors import KNN, KNNRegressor
from .neural_network import MLPClassifier, MLPRegressor
from .persistence import load, save

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

# The public estimators: read off __all__, so that exporting one lists it.
ESTIMATORS: list[str] = [
    name
    for name in __all__
    if isinstance(globals()[name], type) and issubclass(globals()[name], _BaseEstimator)
]
