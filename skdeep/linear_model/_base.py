"""What the linear estimators share: BLAS threads, minibatch training, predictions.

:class:`~skdeep.LeastSquaresRegressor`, :class:`~skdeep.LogisticRegression` and
:class:`~skdeep.SoftmaxClassifier` (in :mod:`._least_squares` and
:mod:`._logistic`) all run small problems on one BLAS thread, train one Dense
layer with the :mod:`skdeep.nn` core when ``solver`` is "sgd" or "adam"
(continued by ``partial_fit``), and predict ``X·coefᵀ + intercept``. All
three take CSR and CSC matrices (``SPARSE_FORMATS``) without densifying them.
"""

from __future__ import annotations

import contextlib
import copy

import numpy as np
import scipy.sparse

from .. import nn
from .._validation import (
    as_generator,
    check_fitted,
    check_float32_predictions,
    validate_data,
)
from ..nn._blas import single_blas_thread
from . import _solvers as solvers

# Below this many multiply-adds per pass over the data (n·p·outputs) one BLAS
# thread is faster than several: on small matrices the threads spend more time
# waking and synchronising than computing. Measured on load_digits (1.2e6 per
# pass), 5-fold CV fit time on a busy 2-core machine: SoftmaxClassifier lbfgs
# 0.07 s on one thread against 0.80 s on two, newton 1.0 s against 77 s.
_SINGLE_THREAD_WORK = 2_000_000

# The sparse formats the linear estimators take as they are; validate_data
# converts any other to the first. Row slices (minibatches) need CSR, which the
# minibatch solvers make from CSC; the full-batch solvers only multiply by X.
SPARSE_FORMATS = ["csr", "csc"]


def _blas_threads(work: float):
    """One BLAS thread for small problems (see ``_SINGLE_THREAD_WORK``), else as is.

    The limit is shared by the threads fitting at the same time, so that the
    last one to finish restores the count the first one found.
    """
    if work >= _SINGLE_THREAD_WORK:
        return contextlib.nullcontext()
    return single_blas_thread()


def _blas_work(X) -> int:
    """The entries of X that BLAS multiplies in one pass: n·p, or n + p if X is sparse.

    scipy's sparse products do not call BLAS; with sparse X, BLAS only sees the
    dense vectors of length n (scores) and p (coefficients, the solvers'
    iterates), each time one per output. Measured on TF-IDF of 2000 documents
    (5000 terms, 8 classes) on a busy 2-core machine: one lbfgs objective and
    gradient 2.6 ms on one BLAS thread, 9 ms on two.
    """
    n, p = X.shape
    return n + p if scipy.sparse.issparse(X) else n * p


def _minibatch_solver(self) -> bool:
    return self.solver in ("sgd", "adam")


def _total_weight(X, sample_weight) -> float:
    return float(X.shape[0] if sample_weight is None else sample_weight.sum())


def _sgd_learning_rate(
    X, sample_weight, fit_intercept, *, loss_curvature: float = 1.0, l2: float = 0.0
) -> float:
    """The "auto" SGD step ``1/(2L + λ₂)``: about half the largest stable one.

    L is the largest curvature of the mean loss over the data,
    ``loss_curvature·λ_max(AᵀDA/Σsᵢ)`` for ``A = [X, 1]`` (1 for the squared
    error, ¼ for the sigmoid, ½ for the softmax), λ₂ that of the l2 penalty;
    doubling L leaves a margin for the noise of minibatches.
    """
    curvature = loss_curvature * solvers.mean_curvature(X, sample_weight, fit_intercept)
    return 1.0 / (2.0 * curvature + l2 + 1e-12)


def _minibatch_state(estimator, X, sample_weight, *, resume: bool):
    """``(optimizer, rng, total weight seen)`` for "sgd" and "adam" on ``(X, sw)``.

    ``fit`` starts afresh; ``partial_fit`` resumes from copies of the stored
    optimizer and generator, so that a failed call leaves them as they were.
    """
    if resume and hasattr(estimator, "_optimizer"):
        optimizer = copy.deepcopy(estimator._optimizer)
        rng = copy.deepcopy(estimator._rng)
    else:
        optimizer = estimator._new_optimizer(X, sample_weight)
        rng = as_generator(estimator.random_state)
    seen = getattr(estimator, "_seen_weight", 0.0) if resume else 0.0
    return optimizer, rng, seen + _total_weight(X, sample_weight)


def _train_minibatch(
    estimator, X, Y, sample_weight, *, state, start, loss, l1, l2, epochs,
    batch_size, advice,
):  # fmt: skip
    """:func:`._solvers.minibatch` with the estimator's options: (W, b, History).

    ``state`` comes from :func:`_minibatch_state`, ``start`` is ``(coef of shape
    (n_features, n_outputs), intercept)``. A divergence is reported with the
    estimator's name and solver, followed by ``advice`` (what to change).
    """
    optimizer, rng, _ = state
    coef, intercept = start
    try:
        return solvers.minibatch(
            X, Y, sample_weight, loss=loss, optimizer=optimizer, rng=rng,
            coef=coef, intercept=intercept, l1=l1, l2=l2,
            fit_intercept=estimator.fit_intercept, epochs=epochs,
            batch_size=batch_size, tol=estimator.tol, verbose=estimator.verbose,
            name=estimator.solver,
        )  # fmt: skip
    except nn.TrainingDivergedError as exc:
        raise nn.TrainingDivergedError(
            f"{type(estimator).__name__}(solver={estimator.solver!r}) diverged: "
            f"{exc} {advice} The estimator was left as it was before this call."
        ) from exc


def _keep_minibatch_state(estimator, state) -> None:
    """Store what the next ``partial_fit`` resumes from."""
    estimator._optimizer, estimator._rng, estimator._seen_weight = state


def _linear_predictions(estimator, X):
    """``X·coef_ᵀ + intercept_``; float32 queries whose products overflow are refused.

    float64 is computed as it always was: its overflow (queries near 1e308)
    still warns.
    """
    check_fitted(estimator, "coef_")
    X = validate_data(
        estimator, X, dtype=[np.float64, np.float32], accept_sparse=SPARSE_FORMATS,
        reset=False,
    )  # fmt: skip
    coef, intercept = estimator.coef_, estimator.intercept_
    float32 = np.result_type(X.dtype, coef.dtype) == np.float32
    with np.errstate(over="ignore" if float32 else None):
        predictions = X @ coef.T + intercept
    check_float32_predictions(predictions, X)
    return predictions
