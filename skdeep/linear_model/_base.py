"""What the linear classifiers share, and the helpers of every linear estimator.

:class:`_LinearClassifier` holds the options, ``fit``, ``partial_fit`` and the
prediction methods of :class:`~skdeep.LogisticRegression` and
:class:`~skdeep.SoftmaxClassifier`, which differ only in their link
(``_multinomial``) and documentation (in :mod:`skdeep.linear_model`).
"""

from __future__ import annotations

import contextlib
import copy
import math
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import threadpoolctl
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from .. import nn
from .._fit_state import all_or_nothing
from .._validation import (
    as_generator,
    check_float32_magnitude,
    check_float32_predictions,
    check_label_types,
    validate_data,
)
from .._warnings import warn
from . import _solvers as solvers
from ._objectives import GLMObjective

# Below this many multiply-adds per pass over the data (n·p·outputs) one BLAS
# thread is faster than several: on small matrices the threads spend more time
# waking and synchronising than computing. Measured on load_digits (1.2e6 per
# pass), 5-fold CV fit time on a busy 2-core machine: SoftmaxClassifier lbfgs
# 0.07 s on one thread against 0.80 s on two, newton 1.0 s against 77 s.
_SINGLE_THREAD_WORK = 2_000_000
# Newton's method for the softmax classifier stores a dense Hessian of
# ((n_features + 1)·n_classes)² entries; above this size it refuses.
NEWTON_MAX_HESSIAN_BYTES = 256 * 2**20

_controller = None


def _blas_threads(work: float):
    """One BLAS thread for small problems (see ``_SINGLE_THREAD_WORK``), else as is."""
    global _controller
    if work >= _SINGLE_THREAD_WORK:
        return contextlib.nullcontext()
    if _controller is None:  # inspecting the loaded libraries once is enough
        _controller = threadpoolctl.ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def _diverged(estimator, exc, advice: str):
    return nn.TrainingDivergedError(
        f"{type(estimator).__name__}(solver={estimator.solver!r}) diverged: "
        f"{exc} {advice} The estimator was left as it was before this call."
    )


def _minibatch_solver(self) -> bool:
    return self.solver in ("sgd", "adam")


def _total_weight(X, sample_weight) -> float:
    return float(X.shape[0] if sample_weight is None else sample_weight.sum())


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
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C")
        check_float32_magnitude(X, dtype=X.dtype)  # before any arithmetic
        check_label_types(y, self)
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        sample_weight = self._sample_weight(X, y, y_index, sample_weight, classes)
        self._check_two_classes(classes, y_index, sample_weight)
        start = self._starting_point(X.shape[1], classes, X.dtype)
        with _blas_threads(X.shape[0] * X.shape[1] * max(2, len(classes))):
            if _minibatch_solver(self):
                rng = as_generator(self.random_state)
                optimizer = self._new_optimizer(X, sample_weight)
                total = _total_weight(X, sample_weight)
                result = self._fit_minibatch(
                    X, y_index, sample_weight, classes, start, optimizer, rng,
                    epochs=self.max_iter, total=total,
                )  # fmt: skip
                self._optimizer, self._rng, self._seen_weight = optimizer, rng, total
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
        X, y = validate_data(
            self, X, y, dtype=[np.float64, np.float32], order="C", reset=not fitted
        )
        check_float32_magnitude(X, dtype=X.dtype)  # before any arithmetic
        check_label_types(y, self)
        check_classification_targets(y)
        if not fitted:
            all_classes = np.unique(np.asarray(classes))
            if len(all_classes) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs at least 2 classes; classes= "
                    f"lists only {len(all_classes)} class."
                )
        else:
            all_classes = self.classes_
            if classes is not None and not np.array_equal(
                np.unique(np.asarray(classes)), all_classes
            ):
                raise ValueError(
                    f"classes={list(classes)!r} differs from the classes of the "
                    f"first call to partial_fit, {all_classes.tolist()!r}."
                )
        unknown = np.setdiff1d(y, all_classes)
        if unknown.size:
            raise ValueError(
                f"y contains labels {unknown.tolist()!r} that are not in classes "
                f"{all_classes.tolist()!r} given on the first call to partial_fit."
            )
        y_index = np.searchsorted(all_classes, y)
        sample_weight = self._sample_weight(X, y, y_index, sample_weight, all_classes)
        if fitted:
            start = (self.coef_, self.intercept_)
        else:
            start = self._starting_point(X.shape[1], all_classes, X.dtype)
        # Copies: a failed call must leave the stored state as it was.
        if hasattr(self, "_optimizer"):
            optimizer, rng = copy.deepcopy(self._optimizer), copy.deepcopy(self._rng)
        else:
            optimizer = self._new_optimizer(X, sample_weight)
            rng = as_generator(self.random_state)
        seen = getattr(self, "_seen_weight", 0.0) + _total_weight(X, sample_weight)
        with _blas_threads(X.shape[0] * X.shape[1] * max(2, len(all_classes))):
            coef, intercept, n_iter = self._fit_minibatch(
                X, y_index, sample_weight, all_classes, start, optimizer, rng,
                epochs=1, total=seen,
            )  # fmt: skip
        self.classes_ = all_classes
        self.coef_, self.intercept_ = coef, intercept
        self.n_iter_ = self.n_iter_ + n_iter if fitted else n_iter
        self._optimizer, self._rng, self._seen_weight = optimizer, rng, seen
        return self

    def _check_penalty_solver(self):
        if self.l1_ratio > 0 and self.solver in ("lbfgs", "newton"):
            raise ValueError(
                f"solver={self.solver!r} needs a smooth objective and supports only "
                f"l1_ratio=0, got l1_ratio={self.l1_ratio!r}. For an l1 or "
                "elastic-net penalty use solver='gd' (proximal, exact zeros), "
                "'sgd' or 'adam'."
            )

    def _sample_weight(self, X, y, y_index, sample_weight, classes):
        """sample_weight times the class weights (None when both are absent).

        "balanced" counts the classes by weight (scikit-learn's rule, so that a
        weight of 2 still equals a repeated row). In ``partial_fit`` only the
        rows at hand can be counted: each chunk is balanced over the classes it
        contains.
        """
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
        if self.class_weight is None:
            return sample_weight
        # Balance the classes that carry weight: a class whose rows all have
        # weight 0 would divide by zero (and gets refused as absent anyway).
        rows = slice(None) if sample_weight is None else sample_weight > 0
        present = np.unique(y_index[rows])
        per_class = np.ones(len(classes))
        if self.class_weight == "balanced":
            per_class[present] = compute_class_weight(
                "balanced",
                classes=classes[present],
                y=y[rows],
                sample_weight=None if sample_weight is None else sample_weight[rows],
            )
        else:
            per_class = compute_class_weight(
                self.class_weight, classes=classes, y=y, sample_weight=sample_weight
            )
        by_row = per_class[y_index].astype(X.dtype)
        return by_row if sample_weight is None else sample_weight * by_row

    def _check_two_classes(self, classes, y_index, sample_weight):
        if len(classes) < 2:
            label = classes.tolist()[0]  # a Python value: 'a', not np.str_('a')
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the "
                f"data, but the data contains only one class: {label!r}."
            )
        if sample_weight is not None:
            weighted = np.bincount(y_index, weights=sample_weight, minlength=2)
            if np.count_nonzero(weighted > 0) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs at least 2 classes with a "
                    "positive total sample_weight; only one class has weight."
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
        n = X.shape[0]
        total = n if sample_weight is None else float(sample_weight.sum())
        weights = (
            np.full(n, 1.0 / n, X.dtype)
            if sample_weight is None
            else (sample_weight / total).astype(X.dtype)
        )
        l2, l1 = self._penalties(total)
        coef0, intercept0 = start
        if self._multinomial:
            problems = [(y_index, "multinomial", len(classes), slice(None))]
        elif len(classes) == 2:
            problems = [(y_index.astype(X.dtype), "binary", 1, slice(None))]
        else:  # one-vs-rest: one independent binary problem per class
            problems = [
                ((y_index == k).astype(X.dtype), "binary", 1, slice(k, k + 1))
                for k in range(len(classes))
            ]
        coefs, intercepts, n_iters = [], [], []
        for target, kind, n_classes, rows in problems:
            objective = GLMObjective(
                X, target, weights, l2, self.fit_intercept, kind, n_classes
            )
            theta0 = np.zeros(objective.shape, X.dtype)
            theta0[: X.shape[1]] = coef0[rows].T
            if self.fit_intercept:
                theta0[-1] = intercept0[rows]
            result = self._run_solver(objective, theta0, l1)
            theta = result.theta
            if not np.all(np.isfinite(theta)):  # pragma: no cover - a safety net
                raise FloatingPointError(
                    f"{type(self).__name__}: the {self.solver} solver produced "
                    "non-finite coefficients; standardise the features or lower C."
                )
            if not result.converged:
                self._warn_not_converged(result)
            coefs.append(theta[: X.shape[1]].T)
            b = theta[-1] if self.fit_intercept else np.zeros(theta.shape[1], X.dtype)
            if kind == "multinomial" and self.fit_intercept:
                # Adding a constant to every class's intercept changes nothing;
                # report the representative that sums to zero (as scikit-learn's).
                b = b - b.mean()
            intercepts.append(b)
            n_iters.append(result.n_iter)
        coef = np.ascontiguousarray(np.vstack(coefs), dtype=X.dtype)
        intercept = np.concatenate(intercepts).astype(X.dtype)
        return coef, intercept, np.asarray(n_iters, dtype=np.int32)

    def _run_solver(self, objective, theta0, l1):
        common = dict(max_iter=self.max_iter, tol=self.tol, verbose=self.verbose)
        if self.solver == "lbfgs":
            return solvers.lbfgs(objective, theta0, **common)
        if self.solver == "gd":
            return solvers.fista(objective, theta0, l1=l1, **common)
        size = theta0.size
        needed = size * size * np.dtype(objective.dtype).itemsize
        if needed > NEWTON_MAX_HESSIAN_BYTES:
            raise ValueError(
                f"solver='newton' would store a {size} by {size} Hessian "
                f"({needed / 2**20:.0f} MiB, more than the "
                f"{NEWTON_MAX_HESSIAN_BYTES / 2**20:.0f} MiB budget). Use "
                "solver='lbfgs' (same optimum, memory linear in the features)."
            )
        null_space = None
        if objective.kind == "multinomial" and self.fit_intercept:
            u = np.zeros(objective.shape)
            u[-1] = 1.0 / math.sqrt(objective.n_outputs)
            null_space = u.ravel()
        return solvers.newton(objective, theta0, null_space=null_space, **common)

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

        SGD steps by ``1/L``, with L the largest curvature of the mean loss over
        the data, ``c·λ_max(AᵀDA/Σsᵢ)`` for ``A = [X, 1]`` and c = ¼ (sigmoid)
        or ½ (softmax), doubled as a margin for minibatch noise. Adam, whose
        steps do not scale with the gradient, uses 0.03 per coordinate: on
        standardised digits and breast-cancer data the best of 0.01, 0.03 and
        0.1 after 100 epochs.
        """
        if self.solver == "adam":
            return nn.optimizers.get("adam", learning_rate=0.03)
        c = 0.5 if self._multinomial else 0.25
        curvature = c * solvers.mean_curvature(X, sample_weight, self.fit_intercept)
        total = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        l2, _ = self._penalties(total)
        step = 1.0 / (2.0 * curvature + l2 + 1e-12)
        return nn.optimizers.get("sgd", learning_rate=step)

    def _fit_minibatch(
        self, X, y_index, sample_weight, classes, start, optimizer, rng, epochs, total
    ):
        k = self._n_outputs(len(classes))
        targets = (
            y_index.astype(X.dtype)[:, None]
            if k == 1
            else np.eye(k, dtype=X.dtype)[y_index]
        )
        l2, l1 = self._penalties(total)
        coef0, intercept0 = start
        try:
            W, b, history = solvers.minibatch(
                X, targets, sample_weight, loss=self._loss(), optimizer=optimizer,
                rng=rng, coef=coef0.T, intercept=intercept0, l1=l1, l2=l2,
                fit_intercept=self.fit_intercept, epochs=epochs,
                batch_size=min(200, X.shape[0]), tol=self.tol,
                verbose=self.verbose, name=self.solver,
            )  # fmt: skip
        except nn.TrainingDivergedError as exc:
            raise _diverged(
                self, exc, "Standardise the features (StandardScaler), lower C, or "
                "use solver='lbfgs'."
            ) from exc  # fmt: skip
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
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return _linear_predictions(X, self.coef_, self.intercept_)

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


def _linear_predictions(X, coef, intercept):
    """``X·coefᵀ + intercept``; float32 queries whose products overflow are refused.

    float64 is computed as it always was: its overflow (queries near 1e308)
    still warns.
    """
    float32 = np.result_type(X.dtype, coef.dtype) == np.float32
    with np.errstate(over="ignore" if float32 else None):
        predictions = X @ coef.T + intercept
    check_float32_predictions(predictions, X)
    return predictions
