"""Multi-layer perceptrons: drop-in replacements for scikit-learn's MLP estimators.

Both estimators accept every parameter of scikit-learn's ``MLPClassifier`` and
``MLPRegressor`` with the same defaults and meaning, and add what modern
training needs (more activations, solvers and schedules, dropout, batch and
layer normalization, L1 and max-norm, label smoothing, class weights, random
restarts). The work is done by :mod:`skdeep.nn`; see
:class:`~skdeep.neural_network._base.BaseNetwork`.
"""

from ._multilayer_perceptron import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
