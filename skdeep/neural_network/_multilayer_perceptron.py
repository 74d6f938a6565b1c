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
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    column_or_1d,
)

from .. import nn
from .._validation import (
    check_float32_magnitude,
    check_label_types,
    check_numeric_targets,
    validate_data,
)
from ._base import BaseNetwork

_SHARED_PARAMETERS = """\
hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of units in the ith hidden layer.
    activation : str, default='relu'
        Activation of the hidden layers: scikit-learn's 'identity', 'logistic'
        (also 'sigmoid'), 'tanh', 'relu', and 'leaky_relu', 'prelu', 'elu',
        'gelu', 'swish', 'mish', 'softplus'. See :mod:`skdeep.nn.activations`.
    solver : {{'adam', 'sgd', 'lbfgs', 'rmsprop', 'adagrad'}}, default='adam'
        'lbfgs' minimises the full-batch objective with scipy's L-BFGS-B; the
        others are minibatch optimizers from :mod:`skdeep.nn.optimizers`
        ('rmsprop' with decay 0.9, no momentum).
    alpha : float, default=0.0001
        Strength of the L2 penalty. As in scikit-learn, each minibatch adds
        ``alpha/2·‖W‖² / (rows in the batch)`` to its mean loss (biases are not
        penalised).
    batch_size : int or 'auto', default='auto'
        Minibatch size of the stochastic solvers; 'auto' is ``min(200, n_samples)``.
    learning_rate : str or callable, default='constant'
        Learning-rate schedule of the stochastic solvers, changed between epochs.
        scikit-learn's options keep their meaning and, as there, only change
        'sgd': 'constant'; 'invscaling' (``learning_rate_init / (t + 1)^power_t``
        with t the samples seen); 'adaptive' (divide by 5 whenever the
        monitored value stalls for ``n_iter_no_change`` epochs). The new ones
        apply to every stochastic solver and are scaled to ``max_iter``
        epochs: 'step' (×0.1 every third of the budget), 'exponential' (down to
        1/100 at the end), 'inverse_time' (``lr / (1 + 9·epoch/max_iter)``),
        'cosine' (to 0 over the budget), 'cosine_restarts' (three cycles of
        growing length). A callable ``epoch -> learning rate``, for example a
        schedule object from :mod:`skdeep.nn.schedules`, gives full control
        (it then carries its own initial rate).
    learning_rate_init : float, default=0.001
        Initial learning rate of the stochastic solvers.
    power_t : float, default=0.5
        Exponent of 'invscaling'.
    max_iter : int, default=200
        Epochs for the stochastic solvers; iterations for 'lbfgs'.
    shuffle : bool, default=True
        Shuffle the samples every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling, dropout and the
        validation split. Results are reproducible for an int.
    tol : float, default=1e-4
        Improvement below which an epoch counts as no improvement.
    verbose : bool or int, default=False
        True or 1: one line per epoch as in scikit-learn. 2: a progress bar with
        the loss, the validation loss and the time left (tqdm if installed).
    warm_start : bool, default=False
        Continue from the previous fit's weights.
    momentum : float, default=0.9
        Momentum of 'sgd'.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum ('sgd' with momentum > 0).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, stop when the
        validation score stalls for ``n_iter_no_change`` epochs and keep the
        weights of the best epoch.
    validation_fraction : float, default=0.1
        Share of the data held out when ``early_stopping``.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's first and second moment estimates.
    epsilon : float, default=1e-8
        Numerical stability term of Adam, RMSProp and AdaGrad.
    n_iter_no_change : int, default=10
        Epochs without an improvement larger than ``tol`` before stopping.
    max_fun : int, default=15000
        Maximum number of objective evaluations of 'lbfgs'.
    dropout : float or array-like of float, default=0.0
        Inverted-dropout rate after each hidden activation (one value for all
        hidden layers, or one per hidden layer). Off at prediction time.
    normalization : {{'batch', 'layer'}} or None, default=None
        Batch or layer normalization between each hidden layer's affine map
        and its activation. Batch norm predicts with running statistics.
    l1 : float, default=0.0
        Strength of an L1 penalty on the weights, scaled like ``alpha``.
    max_norm : float or None, default=None
        Rescale each unit's incoming weight vector to at most this norm after
        every step.
    weight_init : str, default='auto'
        Weight initializer: 'auto' (He for rectifiers, Glorot otherwise) or a
        name from :mod:`skdeep.nn.initializers`. Biases start at zero."""

_SHARED_TRAILING = """\
n_init : int, default=1
        Random restarts: train ``n_init`` networks from different seeds and
        keep the best one, by validation score with early stopping, else by
        the final training loss. Ignored by ``warm_start`` and ``partial_fit``,
        which continue the fitted network."""

_SHARED_ATTRIBUTES = """\
loss_ : float
        Final training loss (penalties included).
    best_loss_ : float or None
        Lowest training loss; None with early stopping.
    loss_curve_ : list of float
        Training loss per epoch ('lbfgs': per iteration).
    validation_scores_ : list of float or None
        Validation score per epoch with early stopping, else None.
    best_validation_score_ : float or None
        Best validation score with early stopping, else None.
    history_ : dict of str to list of float
        Per epoch: 'loss', 'learning_rate', 'time' (seconds) and, with
        early stopping, 'val_loss' and 'val_score'.
    t_ : int
        Training samples seen by the stochastic solver.
    coefs_ : list of ndarray
        Weight matrices, ``coefs_[i]`` of shape (units in layer i, units in
        layer i + 1). They are the network's own arrays.
    intercepts_ : list of ndarray
        Bias vectors, ``intercepts_[i]`` of length (units in layer i + 1).
    network_ : skdeep.nn.Sequential
        The trained network (Dense, normalization, activation and dropout
        layers), for inspection or reuse with :mod:`skdeep.nn`.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen during fit, when they are all strings.
    n_iter_ : int
        Epochs (or L-BFGS iterations) run by the last fit.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units."""


class MLPClassifier(ClassifierMixin, BaseNetwork):
    __doc__ = f"""Multi-layer perceptron classifier trained by backpropagation in NumPy.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`
    with modern training options.

    Parameters
    ----------
    {_SHARED_PARAMETERS}
    label_smoothing : float in [0, 1), default=0.0
        Train on targets ``(1 − ε)·y + ε/K`` (K = 2 for binary and multi-label
        outputs), which keeps the network from growing overconfident.
    class_weight : dict, list of dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``; 'balanced'
        uses ``n_samples / (n_classes · count(class))``. Not 'balanced' in
        ``partial_fit``, where the class counts are not known.
    {_SHARED_TRAILING}

    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        Class labels (for multi-label output, the label indices).
    {_SHARED_ATTRIBUTES}
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

    @available_if(lambda est: est._check_solver())
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

    def _validate_input(self, X, y, *, reset, incremental, classes=None):
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
        check_classification_targets(y)
        if incremental and _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
            self.classes_ = self._label_binarizer.classes_
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
            elif len(np.setdiff1d(seen, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {seen}."
                )
        if len(self.classes_) < 2:
            # A Python value in the message: 'a', not np.str_('a').
            label = self.classes_.tolist()[0] if len(self.classes_) else None
            del self.classes_
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the "
                f"data, but the data contains only one class: {label!r}."
            )
        multilabel = self._label_binarizer.y_type_.startswith("multilabel")
        self.out_activation_ = (
            "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"
        )
        self._multilabel = multilabel
        Y = self._label_binarizer.transform(y).astype(X.dtype)
        return X, Y

    def _training_weights(self, sample_weight, X, y, incremental):
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
        if self.class_weight is None:
            return sample_weight
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: the class "
                "frequencies of the whole data are unknown. Pass a dict of weights."
            )
        weights = compute_sample_weight(self.class_weight, y).astype(X.dtype)
        return weights if sample_weight is None else weights * sample_weight

    def _make_loss(self):
        if self.out_activation_ == "softmax":
            return nn.losses.SoftmaxCrossEntropy(label_smoothing=self.label_smoothing)
        return nn.losses.BinaryCrossEntropy(label_smoothing=self.label_smoothing)

    def _stratify_validation(self, Y) -> bool:
        return not self._multilabel

    def _validation_scorer(self, sample_weight):
        binarizer = self._label_binarizer

        def accuracy(Y_val, proba):
            return accuracy_score(
                binarizer.inverse_transform(Y_val),
                binarizer.inverse_transform(proba),
                sample_weight=sample_weight,
            )

        return accuracy

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
        proba = self._raw_output(X)
        return self._label_binarizer.inverse_transform(proba)

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
    {_SHARED_PARAMETERS}
    {_SHARED_TRAILING}

    Attributes
    ----------
    {_SHARED_ATTRIBUTES}
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

    @available_if(lambda est: est._check_solver())
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

    def _validate_input(self, X, y, *, reset, incremental, classes=None):
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
        return X, Y.astype(X.dtype, copy=False)

    def _make_loss(self):
        return nn.losses.get(self.loss)

    def _validation_scorer(self, sample_weight):
        def r2(Y_val, prediction):
            return r2_score(Y_val, prediction, sample_weight=sample_weight)

        return r2

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
