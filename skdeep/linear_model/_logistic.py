"""Logistic (one sigmoid per class) and softmax (multinomial) regression.

:class:`LogisticRegression` and :class:`SoftmaxClassifier` differ only in their
link, ``_multinomial``, and their documentation; :class:`_LinearClassifier`
holds what they share: the options, ``fit`` (a full-batch solver of
:mod:`._solvers` on each objective of :func:`~._objectives.classifier_objectives`,
or minibatches), ``partial_fit`` and the prediction methods. :mod:`._labels`
checks the labels and folds in the class weights.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if

from .. import nn
from .._fit_state import all_or_nothing
from .._warnings import warn
from . import _solvers as solvers
from ._base import (
    _blas_threads,
    _blas_work,
    _keep_minibatch_state,
    _linear_predictions,
    _minibatch_solver,
    _minibatch_state,
    _sgd_learning_rate,
    _total_weight,
    _train_minibatch,
)
from ._labels import (
    check_two_classes,
    class_weighted,
    stream_classes,
    validate_labelled,
)
from ._objectives import classifier_objectives


class _LinearClassifier(ClassifierMixin, BaseEstimator):
    """What LogisticRegression and SoftmaxClassifier share: options, fit, predict."""

    _multinomial = False  # softmax over all classes, or one-vs-rest sigmoids

    _parameter_constraints: ClassVar[dict] = {
        "C": [Interval(Real, 0, None, closed="neither")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "solver": [StrOptions({"lbfgs", "newton", "gd", "sgd", "adam"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        C=1.0,
        l1_ratio=0.0,
        fit_intercept=True,
        class_weight=None,
        solver="lbfgs",
        max_iter=100,
        tol=1e-4,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # CSR and CSC, never densified
        return tags

    # ---- fitting -------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to the training data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; float32 is kept (the fit then runs in float32).
        y : array-like of shape (n_samples,)
            Class labels, at least two distinct.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; multiplied by the ``class_weight`` weights.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        with all_or_nothing(self):
            return self._fit(X, y, sample_weight)

    def _fit(self, X, y, sample_weight):
        self._check_penalty_solver()
        X, y = validate_labelled(self, X, y)
        classes, y_index = np.unique(y, return_inverse=True)
        sample_weight = class_weighted(
            self.class_weight, X, y, y_index, sample_weight, classes
        )
        check_two_classes(self, classes, y_index, sample_weight)
        start = self._starting_point(X.shape[1], classes, X.dtype)
        with _blas_threads(_blas_work(X) * max(2, len(classes))):
            if _minibatch_solver(self):
                state = _minibatch_state(self, X, sample_weight, resume=False)
                result = self._fit_minibatch(
                    X, y_index, sample_weight, classes, start, state, self.max_iter
                )
                _keep_minibatch_state(self, state)
            else:
                result = self._fit_full_batch(X, y_index, sample_weight, classes, start)
        self.classes_ = classes
        self.coef_, self.intercept_, self.n_iter_ = result
        return self

    @available_if(_minibatch_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of minibatch updates on ``(X, y)`` (solver 'sgd' or 'adam').

        Each call continues from the current coefficients and optimizer state
        and minimises the objective over all the rows seen so far: the penalty
        is scaled by their total weight (a row passed twice counts twice).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            All the classes that will ever be seen. Required on the first call,
            ignored (if equal) afterwards.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        with all_or_nothing(self):
            return self._partial_fit(X, y, classes, sample_weight)

    def _partial_fit(self, X, y, classes, sample_weight):
        self._check_penalty_solver()
        fitted = hasattr(self, "classes_")
        if not fitted and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: the "
                "array of every label the stream will contain."
            )
        X, y = validate_labelled(self, X, y, reset=not fitted)
        all_classes, y_index = stream_classes(self, classes, y)
        sample_weight = class_weighted(
            self.class_weight, X, y, y_index, sample_weight, all_classes
        )
        if fitted:
            start = (self.coef_, self.intercept_)
        else:
            start = self._starting_point(X.shape[1], all_classes, X.dtype)
        state = _minibatch_state(self, X, sample_weight, resume=True)
        with _blas_threads(_blas_work(X) * max(2, len(all_classes))):
            coef, intercept, n_iter = self._fit_minibatch(
                X, y_index, sample_weight, all_classes, start, state, epochs=1
            )
        self.classes_ = all_classes
        self.coef_, self.intercept_ = coef, intercept
        self.n_iter_ = self.n_iter_ + n_iter if fitted else n_iter
        _keep_minibatch_state(self, state)
        return self

    def _check_penalty_solver(self):
        if self.l1_ratio > 0 and self.solver in ("lbfgs", "newton"):
            raise ValueError(
                f"solver={self.solver!r} needs a smooth objective and supports only "
                f"l1_ratio=0, got l1_ratio={self.l1_ratio!r}. For an l1 or "
                "elastic-net penalty use solver='gd' (proximal, exact zeros), "
                "'sgd' or 'adam'."
            )

    def _n_outputs(self, n_classes: int) -> int:
        if self._multinomial:
            return n_classes
        return 1 if n_classes == 2 else n_classes

    def _starting_point(self, n_features, classes, dtype):
        """Zeros, or the previous coefficients when warm-starting on equal classes."""
        k = self._n_outputs(len(classes))
        if (
            self.warm_start
            and hasattr(self, "coef_")
            and self.coef_.shape == (k, n_features)
            and np.array_equal(self.classes_, classes)
        ):
            return self.coef_.astype(dtype), self.intercept_.astype(dtype)
        return np.zeros((k, n_features), dtype), np.zeros(k, dtype)

    def _penalties(self, total_weight: float) -> tuple[float, float]:
        """(λ₂, λ₁) of the objective divided by C·S (see the class Notes)."""
        scale = 1.0 / (self.C * total_weight)
        return (1.0 - self.l1_ratio) * scale, self.l1_ratio * scale

    def _fit_full_batch(self, X, y_index, sample_weight, classes, start):
        l2, l1 = self._penalties(_total_weight(X, sample_weight))
        coef0, intercept0 = start
        coefs, intercepts, n_iters = [], [], []
        for objective, rows in classifier_objectives(
            X, y_index, sample_weight, l2, self.fit_intercept, len(classes),
            self._multinomial,
        ):  # fmt: skip
            result = solvers.solve(
                self.solver, objective, objective.pack(coef0[rows], intercept0[rows]),
                l1=l1, max_iter=self.max_iter, tol=self.tol, verbose=self.verbose,
            )  # fmt: skip
            if not np.all(np.isfinite(result.theta)):  # pragma: no cover - a safety net
                raise FloatingPointError(
                    f"{type(self).__name__}: the {self.solver} solver produced "
                    "non-finite coefficients; standardise the features or lower C."
                )
            if not result.converged:
                self._warn_not_converged(result)
            coef, b = objective.unpack(result.theta)
            if objective.kind == "multinomial" and self.fit_intercept:
                # Adding a constant to every class's intercept changes nothing;
                # report the representative that sums to zero (as scikit-learn's).
                b = b - b.mean()
            coefs.append(coef)
            intercepts.append(b)
            n_iters.append(result.n_iter)
        coef = np.ascontiguousarray(np.vstack(coefs), dtype=X.dtype)
        intercept = np.concatenate(intercepts).astype(X.dtype)
        return coef, intercept, np.asarray(n_iters, dtype=np.int32)

    def _warn_not_converged(self, result):
        warn(
            f"{type(self).__name__}(solver={self.solver!r}) did not converge: "
            f"max |gradient| = {result.grad_max:.3g} > tol = {self.tol:g} after "
            f"{result.n_iter} iterations (max_iter={self.max_iter}). Increase "
            "max_iter, standardise the features (StandardScaler) or lower C; on "
            "separable data with a large C the optimum lies far out and the "
            f"coefficients keep growing. {result.message}".rstrip(),
            ConvergenceWarning,
        )

    # ---- minibatch -----------------------------------------------------------

    def _loss(self):
        if self._multinomial:
            return nn.losses.get("softmax_cross_entropy")
        return nn.losses.get("binary_cross_entropy")

    def _new_optimizer(self, X, sample_weight):
        """The core optimizer with a step chosen from the data.

        SGD steps by ``1/(2L + λ₂)`` (see ``_sgd_learning_rate``). Adam, whose
        steps do not scale with the gradient, uses 0.03 per coordinate: on
        standardised digits and breast-cancer data the best of 0.01, 0.03 and
        0.1 after 100 epochs.
        """
        if self.solver == "adam":
            return nn.optimizers.get("adam", learning_rate=0.03)
        l2, _ = self._penalties(_total_weight(X, sample_weight))
        step = _sgd_learning_rate(
            X, sample_weight, self.fit_intercept,
            loss_curvature=0.5 if self._multinomial else 0.25, l2=l2,
        )  # fmt: skip
        return nn.optimizers.get("sgd", learning_rate=step)

    def _fit_minibatch(self, X, y_index, sample_weight, classes, start, state, epochs):
        k = self._n_outputs(len(classes))
        targets = (
            y_index.astype(X.dtype)[:, None]
            if k == 1
            else np.eye(k, dtype=X.dtype)[y_index]
        )
        _, _, total = state
        l2, l1 = self._penalties(total)
        coef0, intercept0 = start
        W, b, history = _train_minibatch(
            self, X, targets, sample_weight, state=state, start=(coef0.T, intercept0),
            loss=self._loss(), l1=l1, l2=l2, epochs=epochs,
            batch_size=min(200, X.shape[0]),
            advice="Standardise the features (StandardScaler), lower C, or use "
            "solver='lbfgs'.",
        )  # fmt: skip
        if epochs > 1 and not history.stopped:
            warn(
                f"{type(self).__name__}(solver={self.solver!r}) did not converge: "
                f"the loss was still improving by more than tol={self.tol:g} after "
                f"{history.n_epochs} epochs (max_iter={self.max_iter}). Increase "
                "max_iter or use a full-batch solver ('lbfgs').",
                ConvergenceWarning,
            )
        coef = np.ascontiguousarray(W.T)
        return coef, b.copy(), np.asarray([history.n_epochs], dtype=np.int32)

    # ---- prediction ----------------------------------------------------------

    def decision_function(self, X):
        """Raw scores: log-odds (binary) or one score per class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the log-odds of ``classes_[1]`` against
            ``classes_[0]``.
        """
        scores = self._scores(X)
        if scores.shape[1] == 1:
            return scores[:, 0]
        if len(self.classes_) == 2:  # softmax with two classes: z₁ − z₀
            return scores[:, 1] - scores[:, 0]
        return scores

    def _scores(self, X):
        return _linear_predictions(self, X)

    def predict(self, X):
        """Predicted class labels: the class with the highest score.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        scores = self._scores(X)
        if scores.shape[1] == 1:
            return self.classes_[(scores[:, 0] > 0).astype(np.intp)]
        return self.classes_[np.argmax(scores, axis=1)]

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return np.exp(self.predict_log_proba(X))

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of :meth:`predict` on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            The (weighted) fraction of correct predictions, as
            :func:`sklearn.metrics.accuracy_score` computes it.
        """
        return super().score(X, y, sample_weight=sample_weight)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed without under- or overflow.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        scores = self._scores(X)
        if self._multinomial:
            return scores - nn.losses.logsumexp(scores)
        # log σ(z) = −log(1 + e⁻ᶻ)
        log_sigma = -np.logaddexp(0.0, -scores)
        if scores.shape[1] == 1:
            return np.hstack([-np.logaddexp(0.0, scores), log_sigma])
        # One-vs-rest: the K sigmoids normalised to sum to one.
        return log_sigma - nn.losses.logsumexp(log_sigma)


# The options of both classifiers, documented once (as the MLPs and KNNs do).
_PARAMETERS_DOC = """\
C : float, default=1.0
        Inverse regularization strength: the weight of the data term against
        the penalty. Must be positive.
    l1_ratio : float in [0, 1], default=0.0
        Elastic-net mixing: 0 is a pure l2 penalty, 1 a pure l1 penalty. Values
        above 0 need ``solver`` 'gd' (proximal steps, exact zeros), 'sgd' or
        'adam' (subgradient steps).
    fit_intercept : bool, default=True
        Whether to fit an intercept (never penalised).
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``; "balanced" uses
        ``n_samples / (n_classes · count(class))``.
    solver : {"lbfgs", "newton", "gd", "sgd", "adam"}, default="lbfgs"
        - "lbfgs": scipy's L-BFGS-B on the fused value and gradient.
        - "newton": Newton's method with the exact Hessian, a Cholesky solve and
          Armijo backtracking; few, expensive iterations (memory grows with the
          square of the number of coefficients).
        - "gd": accelerated proximal gradient (FISTA) with backtracking and
          adaptive restart; the only full-batch solver for ``l1_ratio > 0``.
        - "sgd", "adam": minibatches of ``min(200, n_samples)`` rows trained by
          :mod:`skdeep.nn` (SGD step ``1/(2L)`` from the data, Adam step 0.03);
          they allow :meth:`partial_fit`.
    max_iter : int, default=100
        Maximum iterations (epochs for "sgd" and "adam").
    tol : float, default=1e-4
        Stop when the largest absolute entry of the gradient of the objective
        divided by ``C·Σsᵢ`` falls below ``tol`` (the gradient mapping for
        "gd"); for "sgd" and "adam", when the epoch loss improved by less than
        ``tol`` for 10 consecutive epochs.
    warm_start : bool, default=False
        Start ``fit`` from the previous solution (same classes required).
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling of "sgd" and "adam" (other solvers are
        deterministic).
    verbose : int, default=0
        Print the objective at every iteration or epoch when positive."""


class LogisticRegression(_LinearClassifier):
    __doc__ = rf"""Logistic regression (sigmoid, cross-entropy), one-vs-rest for K > 2.

    The objective is scikit-learn's LogisticRegression's (binary case).

    Parameters
    ----------
    {_PARAMETERS_DOC}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (1 or n_classes, n_features)
        Coefficients, in the dtype of the training data.
    intercept_ : ndarray of shape (1 or n_classes,)
        Intercepts (zeros when ``fit_intercept=False``).
    n_iter_ : ndarray of shape (1 or n_classes,)
        Iterations (epochs for "sgd" and "adam") run; for the full-batch
        solvers one entry per binary problem.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Feature names seen during fit, when X has string column names.

    See Also
    --------
    SoftmaxClassifier : Multinomial (softmax) logistic regression.
    LeastSquaresRegressor : Linear regression with the same family of solvers.
    sklearn.linear_model.LogisticRegression : scikit-learn's estimator; both
        reach the same coefficients for the same ``C``.

    Notes
    -----
    With labels yᵢ ∈ {{0, 1}}, scores zᵢ = xᵢ·w + b, sample weights sᵢ and ρ =
    ``l1_ratio``, the minimised objective is scikit-learn's

    .. math::

        C \sum_i s_i \left[\log(1 + e^{{z_i}}) - y_i z_i\right]
        + \tfrac{{1 - \rho}}{{2}} \|w\|_2^2 + \rho \|w\|_1 ,

    computed divided by ``C·Σsᵢ`` (same minimiser, gradients of order one).
    The gradient is ``Σᵢ sᵢ(σ(zᵢ) − yᵢ)xᵢ`` plus the penalty's, and the
    Hessian ``Σᵢ sᵢσ(zᵢ)(1 − σ(zᵢ))xᵢxᵢᵀ`` (the intercept enters as a constant
    feature that is not penalised). With K > 2 classes, K such problems are
    solved (class k against the rest) and ``predict_proba`` normalises the K
    sigmoids to sum to one.

    ``partial_fit`` (solvers "sgd" and "adam") runs one epoch over the rows it
    is given; its penalty is scaled by their total weight.

    References
    ----------
    Nocedal & Wright (2006), *Numerical Optimization*, chapters 3 and 7
    (line searches, L-BFGS). Beck & Teboulle (2009), "A fast iterative
    shrinkage-thresholding algorithm for linear inverse problems".
    O'Donoghue & Candès (2015), "Adaptive restart for accelerated gradient
    schemes".

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression as SkLogisticRegression
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdeep import LogisticRegression
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = LogisticRegression(solver="newton", tol=1e-8).fit(X, y)
    >>> ref = SkLogisticRegression(tol=1e-8).fit(X, y)
    >>> bool(np.allclose(clf.coef_, ref.coef_, rtol=1e-4, atol=1e-6))
    True
    >>> clf.coef_.shape, clf.predict_proba(X[:2]).shape
    ((1, 30), (2, 2))
    """


class SoftmaxClassifier(_LinearClassifier):
    __doc__ = rf"""Multinomial logistic regression: softmax and cross-entropy.

    The same objective as scikit-learn's (multinomial) LogisticRegression.

    Parameters
    ----------
    {_PARAMETERS_DOC}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (n_classes, n_features)
        Coefficients, in the dtype of the training data.
    intercept_ : ndarray of shape (n_classes,)
        Intercepts (zeros when ``fit_intercept=False``).
    n_iter_ : ndarray of shape (1,)
        Iterations (epochs for "sgd" and "adam") run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Feature names seen during fit, when X has string column names.

    See Also
    --------
    LogisticRegression : Binary logistic regression, one-vs-rest for more classes.
    sklearn.linear_model.LogisticRegression : scikit-learn's estimator, whose
        multinomial fit reaches the same coefficients for the same ``C``.

    Notes
    -----
    With class indices yᵢ, scores zᵢ = Wᵀxᵢ + b ∈ ℝᴷ, sample weights sᵢ and ρ =
    ``l1_ratio``, the minimised objective is

    .. math::

        C \sum_i s_i \left[\operatorname{{logsumexp}}(z_i) - z_{{i, y_i}}\right]
        + \tfrac{{1 - \rho}}{{2}} \|W\|_F^2 + \rho \|W\|_1 ,

    computed divided by ``C·Σsᵢ``, in log-sum-exp form (finite for any
    scores). With pᵢ = softmax(zᵢ) the gradient with respect to zᵢ is
    ``sᵢ(pᵢ − onehot(yᵢ))`` and block (k, l) of the Hessian is
    ``Σᵢ sᵢ pᵢₖ(δₖₗ − pᵢₗ) xᵢxᵢᵀ``: "newton" forms all ((n_features + 1)·K)²
    entries and refuses when they would take more than 256 MiB (use "lbfgs").
    Adding a constant to every intercept leaves the probabilities unchanged;
    the reported intercepts sum to zero. With two classes ``coef_`` still has
    two rows and ``decision_function`` returns ``z₁ − z₀``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from skdeep import SoftmaxClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxClassifier(solver="newton").fit(X, y)
    >>> clf.coef_.shape, clf.score(X, y) > 0.95
    ((3, 4), True)
    >>> bool(np.allclose(clf.predict_proba(X).sum(axis=1), 1.0))
    True
    """

    _multinomial = True
