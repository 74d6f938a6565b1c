"""Linear models: least squares, logistic and softmax (multinomial) regression.

They are the zero-hidden-layer members of skdeep's network family: one Dense
layer and the matching loss. Where a better solver than minibatch descent
exists -- a closed form, L-BFGS, Newton's method, accelerated proximal
gradient -- it is used; ``solver="sgd"`` and ``"adam"`` train the layer with
the :mod:`skdeep.nn` core and support ``partial_fit``.
"""

from ._least_squares import LeastSquaresRegressor
from ._logistic import LogisticRegression, SoftmaxClassifier

__all__ = ["LeastSquaresRegressor", "LogisticRegression", "SoftmaxClassifier"]
