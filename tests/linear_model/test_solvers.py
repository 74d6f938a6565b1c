"""The objectives and solvers under skdeep.linear_model, against maths:
finite differences, a hand-computed Newton step and FISTA step."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skdeep import nn
from skdeep.linear_model import _solvers as solvers
from skdeep.linear_model._objectives import GLMObjective, soft_threshold


def _objective(rng, kind, fit_intercept, weighted, n=12, p=4, k=3):
    X = rng.normal(size=(n, p))
    y = rng.integers(0, 2 if kind == "binary" else k, size=n)
    s = rng.uniform(0.5, 2.0, size=n) if weighted else np.ones(n)
    return GLMObjective(X, y, s / s.sum(), 0.3, fit_intercept, kind, k)


def _central_gradient(f, theta, eps=1e-6):
    grad = np.zeros_like(theta)
    for index in np.ndindex(theta.shape):
        step = np.zeros_like(theta)
        step[index] = eps
        grad[index] = (f(theta + step) - f(theta - step)) / (2 * eps)
    return grad


CASES = [
    (kind, fit_intercept, weighted)
    for kind in ("binary", "multinomial")
    for fit_intercept in (True, False)
    for weighted in (False, True)
]


@pytest.mark.parametrize(("kind", "fit_intercept", "weighted"), CASES)
def test_fused_gradient_matches_central_differences(rng, kind, fit_intercept, weighted):
    objective = _objective(rng, kind, fit_intercept, weighted)
    theta = rng.normal(size=objective.shape)
    value, grad = objective.value_and_gradient(theta)
    assert value == pytest.approx(objective.value(theta), rel=1e-14)
    numeric = _central_gradient(objective.value, theta)
    assert np.linalg.norm(grad - numeric) <= 1e-8 * np.linalg.norm(numeric)


@pytest.mark.parametrize(("kind", "fit_intercept", "weighted"), CASES)
def test_hessian_matches_differences_of_the_gradient(
    rng, kind, fit_intercept, weighted
):
    objective = _objective(rng, kind, fit_intercept, weighted)
    theta = rng.normal(size=objective.shape)
    H = objective.hessian(theta)
    numeric = np.column_stack(
        [
            _central_gradient(
                lambda t, j=j: objective.value_and_gradient(t)[1].ravel()[j], theta
            ).ravel()
            for j in range(theta.size)
        ]
    )
    assert_allclose(H, H.T, atol=1e-14)
    assert np.linalg.norm(H - numeric) <= 1e-7 * np.linalg.norm(numeric)


def test_binary_objective_is_the_logistic_loss_by_formula(rng):
    objective = _objective(rng, "binary", True, True)
    theta = rng.normal(size=objective.shape)
    z = objective.X @ theta[:-1, 0] + theta[-1, 0]
    p = 1 / (1 + np.exp(-z))
    loss = -(objective.y * np.log(p) + (1 - objective.y) * np.log(1 - p))
    expected = objective.weights @ loss + 0.15 * np.sum(theta[:-1] ** 2)
    assert objective.value(theta) == pytest.approx(expected, rel=1e-12)


def test_objectives_stay_finite_for_huge_scores(rng):
    for kind in ("binary", "multinomial"):
        objective = _objective(rng, kind, True, False)
        theta = 1e4 * rng.normal(size=objective.shape)
        value, grad = objective.value_and_gradient(theta)
        assert np.isfinite(value) and np.all(np.isfinite(grad))


def test_minibatch_layer_gradients_match_central_differences(rng):
    X, y = rng.normal(size=(6, 3)), np.eye(3)[rng.integers(0, 3, size=6)]
    for loss in ("softmax_cross_entropy", "binary_cross_entropy", "squared_error"):
        layer = solvers._LinearLayer(3, l2=0.2, fit_intercept=True)
        layer.build(3, rng, np.float64)
        layer.W[:] = rng.normal(size=layer.W.shape)
        err = nn.check_gradients(layer, nn.losses.get(loss), X, y)
        assert err < 1e-7, loss


def test_frozen_intercept_gets_no_gradient(rng):
    layer = solvers._LinearLayer(2, fit_intercept=False)
    layer.build(3, rng, np.float64)
    layer.forward(rng.normal(size=(5, 3)), training=True)
    layer.backward(rng.normal(size=(5, 2)))
    assert not layer.db.any()


# ---- one step by hand ---------------------------------------------------------


def test_one_newton_step_is_theta_minus_inverse_hessian_times_gradient(rng):
    # From θ = 0 every σ is ½: gradient Aᵀw(½ − y) and Hessian ¼AᵀWA + λ₂I_W with
    # A = [X, 1]. Newton's full step is accepted by Armijo here (checked below).
    n, p, l2 = 20, 3, 0.1
    X = rng.normal(size=(n, p))
    y = (X[:, 0] + rng.normal(size=n) > 0).astype(float)
    w = np.full(n, 1.0 / n)
    A = np.hstack([X, np.ones((n, 1))])
    g = A.T @ (w * (0.5 - y))
    H = 0.25 * A.T @ (w[:, None] * A) + np.diag([l2] * p + [0.0])
    expected = -np.linalg.solve(H, g)

    objective = GLMObjective(X, y, w, l2, True, "binary", 1)
    result = solvers.newton(objective, np.zeros((p + 1, 1)), max_iter=1, tol=0.0)
    assert result.n_iter == 1
    assert_allclose(result.theta[:, 0], expected, rtol=1e-12)


class _Quadratic:
    """f(θ) = ½θᵀQθ − bᵀθ on a (p, 1) θ, with the interface the solvers use."""

    dtype = np.dtype(np.float64)

    def __init__(self, Q, b):
        self.Q, self.b, self.n_features = Q, b, len(b)

    def value(self, theta):
        t = theta[:, 0]
        return 0.5 * t @ self.Q @ t - self.b @ t

    def value_and_gradient(self, theta):
        return self.value(theta), (self.Q @ theta[:, 0] - self.b)[:, None]


def test_one_fista_step_is_the_proximal_gradient_step_by_hand():
    # FISTA's first iteration has no momentum: θ₁ = S(θ₀ − ∇f(θ₀)/L, l1/L) with
    # S the soft threshold and L the secant estimate ‖Q g‖/‖g‖ (exact for a
    # quadratic along g), doubled until f(θ₁) is below the quadratic bound.
    Q = np.diag([4.0, 1.0, 0.25])
    b = np.array([1.0, -2.0, 0.1])
    theta0 = np.array([[0.5], [0.5], [0.5]])
    l1 = 0.3
    objective = _Quadratic(Q, b)
    f0, g = objective.value_and_gradient(theta0)
    L = np.linalg.norm(Q @ g[:, 0]) / np.linalg.norm(g)
    while True:
        step = theta0[:, 0] - g[:, 0] / L
        theta1 = np.sign(step) * np.maximum(np.abs(step) - l1 / L, 0.0)
        d = theta1 - theta0[:, 0]
        if objective.value(theta1[:, None]) <= f0 + g[:, 0] @ d + 0.5 * L * d @ d:
            break
        L *= 2.0
    result = solvers.fista(objective, theta0, l1=l1, max_iter=1, tol=0.0)
    assert_allclose(result.theta[:, 0], theta1, rtol=1e-12)


def test_fista_reaches_the_lasso_optimum_of_a_separable_quadratic():
    # With Q diagonal the minimiser of ½θᵀQθ − bᵀθ + l1‖θ‖₁ is S(b, l1)/diag(Q).
    Q = np.diag([4.0, 1.0, 0.25, 2.0])
    b = np.array([1.0, -2.0, 0.1, -0.2])
    l1 = 0.3
    result = solvers.fista(
        _Quadratic(Q, b), np.zeros((4, 1)), l1=l1, max_iter=500, tol=1e-12
    )
    expected = np.sign(b) * np.maximum(np.abs(b) - l1, 0) / np.diag(Q)
    assert result.converged
    assert_allclose(result.theta[:, 0], expected, atol=1e-10)


def test_soft_threshold_spares_the_intercept_row():
    theta = np.array([[1.5, -0.2], [-3.0, 0.5], [0.1, -9.0]])  # last row: intercepts
    out = soft_threshold(theta, 0.5, n_features=2)
    assert_allclose(out, [[1.0, 0.0], [-2.5, 0.0], [0.1, -9.0]])


# ---- least-squares building blocks -----------------------------------------------


def test_centered_normal_equations_match_the_explicit_products(rng):
    X, Y = rng.normal(size=(1000, 5)) + 100.0, rng.normal(size=(1000, 2))
    s = rng.uniform(0.1, 2.0, size=1000)
    x_mean, y_mean = s @ X / s.sum(), s @ Y / s.sum()
    A, B = (X - x_mean) * np.sqrt(s)[:, None], (Y - y_mean) * np.sqrt(s)[:, None]
    G, r = solvers.centered_normal_equations(X, Y, np.sqrt(s), x_mean, y_mean)
    assert_allclose(G, A.T @ A, rtol=1e-12)
    assert_allclose(r, A.T @ B, rtol=1e-12, atol=1e-12)


def test_cholesky_refuses_an_ill_conditioned_system():
    G = np.diag([1.0, 1e-12])
    coef, rcond = solvers.cholesky_least_squares(G, np.ones((2, 1)), alpha=0.0)
    assert coef is None and rcond < 1e-8
    coef, _ = solvers.cholesky_least_squares(G, np.ones((2, 1)), alpha=1.0)
    assert_allclose(coef[:, 0], [0.5, 1.0 / (1.0 + 1e-12)])


def test_svd_solution_is_the_ridge_formula(rng):
    A, B = rng.normal(size=(30, 4)), rng.normal(size=(30, 2))
    expected = np.linalg.solve(A.T @ A + 2.0 * np.eye(4), A.T @ B)
    assert_allclose(solvers.svd_least_squares(A.copy(), B, 2.0), expected, rtol=1e-12)


def test_mean_curvature_is_the_top_eigenvalue(rng):
    X = rng.normal(size=(200, 6)) * np.array([1, 2, 3, 1, 1, 5.0])
    s = rng.uniform(0.1, 2.0, size=200)
    A = np.hstack([X, np.ones((200, 1))])
    top = np.linalg.eigvalsh(A.T @ (s[:, None] * A) / s.sum())[-1]
    estimate = solvers.mean_curvature(X, s, fit_intercept=True, n_steps=200)
    assert estimate == pytest.approx(top, rel=1e-6)


@pytest.mark.parametrize("exponent", [500, -500])
def test_mean_curvature_of_huge_and_tiny_features_scales_exactly(rng, exponent):
    # λmax(c·A) = c²·λmax(A); for c a power of two every rounding scales with
    # it, so the estimate must too, exactly, and without overflow on the way.
    X = rng.normal(size=(40, 3))
    c = 2.0**exponent  # about 1e150 and 1e-150
    with np.errstate(all="raise"):
        scaled = solvers.mean_curvature(X * c, None, fit_intercept=False)
    assert scaled == solvers.mean_curvature(X, None, fit_intercept=False) * c * c


def test_mean_curvature_refuses_features_whose_curvature_overflows(rng):
    with pytest.raises(ValueError, match="Standardise the features"):
        solvers.mean_curvature(rng.normal(size=(10, 2)) * 1e200, None, True)
