"""The solvers of the linear estimators.

The iterative solvers take an objective of :mod:`._objectives` (``value``,
``value_and_gradient`` and, for Newton, ``hessian`` of the smooth part), a
starting point θ₀ and the stopping rule ``max |gradient| ≤ tol`` (for the
proximal solver: of the gradient mapping), and return ``SolverResult``;
:func:`solve` runs the one an estimator's ``solver`` names. None of them warns:
the estimator turns ``converged=False`` into a ConvergenceWarning that names
its options. Below them: the closed forms of least squares, and the minibatch
training of one Dense layer by the :mod:`skdeep.nn` core.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize

from .. import nn
from .._validation import largest_magnitude
from ._objectives import soft_threshold

# Armijo's sufficient-decrease constant: accept a step that achieves at least
# this fraction of the decrease the linear model predicts.
ARMIJO = 1e-4
# Line searches give up after this many halvings (a step of 2⁻⁶⁰ of the
# proposal changes nothing in float64).
MAX_HALVINGS = 60
# Gradient descent stops after this many iterations without a new smallest
# gradient (Barzilai–Borwein steps are not monotone in the gradient, so a
# single worse step means nothing).
STALL_ITERATIONS = 100
# Newton's method stores a dense Hessian of n_params² entries (for the softmax
# classifier ((n_features + 1)·n_classes)²); above this size it refuses.
NEWTON_MAX_HESSIAN_BYTES = 256 * 2**20


@dataclass
class SolverResult:
    theta: np.ndarray
    n_iter: int
    converged: bool
    grad_max: float  # max |gradient| (or gradient mapping) at the returned θ
    message: str = ""
    finished_by: str = ""  # the solver that ran last, when not the one asked for


def _report(verbose: int, solver: str, it: int, value: float, grad_max: float):
    if verbose:
        print(f"[{solver}] iteration {it}: objective={value:.10g}, ", end="")
        print(f"max|grad|={grad_max:.3g}")


def lbfgs(objective, theta0, *, max_iter: int, tol: float, verbose: int = 0):
    """scipy's L-BFGS-B on the fused value-and-gradient, with scikit-learn's options.

    The objective computes in the dtype of X; scipy keeps its iterate and
    memory in float64, so only the O(n_params) vectors are converted.
    """
    shape = theta0.shape
    count = [0]

    def fun(x):
        value, grad = objective.value_and_gradient(x.reshape(shape))
        return value, grad.ravel().astype(np.float64, copy=False)

    def callback(intermediate_result):
        count[0] += 1
        _report(verbose, "lbfgs", count[0], intermediate_result.fun, math.nan)

    result = scipy.optimize.minimize(
        fun,
        np.asarray(theta0, dtype=np.float64).ravel(),
        method="L-BFGS-B",
        jac=True,
        callback=callback if verbose else None,
        # The same settings as scikit-learn's lbfgs, so that both stop alike:
        # gtol is the max-abs gradient test, ftol at the float64 noise level.
        options={"maxiter": max_iter, "maxls": 50, "gtol": tol, "ftol": 64 * 2.0**-52},
    )
    theta = result.x.reshape(shape).astype(objective.dtype)
    grad_max = float(np.max(np.abs(result.jac)))  # the gradient at result.x
    # status 0 is "converged"; 1 is max_iter; 2 (abnormal line search) happens
    # when float rounding hides any further decrease, i.e. we are at the optimum
    # as far as the arithmetic can tell -- a success if the gradient agrees.
    converged = result.status == 0 or grad_max <= tol
    message = str(result.message)
    # scipy counts one iteration when given none (maxiter=0); scikit-learn
    # reports at most max_iter, and so do we.
    n_iter = min(int(result.nit), max_iter)
    return SolverResult(theta, n_iter, converged, grad_max, message)


def newton(
    objective,
    theta0,
    *,
    max_iter: int,
    tol: float,
    flat_rows: np.ndarray | None = None,
    verbose: int = 0,
):
    """Newton's method: exact Hessian, Cholesky solve, Armijo backtracking.

    ``flat_rows`` (optional) lists the rows of θ along which the objective is
    exactly flat when the same value is added to every column -- for the
    multinomial, the intercepts, and without a penalty every row. With U the
    unit vectors of those directions, the gradient is orthogonal to them, so
    adding ``c·UUᵀ`` to the Hessian makes it invertible without changing the
    step's other components, and the step never moves along them (the same
    step from any representative of the same model).

    When the Hessian is singular or too ill-conditioned for a Newton step
    (more features than samples with a tiny penalty, collinear features), the
    remaining iterations run
    :func:`lbfgs` from the current point, as scikit-learn's
    "newton-cholesky" does; ``n_iter`` counts both and ``finished_by`` says
    "lbfgs".
    """
    theta = np.array(theta0, dtype=objective.dtype)
    value, grad = objective.value_and_gradient(theta)
    grad_max = float(np.max(np.abs(grad)))
    n_iter = 0
    while grad_max > tol and n_iter < max_iter:
        H = objective.hessian(theta)
        if flat_rows is not None:
            _add_flat_directions(H, theta.shape, flat_rows)
        solution = _newton_direction(H, grad.ravel())
        if solution is None:
            return _fall_back_to_lbfgs(objective, theta, n_iter, max_iter, tol, verbose)
        n_iter += 1
        step = -solution.reshape(theta.shape)
        accepted = _armijo(objective.value, theta, value, grad, step)
        if accepted is None:
            break  # no decrease left that the arithmetic can see
        theta, value = accepted
        value, grad = objective.value_and_gradient(theta)
        grad_max = float(np.max(np.abs(grad)))
        _report(verbose, "newton", n_iter, value, grad_max)
    return SolverResult(theta, n_iter, grad_max <= tol, grad_max)


def _add_flat_directions(H, shape, rows):
    """``H += c·UUᵀ`` in place, U's unit vectors the equal shifts of ``rows``."""
    n_columns = shape[1]
    scale = float(np.mean(np.diag(H))) or 1.0
    blocks = H.reshape(shape + shape)  # a view: H is contiguous
    for row in rows:
        blocks[row, :, row, :] += H.dtype.type(scale / n_columns)


def _fall_back_to_lbfgs(objective, theta, n_iter, max_iter, tol, verbose):
    """The iterations Newton has left, run by L-BFGS from θ.

    The Newton iteration that gave up counts against ``max_iter`` but not in
    ``n_iter`` (completed Newton iterations plus L-BFGS's), as in
    scikit-learn.
    """
    budget = max_iter - n_iter - 1
    result = lbfgs(objective, theta, max_iter=budget, tol=tol, verbose=verbose)
    result.n_iter += n_iter
    result.finished_by = "lbfgs"
    result.message = (
        f"Newton's method met a singular or ill-conditioned Hessian after "
        f"{n_iter} iteration(s) and L-BFGS ran the rest. {result.message}"
    )
    return result


def _newton_direction(H: np.ndarray, g: np.ndarray) -> np.ndarray | None:
    """Solve ``H x = g`` for symmetric positive definite H; None if it is singular.

    None also when H is too ill-conditioned for the solution to mean anything:
    LAPACK's estimate of its reciprocal condition number (1-norm) below the
    dtype's machine epsilon, the test of scipy's LinAlgWarning by which
    scikit-learn's "newton-cholesky" gives up.
    """
    try:
        factor, lower = scipy.linalg.cho_factor(H, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return None
    pocon = scipy.linalg.lapack.get_lapack_funcs("pocon", (factor,))
    anorm = float(np.abs(H).sum(axis=0).max())
    rcond, info = pocon(factor, anorm, uplo="L" if lower else "U")
    if info != 0 or not rcond >= np.finfo(H.dtype).eps:
        return None
    x = scipy.linalg.cho_solve((factor, lower), g, check_finite=False)
    return x if np.all(np.isfinite(x)) else None


def _armijo(value_fn, theta, value, grad, step, t: float = 1.0):
    """Largest ``t·2⁻ᵏ`` with Armijo decrease; ``(θ_new, f_new)`` or None."""
    slope = float(np.vdot(grad, step))
    if not slope < 0:
        return None
    for _ in range(MAX_HALVINGS):
        candidate = theta + t * step
        new_value = value_fn(candidate)
        if math.isfinite(new_value) and new_value <= value + ARMIJO * t * slope:
            return candidate, new_value
        t *= 0.5
    return None


def fista(
    objective,
    theta0,
    *,
    l1: float,
    max_iter: int,
    tol: float,
    verbose: int = 0,
):
    """Accelerated proximal gradient (FISTA) with backtracking and adaptive restart.

    Minimises ``f(θ) + l1·‖W‖₁`` with f smooth. Each iteration, from the
    extrapolated point y: ``θ⁺ = prox_{l1/L}(y − ∇f(y)/L)``, doubling L until
    ``f(θ⁺) ≤ f(y) + ∇f(y)·(θ⁺ − y) + L/2‖θ⁺ − y‖²`` (Beck & Teboulle, 2009).
    Momentum restarts (O'Donoghue & Candès, 2015) when the step turns against
    the momentum (gradient scheme) or the objective goes up (function scheme;
    the step is then redone from the last iterate without momentum). The
    stopping test is on the gradient mapping ``L·(y − θ⁺)``, which is the
    gradient itself when ``l1 = 0``.
    """
    n_features = objective.n_features
    x = np.array(theta0, dtype=objective.dtype)
    f_x, g_x = objective.value_and_gradient(x)
    F_x = f_x + l1 * _l1_norm(x, n_features)
    L = _initial_lipschitz(objective, x, g_x)
    y, f_y, g_y = x, f_x, g_x
    t = 1.0
    grad_max = math.inf
    n_iter = 0
    # For float32 features near 1e17, L passes the float32 maximum; g/L would
    # cast L to float32 (inf). Its reciprocal, a Python float, stays exact.
    largest_L = float(np.finfo(objective.dtype).max)
    while n_iter < max_iter:
        n_iter += 1
        while True:
            x_new = y - (g_y / L if L <= largest_L else g_y * (1.0 / L))
            if l1:
                x_new = soft_threshold(x_new, l1 / L, n_features)
            d = x_new - y
            f_new = objective.value(x_new)
            bound = f_y + float(np.vdot(g_y, d)) + 0.5 * L * float(np.vdot(d, d))
            # A relative slack of a few ulps: near the optimum both sides agree
            # to rounding and a strict test would double L forever.
            if math.isfinite(f_new) and f_new <= bound + 1e-12 * abs(f_y):
                break
            L *= 2.0
            if not math.isfinite(L):
                return SolverResult(x, n_iter, False, grad_max)
        grad_max = float(np.max(np.abs(d))) * L
        F_new = f_new + l1 * _l1_norm(x_new, n_features)
        _report(verbose, "gd", n_iter, F_new, grad_max)
        if grad_max <= tol:
            x = x_new
            break
        if F_new > F_x and y is not x:
            # Function restart: the momentum overshot; step again from x.
            t = 1.0
            if g_x is None:
                f_x, g_x = objective.value_and_gradient(x)
            y, f_y, g_y = x, f_x, g_x
            continue
        restart = float(np.vdot(y - x_new, x_new - x)) > 0  # gradient scheme
        t_new = 1.0 if restart else 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
        momentum = 0.0 if restart else (t - 1.0) / t_new
        x_old = x
        x, f_x, F_x, t = x_new, f_new, F_new, t_new
        y = x + momentum * (x - x_old) if momentum else x
        f_y, g_y = objective.value_and_gradient(y)
        f_x, g_x = (f_y, g_y) if y is x else (f_x, None)
    return SolverResult(x, n_iter, grad_max <= tol, grad_max)


def _l1_norm(theta, n_features):
    return float(np.abs(theta[:n_features]).sum())


def _norm(v) -> float:
    """‖v‖₂ by BLAS nrm2, which scales: no overflow for entries near 1e150."""
    return float(scipy.linalg.norm(np.ravel(v)))


def _initial_lipschitz(objective, x, g) -> float:
    """A secant estimate ‖∇f(x + h) − ∇f(x)‖/‖h‖ along −∇f: backtracking corrects it."""
    norm = _norm(g)
    if norm == 0.0:
        return 1.0
    h = -g * (1e-3 / norm)
    _, g2 = objective.value_and_gradient(x + h)
    estimate = _norm(g2 - g) / 1e-3
    return estimate if estimate > 0 and math.isfinite(estimate) else 1.0


def gradient_descent(
    value_and_gradient: Callable,
    value: Callable,
    theta0,
    *,
    max_iter: int,
    tol: float,
    verbose: int = 0,
):
    """Gradient descent with Armijo backtracking; trial steps by Barzilai–Borwein.

    The trial step ``‖Δθ‖²/(Δθ·Δg)`` (Barzilai & Borwein, 1988) adapts to the
    local curvature; backtracking halves it until the Armijo condition holds,
    so every iteration decreases the objective.
    """
    theta = np.array(theta0)
    f, g = value_and_gradient(theta)
    grad_max = float(np.max(np.abs(g)))
    step_size = 1.0 / max(_norm(g), 1.0)
    n_iter, best, since_best = 0, grad_max, 0
    while grad_max > tol and n_iter < max_iter:
        n_iter += 1
        accepted = _armijo(value, theta, f, g, -g, t=step_size)
        if accepted is None:
            break
        new_theta, _ = accepted
        new_f, new_g = value_and_gradient(new_theta)
        s, dg = new_theta - theta, new_g - g
        curvature = float(np.vdot(s, dg))
        step_size = float(np.vdot(s, s)) / curvature if curvature > 0 else 1.0
        theta, f, g = new_theta, new_f, new_g
        grad_max = float(np.max(np.abs(g)))
        _report(verbose, "gd", n_iter, f, grad_max)
        # Near the optimum f is flat to rounding, so Armijo accepts any step; the
        # gradient then only wanders at its noise floor. Stop when it has not
        # improved on its best for STALL_ITERATIONS steps.
        if grad_max < best:
            best, since_best = grad_max, 0
        else:
            since_best += 1
            if since_best >= STALL_ITERATIONS:
                break
    return SolverResult(theta, n_iter, grad_max <= tol, grad_max)


def solve(
    solver: str, objective, theta0, *, l1: float, max_iter: int, tol: float,
    verbose: int = 0,
) -> SolverResult:  # fmt: skip
    """Minimise ``objective`` (+ ``l1·‖W‖₁``) by "lbfgs", "newton" or "gd" (FISTA).

    Newton refuses (ValueError) when its Hessian would exceed
    ``NEWTON_MAX_HESSIAN_BYTES``. A multinomial objective is flat along the
    common shift of the intercepts (and, without a penalty, of the
    coefficients of each feature): Newton is told so.
    """
    common = dict(max_iter=max_iter, tol=tol, verbose=verbose)
    if solver == "lbfgs":
        return lbfgs(objective, theta0, **common)
    if solver == "gd":
        return fista(objective, theta0, l1=l1, **common)
    size = theta0.size
    needed = size * size * np.dtype(objective.dtype).itemsize
    if needed > NEWTON_MAX_HESSIAN_BYTES:
        raise ValueError(
            f"solver='newton' would store a {size} by {size} Hessian "
            f"({needed / 2**20:.0f} MiB, more than the "
            f"{NEWTON_MAX_HESSIAN_BYTES / 2**20:.0f} MiB budget). Use "
            "solver='lbfgs' (same optimum, memory linear in the features)."
        )
    flat_rows = None
    if objective.kind == "multinomial":
        n_rows = objective.shape[0]
        # Without a penalty every row is flat; with one, only the intercepts.
        if objective.l2 == 0:
            flat_rows = np.arange(n_rows)
        elif objective.fit_intercept:
            flat_rows = np.array([n_rows - 1])
    return newton(objective, theta0, flat_rows=flat_rows, **common)


# --------------------------------------------------------------------------
# Least squares: min ½‖√s ⊙ (y − Xw − b)‖² + ½α‖w‖², intercept by centering.
# --------------------------------------------------------------------------

# Rows per block when centering X on the fly: about 2 MB of float64, small
# enough to stay in cache, large enough for BLAS to run at full speed.
_BLOCK_BYTES = 2**21


def centered_normal_equations(X, Y, sqrt_w, x_mean, y_mean):
    """``AᵀA`` and ``AᵀB`` for ``A = √s⊙(X − x̄)``, ``B = √s⊙(Y − ȳ)``, blockwise.

    Subtracting ``n·x̄x̄ᵀ`` from XᵀX afterwards would need no copy but cancels
    catastrophically when the means are large next to the spread; centering a
    block at a time costs one extra pass over each cache-sized block instead.
    """
    n, p = X.shape
    rows = max(1, _BLOCK_BYTES // max(1, p * X.dtype.itemsize))
    G = np.zeros((p, p), dtype=X.dtype)
    r = np.zeros((p, Y.shape[1]), dtype=X.dtype)
    buffer = np.empty((min(rows, n), p), dtype=X.dtype)
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        A = np.subtract(X[start:stop], x_mean, out=buffer[: stop - start])
        B = Y[start:stop] - y_mean
        if sqrt_w is not None:
            A *= sqrt_w[start:stop, None]
            B *= sqrt_w[start:stop, None]
        G += A.T @ A  # NumPy calls BLAS syrk for a product with its own transpose
        r += A.T @ B
    return G, r


def cholesky_least_squares(G, r, alpha):
    """Solve ``(G + αI) w = r`` by Cholesky; None when it is too ill-conditioned.

    The reciprocal condition number comes from LAPACK's ``pocon`` (an O(p²)
    estimate from the factor). Solving the normal equations squares the
    condition number of the data, so below ``√eps`` (about 1.5e-8 in float64,
    3.5e-4 in float32) more than half the digits would be lost: the caller then
    solves the least-squares problem directly (SVD) instead.
    """
    A = G + alpha * np.eye(G.shape[0], dtype=G.dtype) if alpha else G.copy()
    if A.shape[0] == 0:
        return np.zeros_like(r), 1.0
    try:
        factor, lower = scipy.linalg.cho_factor(A, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return None, 0.0
    (pocon,) = scipy.linalg.get_lapack_funcs(("pocon",), (factor,))
    anorm = float(np.abs(A).sum(axis=0).max())  # the 1-norm pocon expects
    rcond, info = pocon(factor, anorm, uplo="L")
    if info != 0 or not rcond >= math.sqrt(np.finfo(G.dtype).eps):
        return None, float(rcond)
    coef = scipy.linalg.cho_solve((factor, lower), r, check_finite=False)
    return coef, float(rcond)


def svd_least_squares(A, B, alpha):
    """Minimum-norm solution of ``min ‖Aw − B‖² + α‖w‖²`` from the thin SVD.

    ``w = V diag(σ / (σ² + α)) Uᵀ B``. With α = 0 singular values below
    ``eps·max(n, p)·σ_max`` (NumPy's ``lstsq`` default) are treated as zero,
    which handles rank deficiency (collinear or constant features).
    """
    n, p = A.shape
    if min(n, p) == 0:
        return np.zeros((p, B.shape[1]), dtype=A.dtype)
    U, sigma, Vt = scipy.linalg.svd(
        A, full_matrices=False, check_finite=False, overwrite_a=True
    )
    if alpha:
        factor = sigma / (sigma * sigma + alpha)
    else:
        cutoff = np.finfo(A.dtype).eps * max(n, p) * (sigma[0] if sigma.size else 0)
        factor = np.divide(1.0, sigma, out=np.zeros_like(sigma), where=sigma > cutoff)
    return Vt.T @ (factor[:, None] * (U.T @ B))


# --------------------------------------------------------------------------
# Minibatch solvers: one Dense layer trained by the skdeep.nn core.
# --------------------------------------------------------------------------


class _LinearLayer(nn.Dense):
    """A Dense layer whose bias can be frozen at zero (``fit_intercept=False``)."""

    def __init__(self, n_out, *, l1=0.0, l2=0.0, fit_intercept=True):
        super().__init__(n_out, init="zeros", l1=l1, l2=l2)
        self.fit_intercept = fit_intercept

    def backward(self, dY, input_grad=True):
        out = super().backward(dY, input_grad)
        if not self.fit_intercept:
            self.db[:] = 0.0  # a zero gradient: no optimizer ever moves b
        return out


def minibatch(
    X,
    Y,
    sample_weight,
    *,
    loss,
    optimizer,
    rng,
    coef,
    intercept,
    l1,
    l2,
    fit_intercept,
    epochs,
    batch_size,
    tol,
    verbose=0,
    name="sgd",
):
    """Train ``Z = X·W + b`` under ``loss`` with the core's loop: (W, b, History).

    ``coef`` (n_features, n_outputs) and ``intercept`` (n_outputs,) are the
    starting point (zeros for a fresh fit); they are not modified.
    ``nn.TrainingDivergedError`` propagates to the caller, which knows the
    estimator options worth naming in the message.
    """
    layer = _LinearLayer(coef.shape[1], l1=l1, l2=l2, fit_intercept=fit_intercept)
    layer.build(X.shape[1], rng, X.dtype)
    np.copyto(layer.W, coef)
    np.copyto(layer.b, intercept if fit_intercept else 0.0)

    def report(history):
        if verbose:
            loss_value = history.epochs["loss"][-1]
            print(f"[{name}] epoch {history.n_epochs}: loss={loss_value:.8g}")

    history = nn.train(
        layer,
        loss,
        optimizer,
        X,
        Y,
        rng=rng,
        epochs=epochs,
        batch_size=batch_size,
        sample_weight=sample_weight,
        tol=tol,
        n_iter_no_change=N_ITER_NO_CHANGE,
        callbacks=(report,),
    )
    return layer.W.copy(), layer.b.copy(), history


# Epochs without an improvement of the training loss larger than tol before the
# minibatch solvers stop (scikit-learn's MLP and SGD default).
N_ITER_NO_CHANGE = 10


def mean_curvature(X, sample_weight, fit_intercept, n_steps: int = 30) -> float:
    """Largest eigenvalue of ``AᵀDA / Σsᵢ`` with ``A = [X, 1]``, D = diag(s).

    X may be dense or a CSR/CSC matrix (only products with it are needed).

    It bounds the curvature of the mean squared loss ½ mean‖Aθ − y‖² (times ¼
    for the logistic, ½ for the softmax loss), hence the largest stable
    gradient step ``1/L`` for averages over many rows. Power iteration from the
    all-ones vector (deterministic; no random draws) converges from below, so
    the caller adds a margin.
    """
    n, p = X.shape
    w = (
        np.full(n, 1.0 / n)
        if sample_weight is None
        else sample_weight / sample_weight.sum()
    )
    w = w.astype(X.dtype, copy=False)
    # The iteration runs on A/s, s a power of two near max|A|: dividing by it is
    # exact, so nothing changes for ordinary data, but for features near 1e150
    # the squared norms of the iterates no longer overflow. λmax(A) = s²·λmax(A/s).
    largest = largest_magnitude(X)  # of the stored values when X is sparse
    if fit_intercept:
        largest = max(largest, 1.0)  # the column of ones is part of A
    s = math.ldexp(1.0, math.frexp(largest)[1] - 1) if largest > 0 else 1.0
    v = np.ones(p + int(fit_intercept), dtype=X.dtype)
    estimate = 0.0
    for _ in range(n_steps):
        v /= np.linalg.norm(v) or 1.0
        z = X @ (v[:p] / s)
        if fit_intercept:
            z += v[p] / s
        z *= w
        new = np.empty_like(v)
        new[:p] = (X.T @ z) / s
        if fit_intercept:
            new[p] = z.sum() / s
        estimate = float(np.vdot(v, new))
        v = new
        if not np.any(v):
            break
    curvature = max(estimate, 0.0) * s * s
    if math.isinf(curvature):
        raise ValueError(
            f"The features are too large (max |x| = {largest:.3g}) for a gradient "
            "step: the curvature of the loss overflows. Standardise the features "
            "(sklearn.preprocessing.StandardScaler)."
        )
    return curvature
