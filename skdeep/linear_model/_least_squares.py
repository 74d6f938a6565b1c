"""Linear least squares: closed forms, gradient descent and minibatch training."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import scipy.sparse
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if

from .. import nn
from .._fit_state import all_or_nothing
from .._validation import (
    check_dense_targets,
    check_float32_magnitude,
    check_numeric_targets,
    checked_sample_weight,
    validate_data,
)
from .._warnings import warn
from . import _solvers as solvers
from . import _sparse_least_squares as sparse_ls
from ._base import (
    SPARSE_FORMATS,
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
from ._fitted_state import check_linear_state
from ._float_range import check_representable, power_of_two_scale, unit_weights


class LeastSquaresRegressor(RegressorMixin, BaseEstimator):
    r"""Linear least squares with an optional ridge penalty, several solvers.

    Parameters
    ----------
    alpha : float, default=0.0
        Ridge penalty ``½·alpha·‖w‖²`` (scikit-learn's Ridge ``alpha``); 0 is
        ordinary least squares.
    fit_intercept : bool, default=True
        Whether to fit an intercept (never penalised).
    solver : {"auto", "lstsq", "cholesky", "gd", "sgd", "adam"}, default="auto"
        - "lstsq": the singular value decomposition (LAPACK); handles rank
          deficiency (minimum-norm solution). On sparse X: LSQR (iterative, to
          the machine precision of X's dtype; also minimum-norm).
        - "cholesky": the normal equations ``(XᵀX + αI)w = Xᵀy`` by Cholesky;
          when their condition number is too large for that to be accurate it
          warns and falls back to "lstsq". On sparse X they are formed by
          sparse products, and refused above 256 MiB.
        - "auto": "cholesky" when well conditioned, else "lstsq", silently.
          "lstsq" directly on dense X with more features than samples (its
          memory is then O(n·p + n²), the normal equations' O(p²)), and on
          sparse X with more than 2048 features (LSQR): the dense p × p normal
          equations would cost more.
        - "gd": full-batch gradient descent, Barzilai–Borwein trial steps and
          Armijo backtracking.
        - "sgd", "adam": minibatch training by :mod:`skdeep.nn`; they allow
          :meth:`partial_fit`.
    max_iter : int, default=1000
        Maximum iterations of "gd", epochs of "sgd" and "adam".
    tol : float, default=1e-4
        "gd" stops when the largest absolute gradient entry of the objective
        divided by ``Σsᵢ`` is below ``tol``; "sgd" and "adam" when the epoch loss
        improved by less than ``tol`` for 10 consecutive epochs.
    learning_rate_init : float or "auto", default="auto"
        Step size of "sgd" and "adam". "auto" is ``1/(2L)`` for "sgd", with L
        the largest curvature of the mean squared loss (the top eigenvalue of
        ``AᵀDA/Σsᵢ`` for ``A = [X, 1]``, by power iteration), and 0.01 for
        "adam".
    batch_size : int or "auto", default="auto"
        Minibatch rows for "sgd" and "adam"; "auto" is ``min(200, n_samples)``.
    warm_start : bool, default=False
        Start the iterative solvers from the previous solution.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling of "sgd" and "adam".
    verbose : int, default=0
        Print the objective at every iteration or epoch when positive.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients, in the dtype of the training data.
    intercept_ : float or ndarray of shape (n_targets,)
        Intercept(s), 0 when ``fit_intercept=False``.
    n_iter_ : int
        Iterations (epochs) of the iterative solvers; 1 for the closed forms
        (a single direct solve); LSQR's iterations for "lstsq" on sparse X.
    solver_ : str
        The solver that produced ``coef_``: "auto" resolved, and "lstsq" after
        a fallback from "cholesky".
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Feature names seen during fit, when X has string column names.

    See Also
    --------
    LogisticRegression, SoftmaxClassifier : The classification counterparts.
    sklearn.linear_model.LinearRegression, sklearn.linear_model.Ridge :
        scikit-learn's estimators, same solutions.

    Notes
    -----
    Minimises, for targets Y (one column per output) and sample weights sᵢ,

    .. math::

        \tfrac12 \sum_i s_i \|y_i - W^\top x_i - b\|^2 + \tfrac{\alpha}{2}\|W\|_F^2 .

    The intercept is eliminated by centering: with weighted means x̄ and ȳ,
    ``W`` solves the problem on ``√sᵢ(xᵢ − x̄)`` and ``√sᵢ(yᵢ − ȳ)`` and then
    ``b = ȳ − Wᵀx̄``. The closed forms solve it exactly: by SVD,
    ``W = V diag(σ/(σ² + α)) Uᵀ B``, or from the normal equations
    ``(AᵀA + αI)W = AᵀB`` by Cholesky, which is several times faster when n ≫ p
    but squares the condition number; "auto" therefore checks LAPACK's estimate
    of it and uses the SVD when more than half the digits would be lost.

    Sparse X (CSR or CSC) is never centered, which would make it dense: the
    centering stays implicit. The normal equations are
    ``XᵀDX − S·x̄x̄ᵀ`` from sparse products, and "lstsq" and "gd" apply
    ``A = D^½(X − 1x̄ᵀ)`` as an operator (two sparse products), as
    scikit-learn's LinearRegression does for sparse input.

    Polynomial regression is this estimator after
    :class:`~sklearn.preprocessing.PolynomialFeatures` in a pipeline.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep import LeastSquaresRegressor
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 5.0]])
    >>> y = 1.0 + 2.0 * X[:, 0] - 3.0 * X[:, 1]
    >>> reg = LeastSquaresRegressor().fit(X, y)
    >>> reg.coef_.round(6), round(reg.intercept_, 6), reg.solver_
    (array([ 2., -3.]), 1.0, 'cholesky')
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "solver": [StrOptions({"auto", "lstsq", "cholesky", "gd", "sgd", "adam"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "learning_rate_init": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto"}),
        ],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def _check_fitted_state(self) -> None:
        """Raise ``ValueError`` unless the fitted attributes are consistent
        (read by :func:`skdeep.load`, which fills them from a file)."""
        check_linear_state(self, classifier=False)

    def __init__(
        self,
        *,
        alpha=0.0,
        fit_intercept=True,
        solver="auto",
        max_iter=1000,
        tol=1e-4,
        learning_rate_init="auto",
        batch_size="auto",
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True  # CSR and CSC, never densified
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the linear model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 is kept (the fit then runs in float32). CSR
            and CSC matrices are used as they are, never densified.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights: weight 2 counts a row twice.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        with all_or_nothing(self):
            return self._fit(X, y, sample_weight)

    def _fit(self, X, y, sample_weight):
        X, Y, sample_weight, y_is_1d = self._validate(X, y, sample_weight, True)
        p = X.shape[1]
        solver = self.solver
        with _blas_threads(_blas_work(X) * Y.shape[1]):
            if _minibatch_solver(self):
                state = _minibatch_state(self, X, sample_weight, resume=False)
                start = self._start(p, Y, X.dtype)
                coef, intercept, n_iter = self._fit_minibatch(
                    X, Y, sample_weight, state, start, self.max_iter
                )
                _keep_minibatch_state(self, state)
            else:
                # An overflow here ends in non-finite coefficients, refused next.
                with np.errstate(over="ignore", invalid="ignore"):
                    coef, intercept, n_iter, solver = self._fit_centered(
                        X, Y, sample_weight
                    )
                check_representable(coef, intercept, X, Y)
        self._store(coef, intercept, y_is_1d=y_is_1d)
        self.n_iter_, self.solver_ = n_iter, solver
        return self

    @available_if(_minibatch_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of minibatch updates on ``(X, y)`` (solver 'sgd' or 'adam').

        Each call continues from the current coefficients and optimizer state
        and minimises the objective over all the rows seen so far: the penalty
        is scaled by their total weight (a row passed twice counts twice).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        with all_or_nothing(self):
            return self._partial_fit(X, y, sample_weight)

    def _partial_fit(self, X, y, sample_weight):
        fitted = hasattr(self, "coef_")
        X, Y, sample_weight, y_is_1d = self._validate(X, y, sample_weight, not fitted)
        p = X.shape[1]
        if fitted:
            coef = np.atleast_2d(self.coef_)
            if coef.shape[0] != Y.shape[1]:
                raise ValueError(
                    f"y has {Y.shape[1]} target(s) but the model was fitted with "
                    f"{coef.shape[0]}."
                )
            start = coef.T.astype(X.dtype), np.atleast_1d(self.intercept_)
            start = start[0], start[1].astype(X.dtype)
        else:
            start = np.zeros((p, Y.shape[1]), X.dtype), np.zeros(Y.shape[1], X.dtype)
        state = _minibatch_state(self, X, sample_weight, resume=True)
        with _blas_threads(_blas_work(X) * Y.shape[1]):
            coef, intercept, n_iter = self._fit_minibatch(
                X, Y, sample_weight, state, start, 1
            )
        self._store(coef, intercept, y_is_1d=y_is_1d)
        self.n_iter_ = self.n_iter_ + n_iter if fitted else n_iter
        self.solver_ = self.solver
        _keep_minibatch_state(self, state)
        return self

    def predict(self, X):
        """Predicted targets ``X·coef_ᵀ + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        return _linear_predictions(self, X)

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R² of the predictions.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            ``1 − Σ(y − ŷ)² / Σ(y − ȳ)²`` (averaged uniformly over targets), as
            :func:`sklearn.metrics.r2_score` computes it.
        """
        return super().score(X, y, sample_weight=sample_weight)

    # ---- helpers -------------------------------------------------------------

    def _validate(self, X, y, sample_weight, reset):
        check_dense_targets(y)
        check_numeric_targets(y, self)
        X, y = validate_data(
            self, X, y, dtype=[np.float64, np.float32], order="C",
            accept_sparse=SPARSE_FORMATS, y_numeric=True, multi_output=True,
            reset=reset,
        )  # fmt: skip
        # Before any arithmetic: float32 sums of squares must not overflow.
        check_float32_magnitude(X, dtype=X.dtype)
        check_float32_magnitude(y, dtype=X.dtype, name="y")
        Y = np.asarray(y, dtype=X.dtype)
        y_is_1d = Y.ndim == 1
        Y = Y.reshape(-1, 1) if y_is_1d else Y
        sample_weight = checked_sample_weight(sample_weight, X)
        return X, Y, sample_weight, y_is_1d

    def _store(self, coef, intercept, y_is_1d):
        """Store coef (n_features, n_targets) and intercept as scikit-learn does."""
        coef = np.ascontiguousarray(coef.T)
        if y_is_1d:
            self.coef_, self.intercept_ = coef[0], float(intercept[0])
        else:
            self.coef_, self.intercept_ = coef, intercept

    def _start(self, n_features, Y, dtype):
        k = Y.shape[1]
        if self.warm_start and hasattr(self, "coef_"):
            coef = np.atleast_2d(self.coef_)
            if coef.shape == (k, n_features):
                return coef.T.astype(dtype), np.atleast_1d(self.intercept_).astype(
                    dtype
                )
        return np.zeros((n_features, k), dtype), np.zeros(k, dtype)

    def _fit_centered(self, X, Y, sample_weight):
        """The closed forms and "gd" on centered, √s-scaled data; b from the means.

        Sparse X is centered implicitly (:mod:`._sparse_least_squares`): its
        normal equations come from sparse products, and "lstsq" runs LSQR.
        """
        p, dtype = X.shape[1], X.dtype
        sparse = scipy.sparse.issparse(X)
        sample_weight, alpha = unit_weights(sample_weight, self.alpha)
        total = _total_weight(X, sample_weight)
        x_mean, y_mean, constant = self._means(X, Y, sample_weight, total)
        sqrt_w = None if sample_weight is None else np.sqrt(sample_weight)
        solver, n_iter = self.solver, 1
        if sparse and solver == "auto" and p > sparse_ls.GRAM_MAX_FEATURES:
            solver = "lstsq"  # a p × p matrix would be large and dense
        elif not sparse and solver == "auto" and p > X.shape[0]:
            # Wide: normal equations need O(p²) memory, the thin SVD O(n·p + n²)
            solver = "lstsq"
        coef = None
        if math.isinf(alpha):  # tiny weights: W ≈ AᵀB/α underflows to 0
            coef = np.zeros((p, Y.shape[1]), dtype)
            solver = "cholesky" if solver == "auto" else solver
        elif solver in ("auto", "cholesky"):
            if sparse:
                if solver == "cholesky":
                    sparse_ls.check_gram_size(p, dtype)
                G, r = sparse_ls.centered_normal_equations(
                    X, Y, sample_weight, (x_mean, y_mean), constant, total
                )
            else:
                G, r = solvers.centered_normal_equations(X, Y, sqrt_w, x_mean, y_mean)
            coef, rcond = solvers.cholesky_least_squares(G, r, alpha)
            if coef is None and solver == "cholesky":
                warn(
                    "LeastSquaresRegressor(solver='cholesky'): the normal equations "
                    f"are too ill-conditioned (reciprocal condition {rcond:.2g}) for "
                    "an accurate Cholesky solve; falling back to solver='lstsq'. "
                    "Collinear or constant features cause this; 'auto' picks the "
                    "solver silently.",
                    UserWarning,
                )
            solver = "cholesky" if coef is not None else "lstsq"
        if coef is None:
            B = Y - y_mean
            if sparse:
                A = sparse_ls.CenteredOperator(X, x_mean, sqrt_w)
            else:
                A = X - x_mean
                if sqrt_w is not None:
                    A *= sqrt_w[:, None]
            if sqrt_w is not None:
                B *= sqrt_w[:, None]
            if solver == "gd":
                coef, n_iter = self._gradient_descent(A, B, total, alpha)
            elif sparse:
                coef, n_iter = self._lsqr(A, B, alpha)
                solver = "lstsq"
            else:
                coef, solver = solvers.svd_least_squares(A, B, alpha), "lstsq"
        intercept = y_mean - x_mean @ coef
        return coef.astype(dtype, copy=False), intercept.astype(dtype), n_iter, solver

    def _means(self, X, Y, sample_weight, total):
        """Weighted means of X and Y (zeros without an intercept), constant columns.

        The computed mean of a constant column can miss its value by a
        rounding; centering would leave that rounding as a column of noise,
        which the solvers fit like signal (coef 1.7 on a column of 0.1s, from
        1e-17 noise). Such columns are centred on the value itself.
        """
        p, dtype = X.shape[1], X.dtype
        if not self.fit_intercept:
            return np.zeros(p, dtype), np.zeros(Y.shape[1], dtype), np.zeros(p, bool)
        if sample_weight is None:
            y_mean = Y.mean(axis=0)
        else:
            y_mean = (sample_weight @ Y) / dtype.type(total)
        if scipy.sparse.issparse(X):
            x_mean, constant = sparse_ls.column_means(X, sample_weight, total)
            return x_mean, y_mean, constant
        if sample_weight is None:
            x_mean = X.mean(axis=0)
        else:
            x_mean = (sample_weight @ X) / dtype.type(total)
        constant = X.max(axis=0) == X.min(axis=0)
        x_mean[constant] = X[0, constant]
        return x_mean, y_mean, constant

    def _lsqr(self, A, B, alpha):
        """LSQR on the centered operator of sparse X: (coef, iterations).

        LSQR's norms square the entries: features or targets near 1e±170 would
        underflow or overflow. It therefore solves for ``W' = W·a/b`` on
        ``A/a`` and ``B/b`` with ``α/a²`` (a, b powers of two near the largest
        entries: exact), as "gd" does.
        """
        a, b = power_of_two_scale(A), power_of_two_scale(B)
        alpha = alpha / a / a
        if math.isinf(alpha):  # the penalty dominates: W ≈ AᵀB/α underflows
            return np.zeros((A.shape[1], B.shape[1]), A.dtype), 0
        coef, n_iter, converged = sparse_ls.lsqr_least_squares(
            A * (1.0 / a), B / B.dtype.type(b), alpha
        )
        coef *= coef.dtype.type(b / a)
        if not converged:
            warn(
                "LeastSquaresRegressor(solver='lstsq') on sparse X: LSQR reached its "
                f"iteration limit ({n_iter}) before the machine-precision tolerance; "
                "the solution may be inaccurate. Collinear features or a tiny "
                "alpha cause this; alpha > 0 or solver='cholesky' (few features) "
                "help.",
                ConvergenceWarning,
            )
        return coef, n_iter

    def _gradient_descent(self, A, B, total, alpha):
        """Minimise (‖AW − B‖² + α‖W‖²)/(2S) by gradient descent."""
        n_features, scale = A.shape[1], 1.0 / total
        # Features or targets near 1e±150 have squares outside the float64
        # range. Then solve for W' = W·a/b on A/a and B/b (a, b powers of two
        # near their largest entries: exact) with α/a², and apply tol to that
        # problem: an absolute gradient tolerance means nothing at such scales.
        a, b = power_of_two_scale(A), power_of_two_scale(B)
        rescale = not all(2.0**-64 <= c <= 2.0**64 for c in (a, b))
        if rescale:
            A, B, alpha = A / A.dtype.type(a), B / B.dtype.type(b), alpha / a / a
            if math.isinf(alpha):
                # Features near 1e-180 with α > 0: the penalty dominates, and
                # W ≈ AᵀB/α is below what these units can hold; so is AW.
                return np.zeros((n_features, B.shape[1]), A.dtype), 0

        def value(W):
            R = A @ W - B
            return 0.5 * scale * (float(np.vdot(R, R)) + alpha * float(np.vdot(W, W)))

        def value_and_gradient(W):
            R = A @ W - B
            grad = A.T @ R
            grad += alpha * W
            grad *= scale
            return 0.5 * scale * (
                float(np.vdot(R, R)) + alpha * float(np.vdot(W, W))
            ), grad

        W0, _ = self._start(n_features, B, A.dtype)
        if rescale:
            W0 = W0 * A.dtype.type(a / b)
        result = solvers.gradient_descent(
            value_and_gradient, value, W0, max_iter=self.max_iter, tol=self.tol,
            verbose=self.verbose,
        )  # fmt: skip
        if not result.converged:
            warn(
                f"LeastSquaresRegressor(solver='gd') did not converge: max |gradient| "
                f"= {result.grad_max:.3g} > tol = {self.tol:g} after {result.n_iter} "
                f"iterations. Increase max_iter, standardise the features, or use "
                "solver='auto' (exact).",
                ConvergenceWarning,
            )
        if rescale:
            return result.theta * A.dtype.type(b / a), result.n_iter
        return result.theta, result.n_iter

    def _new_optimizer(self, X, sample_weight):
        lr = self.learning_rate_init
        if self.solver == "adam":
            return nn.optimizers.get("adam", learning_rate=0.01 if lr == "auto" else lr)
        if lr == "auto":
            lr = _sgd_learning_rate(X, sample_weight, self.fit_intercept)
        return nn.optimizers.get("sgd", learning_rate=lr)

    def _fit_minibatch(self, X, Y, sample_weight, state, start, epochs):
        optimizer, _, total = state
        # nn's squared error averages over the K targets: the penalty follows.
        l2 = self.alpha / (total * Y.shape[1])
        batch_size = (
            min(200, X.shape[0]) if self.batch_size == "auto" else self.batch_size
        )
        W, b, history = _train_minibatch(
            self, X, Y, sample_weight, state=state, start=start,
            loss=nn.losses.get("squared_error"), l1=0.0, l2=l2, epochs=epochs,
            batch_size=batch_size,
            advice=f"Lower learning_rate_init (now "
            f"{optimizer.current_learning_rate():g}), standardise the features "
            "(StandardScaler), or use solver='auto'.",
        )  # fmt: skip
        if epochs > 1 and not history.stopped:
            warn(
                f"LeastSquaresRegressor(solver={self.solver!r}) did not converge: "
                f"the loss was still improving after {history.n_epochs} epochs "
                f"(max_iter={self.max_iter}). Increase max_iter or use "
                "solver='auto' (exact).",
                ConvergenceWarning,
            )
        return W, b, history.n_epochs
