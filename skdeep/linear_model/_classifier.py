"""What the linear classifiers share: the options, fitting and predictions.

:class:`_LinearClassifier` is the engine of :class:`~skdeep.LogisticRegression`
and :class:`~skdeep.SoftmaxClassifier` (in :mod:`._logistic`, which differ in
their two-class link and LogisticRegression's scikit-learn options): ``fit`` (a
full-batch solver of :mod:`._solvers` on the objective of
:func:`~._objectives.classifier_objectives`, or minibatches), ``partial_fit``,
``densify``/``sparsify`` and the prediction methods. :mod:`._labels` checks the
labels and folds in the class weights.
"""

from __future__ import annotations

import copy
import math
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Hidden, Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

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
from ._divergence import check_call_did_not_blow_up
from ._fitted_state import check_linear_state
from ._labels import (
    check_two_classes,
    class_weighted,
    stream_classes,
    validate_labelled,
)
from ._objectives import classifier_objectives

# scikit-learn's solver names whose maths ours share: Newton's method on the
# same objective ('newton-cg' solves the Newton system by conjugate gradients,
# 'newton-cholesky' and ours by a Cholesky factorisation; all reach the same
# optimum).
SOLVER_ALIASES = {"newton-cholesky": "newton", "newton-cg": "newton"}
# scikit-learn's solvers without a counterpart here, and what to use instead.
MISSING_SOLVERS = {
    "liblinear": "its coordinate descent also penalises the intercept (through "
    "intercept_scaling), so its optimum is not the one of the other solvers; "
    "use 'lbfgs' or 'newton' (the optimum of scikit-learn's other solvers), or "
    "'gd' for an l1 penalty",
    "sag": "use 'lbfgs' or 'newton' (same optimum), or 'sgd'/'adam' for minibatches",
    "saga": "use 'lbfgs' or 'newton' (same optimum), 'gd' (proximal gradient) "
    "for an l1 or elastic-net penalty, or 'sgd'/'adam' for minibatches",
}


def _sklearn_refusal(solver, C, l1_ratio, dual, n_classes) -> str:
    """scikit-learn's error for these options with its ``solver``, or "".

    Its checks, in its order (``_check_solver``, then ``fit``), with the
    penalty its ``l1_ratio`` and ``C`` stand for.
    """
    if C == np.inf:
        penalty = None
    else:
        penalty = {0: "l2", 1: "l1"}.get(l1_ratio, "elasticnet")
    if solver not in ("liblinear", "saga") and penalty not in ("l2", None):
        return (
            f"Solver {solver} supports only 'l2' or None penalties, got {penalty} "
            "penalty."
        )
    if solver != "liblinear" and dual:
        return f"Solver {solver} supports only dual=False, got dual={dual}"
    if penalty == "elasticnet" and solver != "saga":
        return f"Only 'saga' solver supports elasticnet penalty, got solver={solver}."
    if solver == "liblinear" and penalty is None:
        return (
            "C=np.inf as well as penalty=None is not supported for the liblinear solver"
        )
    if solver == "liblinear" and n_classes > 2:
        return (
            "The 'liblinear' solver does not support multiclass classification "
            "(n_classes >= 3). Either use another solver or wrap the estimator "
            "in a OneVsRestClassifier to keep applying a one-versus-rest scheme."
        )
    return ""


# scikit-learn's message (SparseCoefMixin) when densify/sparsify come too early.
_NOT_FITTED = "Estimator, %(name)s, must be fitted before {action}."


class _LinearClassifier(ClassifierMixin, BaseEstimator):
    """What LogisticRegression and SoftmaxClassifier share: options, fit, predict."""

    # LogisticRegression: one sigmoid score for two classes (SoftmaxClassifier:
    # two softmax columns). Both use the softmax for more classes.
    _sigmoid_for_two_classes = False
    # Fitted state: K sigmoids normalised to sum to one instead of the softmax.
    # fit sets it to False; LogisticRegression files saved before it was
    # multinomial lack it, and the class-level value says what they hold.
    _one_vs_rest = False

    _parameter_constraints: ClassVar[dict] = {
        "C": [Interval(Real, 0, None, closed="right")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "solver": [
            StrOptions({"lbfgs", "newton", "gd", "sgd", "adam", *SOLVER_ALIASES}),
            Hidden(StrOptions(set(MISSING_SOLVERS))),
        ],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def _check_fitted_state(self) -> None:
        """Raise ``ValueError`` unless the fitted attributes are consistent
        (read by :func:`skdeep.load`, which fills them from a file)."""
        check_linear_state(self, classifier=True)

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
        self._check_options()
        X, y = validate_labelled(self, X, y)
        classes, y_index = np.unique(y, return_inverse=True)
        sample_weight = class_weighted(
            self.class_weight, X, y, y_index, sample_weight, classes
        )
        check_two_classes(self, classes, y_index, sample_weight)
        self._refuse_missing_solver(len(classes))
        self._one_vs_rest = False
        start = self._starting_point(X.shape[1], classes, X.dtype)
        self._score_columns = len(start[1])
        with _blas_threads(_blas_work(X) * max(2, len(classes))):
            if self.max_iter == 0:
                result = self._no_iterations(start)
            elif _minibatch_solver(self):
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
        self._check_options()
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
            start = (self._dense_coef(), self.intercept_)
        else:
            self._one_vs_rest = False
            start = self._starting_point(X.shape[1], all_classes, X.dtype)
        self._score_columns = len(start[1])
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

    def _check_options(self):
        """Refuse what the parameter constraints cannot: solver-option pairs."""
        C, l1_ratio = self._C_and_l1_ratio()
        if l1_ratio > 0 and C != np.inf and self._solver() in ("lbfgs", "newton"):
            raise ValueError(
                f"Solver {self.solver} supports only 'l2' or None penalties, got "
                f"l1_ratio={l1_ratio!r}: it needs a smooth objective. For an l1 "
                "or elastic-net penalty use solver='gd' (proximal, exact zeros), "
                "'sgd' or 'adam'."
            )

    def _refuse_missing_solver(self, n_classes: int):
        """Refuse scikit-learn's solvers that skdeep does not have.

        The message also quotes scikit-learn's own refusal of these options
        with that solver, when it has one, so that code written against
        scikit-learn's messages still recognises them.
        """
        if self.solver not in MISSING_SOLVERS:
            return
        C, l1_ratio = self._C_and_l1_ratio()
        refusal = _sklearn_refusal(
            self.solver, C, l1_ratio, getattr(self, "dual", False), n_classes
        )
        if refusal:
            refusal = f" scikit-learn would refuse these options too: {refusal}"
        raise ValueError(
            f"solver={self.solver!r} is one of scikit-learn's solvers that "
            f"skdeep does not have: {MISSING_SOLVERS[self.solver]}. Solvers: "
            "'lbfgs', 'newton' (also called 'newton-cholesky' or 'newton-cg'), "
            f"'gd', 'sgd', 'adam'.{refusal}"
        )

    def _C_and_l1_ratio(self) -> tuple[float, float]:
        """The C and l1_ratio the objective uses (LogisticRegression maps penalty)."""
        return self.C, self.l1_ratio

    def _solver(self) -> str:
        """Our name of the solver (scikit-learn's Newton names are aliases)."""
        return SOLVER_ALIASES.get(self.solver, self.solver)

    def _n_outputs(self, n_classes: int) -> int:
        return 1 if n_classes == 2 and self._sigmoid_for_two_classes else n_classes

    def _softmax_link(self, n_outputs: int) -> bool:
        """Softmax over the score columns, or a sigmoid per column."""
        return n_outputs > 1 and not self._one_vs_rest

    def _dense_coef(self) -> np.ndarray:
        return self.coef_.toarray() if sp.issparse(self.coef_) else self.coef_

    def _starting_point(self, n_features, classes, dtype):
        """Zeros, or the previous coefficients when warm-starting on equal classes."""
        k = self._n_outputs(len(classes))
        if (
            self.warm_start
            and hasattr(self, "coef_")
            and self.coef_.shape == (k, n_features)
            and np.array_equal(self.classes_, classes)
        ):
            return self._dense_coef().astype(dtype), self.intercept_.astype(dtype)
        return np.zeros((k, n_features), dtype), np.zeros(k, dtype)

    def _no_iterations(self, start):
        """``max_iter=0``: the starting point, as scikit-learn returns it."""
        warn(
            f"{type(self).__name__}(max_iter=0) ran no iteration: the "
            "coefficients are the starting point (zeros, or the previous "
            "solution with warm_start=True). Increase max_iter to fit.",
            ConvergenceWarning,
        )
        coef, intercept = start
        return coef.copy(), intercept.copy(), np.zeros(1, dtype=np.int32)

    def _penalties(self, total_weight: float) -> tuple[float, float]:
        """(λ₂, λ₁) of the objective divided by C·S (see the class Notes)."""
        C, l1_ratio = self._C_and_l1_ratio()
        scale = 1.0 / (C * total_weight)  # 0 for C=inf: no penalty
        return (1.0 - l1_ratio) * scale, l1_ratio * scale

    def _fit_full_batch(self, X, y_index, sample_weight, classes, start):
        l2, l1 = self._penalties(_total_weight(X, sample_weight))
        coef0, intercept0 = start
        # One objective: binary (one sigmoid column) or multinomial.
        [(objective, _)] = classifier_objectives(
            X, y_index, sample_weight, l2, self.fit_intercept, len(classes),
            multinomial=self._softmax_link(len(intercept0)),
        )  # fmt: skip
        result = solvers.solve(
            self._solver(), objective, objective.pack(coef0, intercept0),
            l1=l1, max_iter=self.max_iter, tol=self.tol, verbose=self.verbose,
        )  # fmt: skip
        if not np.all(np.isfinite(result.theta)):
            raise FloatingPointError(
                f"{type(self).__name__}: the {self.solver} solver produced "
                "non-finite coefficients; standardise the features or lower C."
            )
        if not result.converged:
            self._warn_not_converged(result)
        coef, intercept = objective.unpack(result.theta)
        if objective.kind == "multinomial":
            # Adding the same vector to every class's coefficients, or a
            # constant to every intercept, changes no probability; report the
            # representative that sums to zero over the classes (as
            # scikit-learn's). A penalised optimum already does; without a
            # penalty (C=inf) the solvers may end anywhere along that direction.
            coef = coef - coef.mean(axis=0)
            intercept = intercept - intercept.mean()
        coef = np.ascontiguousarray(coef, dtype=X.dtype)
        intercept = np.array(intercept, dtype=X.dtype)
        return coef, intercept, np.asarray([result.n_iter], dtype=np.int32)

    def _warn_not_converged(self, result):
        # Opens with scikit-learn's words for the solver that ran last (its
        # "newton-cholesky" falls back to lbfgs as ours does), so that code
        # matching scikit-learn's warnings still matches.
        solver = result.finished_by or self.solver
        if solver in ("newton", "newton-cholesky"):
            head = f"Newton solver did not converge after {result.n_iter} iterations"
        else:
            head = f"{solver} failed to converge after {result.n_iter} iteration(s)"
        warn(
            f"{head} ({type(self).__name__}(solver={self.solver!r}), "
            f"max_iter={self.max_iter}): max |gradient| = {result.grad_max:.3g} > "
            f"tol = {self.tol:g}. Increase the number of iterations (max_iter), "
            "standardise the features (StandardScaler) or lower C; on separable "
            "data with a large C the optimum lies far out and the coefficients "
            f"keep growing. {result.message}".rstrip(),
            ConvergenceWarning,
        )

    # ---- minibatch -----------------------------------------------------------

    def _loss(self, n_outputs: int):
        if self._softmax_link(n_outputs):
            return nn.losses.get("softmax_cross_entropy")
        return nn.losses.get("binary_cross_entropy")

    def _new_optimizer(self, X, sample_weight):
        """The core optimizer with a step chosen from the data.

        SGD steps by ``1/(2L + λ₂)`` (see ``_sgd_learning_rate``; the softmax
        curves twice as much as the sigmoid). Adam, whose
        steps do not scale with the gradient, uses 0.03 per coordinate: on
        standardised digits and breast-cancer data the best of 0.01, 0.03 and
        0.1 after 100 epochs.
        """
        if self.solver == "adam":
            return nn.optimizers.get("adam", learning_rate=0.03)
        l2, _ = self._penalties(_total_weight(X, sample_weight))
        step = _sgd_learning_rate(
            X, sample_weight, self.fit_intercept,
            loss_curvature=0.5 if self._softmax_link(self._score_columns) else 0.25,
            l2=l2,
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
            loss=self._loss(k), l1=l1, l2=l2, epochs=epochs,
            batch_size=min(200, X.shape[0]),
            advice="Standardise the features (StandardScaler), lower C, or use "
            "solver='lbfgs'.",
        )  # fmt: skip
        try:
            check_call_did_not_blow_up(
                X, targets, sample_weight, self._loss(k), (coef0.T, intercept0),
                (W, b), rows=min(200, X.shape[0]), floor=math.log(max(k, 2)),
            )  # fmt: skip
        except nn.TrainingDivergedError as exc:
            raise nn.TrainingDivergedError(
                f"{type(self).__name__}(solver={self.solver!r}) diverged: {exc} "
                "Standardise the features (StandardScaler). The estimator was left "
                "as it was before this call."
            ) from exc
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
        if sp.issparse(getattr(self, "coef_", None)):
            # A sparse coef_ (see sparsify) is a storage format: predict with
            # its dense form, K × n_features, small next to X.
            dense = copy.copy(self)
            dense.coef_ = self.coef_.toarray()
            return _linear_predictions(dense, X)
        return _linear_predictions(self, X)

    def densify(self):
        """Convert ``coef_`` back to a dense array (undoes :meth:`sparsify`).

        Returns
        -------
        self : object
            The fitted estimator, ``coef_`` a numpy array.
        """
        check_is_fitted(self, msg=_NOT_FITTED.format(action="densifying"))
        if sp.issparse(self.coef_):
            self.coef_ = self.coef_.toarray()
        return self

    def sparsify(self):
        """Store ``coef_`` as a ``scipy.sparse`` CSR matrix (scikit-learn's semantics).

        Worth it when most coefficients are zero (an l1 penalty). Predictions
        are unchanged; ``fit`` and ``partial_fit`` continue from the dense form
        and return a dense ``coef_``; :meth:`densify` converts back.

        Returns
        -------
        self : object
            The fitted estimator, ``coef_`` a ``scipy.sparse.csr_matrix``.
        """
        check_is_fitted(self, msg=_NOT_FITTED.format(action="sparsifying"))
        self.coef_ = sp.csr_matrix(self.coef_)
        return self

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
        if self._softmax_link(scores.shape[1]):
            return scores - nn.losses.logsumexp(scores)
        # log σ(z) = −log(1 + e⁻ᶻ)
        log_sigma = -np.logaddexp(0.0, -scores)
        if scores.shape[1] == 1:
            return np.hstack([-np.logaddexp(0.0, scores), log_sigma])
        # One-vs-rest: the K sigmoids normalised to sum to one.
        return log_sigma - nn.losses.logsumexp(log_sigma)
