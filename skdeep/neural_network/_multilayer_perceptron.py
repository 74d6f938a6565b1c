"""MLPClassifier and MLPRegressor: the scikit-learn shells of the network family."""

from __future__ import annotations

from numbers import Real
from typing import ClassVar

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import column_or_1d

from .. import nn
from .._validation import (
    check_classification_labels,
    check_float32_magnitude,
    check_label_types,
    check_numeric_targets,
    checked_class_weights,
    checked_sample_weight,
    validate_data,
)
from ._base import BaseNetwork, stochastic_partial_fit
from ._docs import ATTRIBUTES, PARAMETERS, TRAILING_PARAMETERS


class MLPClassifier(ClassifierMixin, BaseNetwork):
    __doc__ = f"""Multi-layer perceptron classifier trained by backpropagation in NumPy.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`
    with modern training options.

    Parameters
    ----------
    {PARAMETERS}
    label_smoothing : float in [0, 1), default=0.0
        Train on targets ``(1 − ε)·y + ε/K`` (K = 2 for binary and multi-label
        outputs), which keeps the network from growing overconfident.
    class_weight : dict, list of dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``; 'balanced'
        uses ``n_samples / (n_classes · count(class))``. Not 'balanced' in
        ``partial_fit``, where the class counts are not known.
    {TRAILING_PARAMETERS}

    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        Class labels (for multi-label output, the label indices).
    {ATTRIBUTES}
    out_activation_ : str
        'softmax' (multiclass) or 'logistic' (binary and multi-label).

    See Also
    --------
    MLPRegressor : The same network for regression.
    sklearn.neural_network.MLPClassifier : scikit-learn's version.

    Notes
    -----
    The network is ``Dense → [norm] → activation → [dropout]`` per hidden layer,
    then a Dense output layer. Binary and multi-label outputs use the sigmoid
    with the binary cross-entropy, multiclass outputs the softmax with the
    cross-entropy; with these canonical links the gradient at the output is
    ``(p − y) / n``. The objective of a minibatch of n rows is
    ``Σᵢ sᵢ ℓᵢ / Σᵢ sᵢ + (alpha/2·‖W‖² + l1·‖W‖₁) / (n·mean(s))``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdeep import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(
    ...     StandardScaler(),
    ...     MLPClassifier((32,), activation="gelu", dropout=0.1,
    ...                   learning_rate_init=0.01, max_iter=300, random_state=0),
    ... ).fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    >>> clf.predict_proba(X[:1]).round(2)
    array([[1., 0., 0.]])
    """

    _parameter_constraints: ClassVar[dict] = {
        **BaseNetwork._parameter_constraints,
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "class_weight": [dict, list, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        normalization=None,
        l1=0.0,
        max_norm=None,
        weight_init="auto",
        label_smoothing=0.0,
        class_weight=None,
        n_init=1,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.normalization = normalization
        self.l1 = l1
        self.max_norm = max_norm
        self.weight_init = weight_init
        self.label_smoothing = label_smoothing
        self.class_weight = class_weight
        self.n_init = n_init

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to data matrix X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 input is trained in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a label indicator matrix for multi-label output.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        Returns
        -------
        self : MLPClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight)

    @stochastic_partial_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train for one epoch over the given data, keeping the optimizer's state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.
        classes : array-like of shape (n_classes,), default=None
            All the classes, required on the first call (``y`` need not contain
            them all); ignored afterwards.

        Returns
        -------
        self : MLPClassifier
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _validate_training_data(
        self, X, y, sample_weight, *, reset, incremental, classes=None
    ):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_label_types(y, self)
        check_classification_labels(y)
        self._set_or_check_classes(
            y, reset=reset, incremental=incremental, classes=classes
        )
        binarizer = self._label_binarizer
        self.out_activation_ = (
            "softmax" if binarizer.y_type_ == "multiclass" else "logistic"
        )
        self._multilabel = binarizer.y_type_.startswith("multilabel")
        Y = binarizer.transform(y).astype(X.dtype)
        return X, Y, self._training_weights(sample_weight, X, y, incremental)

    def _set_or_check_classes(self, y, *, reset, incremental, classes) -> None:
        """Learn ``classes_`` on a first call; else check ``y`` against them."""
        if incremental and _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
            self.classes_ = self._label_binarizer.classes_
            if not self._label_binarizer.y_type_.startswith("multilabel"):
                self._check_labels_in_classes(y)
        elif reset or not hasattr(self, "classes_"):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            seen = unique_labels(y)
            if self.warm_start and not incremental:
                if set(seen) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes "
                        f"as in the previous call to fit. Previously got "
                        f"{self.classes_}, `y` has {seen}"
                    )
            else:
                self._check_labels_in_classes(y)

    def _check_labels_in_classes(self, y) -> None:
        seen = unique_labels(y)
        if len(np.setdiff1d(seen, self.classes_, assume_unique=True)):
            raise ValueError(
                f"`y` has classes not in `self.classes_`. `self.classes_` has "
                f"{self.classes_}. 'y' has {seen}."
            )

    def _training_weights(self, sample_weight, X, y, incremental):
        """``sample_weight`` checked, times the weights of ``class_weight``."""
        sample_weight = checked_sample_weight(sample_weight, X)
        if self.class_weight is None:
            return sample_weight
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: the class "
                "frequencies of the whole data are unknown. Pass a dict of weights."
            )
        by_row = compute_sample_weight(self.class_weight, y).astype(X.dtype)
        return checked_class_weights(by_row, sample_weight)

    def _make_loss(self):
        if self.out_activation_ == "softmax":
            return nn.losses.SoftmaxCrossEntropy(label_smoothing=self.label_smoothing)
        return nn.losses.BinaryCrossEntropy(label_smoothing=self.label_smoothing)

    def _strata(self, Y):
        # As in scikit-learn, single-label targets only: multilabel rows are not
        # stratified.
        if self._multilabel:
            return None
        if Y.shape[1] == 1:  # binary: the column says whether the second class
            return self.classes_[(Y[:, 0] > 0.5).astype(np.intp)]
        return self.classes_[Y.argmax(axis=1)]

    def _validation_score(self, Y_val, output, sample_weight) -> float:
        y_val, predicted = self._decode(Y_val), self._decode(output)
        return accuracy_score(y_val, predicted, sample_weight=sample_weight)

    def predict(self, X):
        """Predict class labels (or label indicators for multi-label output).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted classes.
        """
        return self._decode(self._raw_output(X))

    def _decode(self, output):
        # _label_binarizer.inverse_transform's operations for single labels,
        # without its validation (which costs more than a one-row prediction).
        classes, kind = self._label_binarizer.classes_, self._label_binarizer.y_type_
        if kind == "multiclass":
            return classes[np.argmax(output, axis=1)]
        if kind == "binary" and len(classes) == 2 and output.shape[1] == 1:
            return classes[(output[:, 0] > 0.5).astype(np.intp)]
        return self._label_binarizer.inverse_transform(output)

    def predict_proba(self, X):
        """Probability of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities in the order of ``classes_`` (for multi-label
            output, each label's probability).
        """
        _, scores = self._checked_scores(X)
        if self.out_activation_ == "softmax":
            return nn.losses.softmax(scores)
        sigmoid = nn.activations.sigmoid
        if self._multilabel:
            proba = sigmoid(scores)
        else:  # σ(−z) for the negative class: 1 − σ(z) would round to 0 early
            proba = np.hstack([sigmoid(-scores), sigmoid(scores)])
        # Sigmoid probabilities stay strictly inside (0, 1): σ(z) rounds to 1
        # for z > 37 in float64, yet no binary event is certain.
        info = np.finfo(proba.dtype)
        return np.clip(proba, info.tiny, 1.0 - info.epsneg, out=proba)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseNetwork):
    __doc__ = f"""Multi-layer perceptron regressor trained by backpropagation in NumPy.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`
    with modern training options.

    Parameters
    ----------
    loss : {{'squared_error', 'poisson', 'absolute_error', 'huber'}}, \
default='squared_error'
        'squared_error' is half the mean squared error and 'poisson' half the
        Poisson deviance with a log link (requires ``y >= 0``), as in
        scikit-learn; 'absolute_error' is the mean absolute error and 'huber'
        the Huber loss with δ = 1 (quadratic within 1 of the target, linear
        beyond), both robust to outliers.
    {PARAMETERS}
    {TRAILING_PARAMETERS}

    Attributes
    ----------
    {ATTRIBUTES}
    out_activation_ : str
        'identity', or 'exp' for the Poisson loss.

    See Also
    --------
    MLPClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : scikit-learn's version.

    Notes
    -----
    The network is ``Dense → [norm] → activation → [dropout]`` per hidden layer,
    then a linear Dense output layer (exponentiated for 'poisson'). Losses are
    averaged over the outputs of multi-output targets.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdeep import MLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = make_pipeline(
    ...     StandardScaler(),
    ...     MLPRegressor(loss="huber", hidden_layer_sizes=(32,),
    ...                  learning_rate_init=0.01, max_iter=300, random_state=0),
    ... ).fit(X, y / 100)
    >>> reg.score(X, y / 100) > 0.5
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        **BaseNetwork._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson", "absolute_error", "huber"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        normalization=None,
        l1=0.0,
        max_norm=None,
        weight_init="auto",
        n_init=1,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.normalization = normalization
        self.l1 = l1
        self.max_norm = max_norm
        self.weight_init = weight_init
        self.n_init = n_init

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to data matrix X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 input is trained in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        Returns
        -------
        self : MLPRegressor
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight)

    @stochastic_partial_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch over the given data, keeping the optimizer's state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        Returns
        -------
        self : MLPRegressor
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _validate_training_data(
        self, X, y, sample_weight, *, reset, incremental, classes=None
    ):
        check_numeric_targets(y, self)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for Poisson "
                "regression."
            )
        self.out_activation_ = "exp" if self.loss == "poisson" else "identity"
        # y is cast to the dtype of X below: float32 targets must not overflow.
        check_float32_magnitude(y, dtype=X.dtype, name="y")
        Y = y.reshape(len(y), -1)
        if not reset and hasattr(self, "n_outputs_") and Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs but the fitted network predicts "
                f"{self.n_outputs_}."
            )
        sample_weight = checked_sample_weight(sample_weight, X)
        return X, Y.astype(X.dtype, copy=False), sample_weight

    def _make_loss(self):
        return nn.losses.get(self.loss)

    def _validation_score(self, Y_val, output, sample_weight) -> float:
        return r2_score(Y_val, output, sample_weight=sample_weight)

    def predict(self, X):
        """Predict target values.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values.
        """
        prediction = self._raw_output(X)
        return prediction.ravel() if prediction.shape[1] == 1 else prediction
