"""skdeep: scikit-learn-compatible learners on a pure-NumPy backpropagation core.

The estimators are thin scikit-learn shells over :mod:`skdeep.nn`, the
NumPy core of layers, losses, optimizers, schedules and the training loop.
"""

from . import nn
from .neighbors import KNN, KNNRegressor  # noqa: F401 (exported via ESTIMATORS)

__version__ = "0.1.0.dev0"

# Public estimators, re-exported here as they land.
ESTIMATORS: list[str] = [
    "KNN",
    "KNNRegressor",
]

__all__ = ["__version__", "nn", *ESTIMATORS]
