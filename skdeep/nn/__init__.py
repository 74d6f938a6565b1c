"""The pure-NumPy backpropagation core of skdeep.

Layers (:class:`Dense`, :class:`Activation`, :class:`Dropout`,
:class:`BatchNorm`, :class:`LayerNorm`) stack into a :class:`Sequential`
network; a loss from :mod:`~skdeep.nn.losses` turns its raw scores into a value
and a gradient; an optimizer from :mod:`~skdeep.nn.optimizers` (learning rate
fixed or from :mod:`~skdeep.nn.schedules`) updates the parameters; :func:`train`
runs the minibatch loop and :func:`check_gradients` verifies any layer against
finite differences. This package never imports scikit-learn.

Examples
--------
>>> import numpy as np
>>> from skdeep import nn
>>> rng = np.random.default_rng(0)
>>> net = nn.Sequential([nn.Dense(32), nn.BatchNorm(), nn.Activation("gelu"),
...                      nn.Dropout(0.1), nn.Dense(3)])
>>> net.build(4, rng, np.float64)
3
>>> X, y = rng.normal(size=(90, 4)), np.eye(3)[rng.integers(0, 3, size=90)]
>>> history = nn.train(net, nn.losses.get("softmax_cross_entropy"),
...                    nn.optimizers.get("adam"), X, y, rng=rng, epochs=5)
>>> len(history.epochs["loss"])
5
"""

from . import activations, initializers, losses, optimizers, schedules
from .activations import Activation
from .gradcheck import check_gradients
from .layers import Dense, Dropout, Layer, NotBuiltError
from .network import Sequential
from .normalization import BatchNorm, LayerNorm
from .training import History, TrainingDivergedError, train

__all__ = [
    "Activation",
    "BatchNorm",
    "Dense",
    "Dropout",
    "History",
    "Layer",
    "LayerNorm",
    "NotBuiltError",
    "Sequential",
    "TrainingDivergedError",
    "activations",
    "check_gradients",
    "initializers",
    "losses",
    "optimizers",
    "schedules",
    "train",
]
