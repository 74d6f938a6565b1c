"""LeastSquaresRegressor: the closed forms are exact, the iterative solvers reach
them, and weights, multi-output, dtypes and ill-conditioning behave."""

import warnings

import numpy as np
import pytest
import scipy.sparse
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import Ridge
from sklearn.utils.validation import check_is_fitted

from skdeep import LeastSquaresRegressor, nn

CLOSED = ["auto", "lstsq", "cholesky"]


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X * 10.0, y  # features of order one


def _numpy_lstsq(X, Y, sample_weight=None):
    """Coefficients and intercept from numpy.linalg.lstsq on [X, 1], rows × √s."""
    A = np.hstack([X, np.ones((len(X), 1))])
    B = Y
    if sample_weight is not None:
        root = np.sqrt(sample_weight)[:, None]
        A, B = A * root, B * root.reshape((-1,) + (1,) * (B.ndim - 1))
    solution = np.linalg.lstsq(A, B, rcond=None)[0]
    return solution[:-1].T, solution[-1]


@pytest.mark.parametrize("solver", CLOSED)
def test_ordinary_least_squares_equals_numpy_lstsq(diabetes, solver):
    X, y = diabetes
    reg = LeastSquaresRegressor(solver=solver).fit(X, y)
    coef, intercept = _numpy_lstsq(X, y)
    assert_allclose(reg.coef_, coef, rtol=1e-8)
    assert_allclose(reg.intercept_, intercept, rtol=1e-8)
    assert reg.coef_.shape == (X.shape[1],) and isinstance(reg.intercept_, float)


@pytest.mark.parametrize("solver", CLOSED)
def test_weighted_least_squares_equals_numpy_lstsq(diabetes, solver, rng):
    X, y = diabetes
    sw = rng.uniform(0.1, 5.0, size=len(y))
    reg = LeastSquaresRegressor(solver=solver).fit(X, y, sample_weight=sw)
    coef, intercept = _numpy_lstsq(X, y, sw)
    assert_allclose(reg.coef_, coef, rtol=1e-8)
    assert_allclose(reg.intercept_, intercept, rtol=1e-8)


@pytest.mark.parametrize("solver", CLOSED)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_ridge_equals_sklearns_ridge(diabetes, solver, fit_intercept, weighted, rng):
    X, y = diabetes
    Y = np.column_stack([y, y**0.5, -y])  # multi-output
    sw = rng.uniform(0.1, 5.0, size=len(y)) if weighted else None
    kwargs = dict(alpha=3.0, fit_intercept=fit_intercept)
    ref = Ridge(solver="svd", **kwargs).fit(X, Y, sample_weight=sw)
    reg = LeastSquaresRegressor(solver=solver, **kwargs).fit(X, Y, sample_weight=sw)
    assert_allclose(reg.coef_, ref.coef_, rtol=1e-8)
    assert_allclose(reg.intercept_, ref.intercept_, rtol=1e-8, atol=1e-12)
    assert reg.coef_.shape == (3, X.shape[1]) and reg.intercept_.shape == (3,)


def test_gradient_descent_reaches_the_closed_form(diabetes):
    X, y = diabetes
    exact = LeastSquaresRegressor(alpha=0.5).fit(X, y)
    gd = LeastSquaresRegressor(alpha=0.5, solver="gd", tol=1e-8, max_iter=100000)
    gd.fit(X, y)
    assert_allclose(gd.coef_, exact.coef_, rtol=1e-6)
    assert_allclose(gd.intercept_, exact.intercept_, rtol=1e-6)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_minibatch_solvers_approach_the_closed_form(diabetes, solver):
    X, y = diabetes
    exact = LeastSquaresRegressor().fit(X, y)
    reg = LeastSquaresRegressor(
        solver=solver,
        learning_rate_init=0.5 if solver == "adam" else "auto",
        max_iter=2000,
        tol=1e-3,
        random_state=0,
    ).fit(X, y)
    assert reg.score(X, y) > exact.score(X, y) - 0.01


def test_partial_fit_streaming_reaches_the_closed_form(diabetes):
    X, y = diabetes
    exact = LeastSquaresRegressor().fit(X, y)
    reg = LeastSquaresRegressor(solver="sgd", random_state=0)
    chunks = np.array_split(np.arange(len(y)), 8)
    for _ in range(300):
        for rows in chunks:
            reg.partial_fit(X[rows], y[rows])
    assert reg.n_iter_ == 300 * len(chunks)
    assert reg.score(X, y) > exact.score(X, y) - 0.01


def test_warm_start_continues_gradient_descent(diabetes):
    X, y = diabetes
    exact = LeastSquaresRegressor().fit(X, y)
    reg = LeastSquaresRegressor(solver="gd", max_iter=5, warm_start=True)
    errors = []
    for _ in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reg.fit(X, y)
        errors.append(np.abs(reg.coef_ - exact.coef_).max())
    assert errors[2] < errors[0]


def test_integer_sample_weight_equals_repeated_rows(diabetes, rng):
    X, y = diabetes
    sw = rng.integers(0, 4, size=len(y))
    for solver in (*CLOSED, "gd"):
        kw = dict(solver=solver, alpha=1.0, tol=1e-8, max_iter=100000)
        weighted = LeastSquaresRegressor(**kw).fit(X, y, sw)
        repeated = LeastSquaresRegressor(**kw).fit(
            np.repeat(X, sw, axis=0), np.repeat(y, sw)
        )
        assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-7)


def test_auto_picks_cholesky_when_well_conditioned(diabetes):
    X, y = diabetes
    assert LeastSquaresRegressor().fit(X, y).solver_ == "cholesky"


def test_collinear_and_constant_features_fall_back_to_the_min_norm_solution(rng):
    X = rng.normal(size=(50, 3))
    X = np.hstack([X, X[:, :1] * 3.0, np.full((50, 1), 7.0)])
    y = X[:, 0] - 2 * X[:, 1] + 0.5
    auto = LeastSquaresRegressor().fit(X, y)
    assert auto.solver_ == "lstsq"
    with pytest.warns(UserWarning, match="ill-conditioned.*falling back"):
        chol = LeastSquaresRegressor(solver="cholesky").fit(X, y)
    assert chol.solver_ == "lstsq"
    coef, _ = _numpy_lstsq(X - X.mean(axis=0), y)  # minimum norm, centered
    for reg in (auto, chol):
        assert_allclose(reg.coef_, coef, rtol=1e-8, atol=1e-12)
        assert_allclose(reg.predict(X), y, atol=1e-10)


def test_float32_is_fitted_in_float32(diabetes):
    X, y = diabetes
    for solver in ("auto", "lstsq", "cholesky", "gd", "sgd", "adam"):
        reg = LeastSquaresRegressor(solver=solver, random_state=0, max_iter=50)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reg.fit(X.astype(np.float32), y)
        assert reg.coef_.dtype == np.float32, solver
        assert reg.predict(X.astype(np.float32)).dtype == np.float32


def test_float32_closed_form_is_accurate_to_float32(diabetes):
    X, y = diabetes
    exact = LeastSquaresRegressor().fit(X, y)
    single = LeastSquaresRegressor().fit(X.astype(np.float32), y.astype(np.float32))
    assert_allclose(single.coef_, exact.coef_, rtol=1e-3)


def test_same_random_state_same_model(diabetes):
    X, y = diabetes
    fits = []
    for seed in (1, 1, 2):
        with pytest.warns(ConvergenceWarning, match="still improving"):
            reg = LeastSquaresRegressor(solver="sgd", random_state=seed, max_iter=3)
            fits.append(reg.fit(X, y))
    assert_array_equal(fits[0].coef_, fits[1].coef_)
    assert not np.array_equal(fits[0].coef_, fits[2].coef_)


def test_fit_intercept_false_fits_through_the_origin(rng):
    X = rng.normal(size=(30, 2))
    y = X @ np.array([1.5, -2.0]) + 4.0
    for solver in ("auto", "lstsq", "gd", "sgd", "adam"):
        reg = LeastSquaresRegressor(fit_intercept=False, solver=solver, max_iter=20)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reg.fit(X, y)
        assert reg.intercept_ == 0.0, solver


def test_divergence_names_the_learning_rate_and_leaves_the_model_unfitted(diabetes):
    X, y = diabetes
    reg = LeastSquaresRegressor(solver="sgd", learning_rate_init=1e6, random_state=0)
    with pytest.raises(nn.TrainingDivergedError, match="Lower learning_rate_init"):
        reg.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(reg)


def test_partial_fit_refuses_a_different_number_of_targets(diabetes):
    X, y = diabetes
    reg = LeastSquaresRegressor(solver="adam").partial_fit(X, y)
    with pytest.raises(ValueError, match="2 target"):
        reg.partial_fit(X, np.column_stack([y, y]))


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match=r"infinity|NaN"):
        LeastSquaresRegressor().fit([[np.inf], [1.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match=r"Negative values.*sample_weight"):
        LeastSquaresRegressor().fit([[0.0], [1.0]], [0.0, 1.0], sample_weight=[1, -1])
    with pytest.raises(ValueError, match=r"'solver' parameter.*among.*'lstsq'"):
        LeastSquaresRegressor(solver="svd").fit([[0.0], [1.0]], [0.0, 1.0])


def test_polynomial_example_runs_and_shows_overfitting():
    import os
    import pathlib
    import subprocess
    import sys

    script = pathlib.Path(__file__).parents[2] / "examples"
    script = script / "plot_polynomial_least_squares.py"
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    test_mse = {
        int(line.split()[0]): float(line.split()[2])
        for line in result.stdout.splitlines()
        if line.split() and line.split()[0].isdigit()
    }
    assert min(test_mse, key=test_mse.get) in (3, 5)  # neither end of the range
    assert test_mse[15] > 10 * test_mse[3] and test_mse[1] > 2 * test_mse[3]


@pytest.mark.parametrize(
    ("x_exponent", "y_exponent"), [(500, 500), (-500, -500), (500, 0)]
)
def test_gradient_descent_solves_problems_at_1e150_and_1e_minus_150(
    rng, x_exponent, y_exponent
):
    # Scaling X by cx and y by cy scales the least-squares coefficients by
    # cy/cx, the intercept by cy; the squares of such data leave float64.
    X = rng.normal(size=(50, 3))
    y = X @ np.array([1.0, 2.0, 3.0]) + 0.5 + 0.1 * rng.normal(size=50)
    expected = np.linalg.lstsq(np.c_[X, np.ones(50)], y, rcond=None)[0]
    cx, cy = 2.0**x_exponent, 2.0**y_exponent
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        reg = LeastSquaresRegressor(solver="gd", alpha=0.0, tol=1e-10, max_iter=500)
        reg.fit(X * cx, y * cy)
    assert_allclose(reg.coef_ * (cx / cy), expected[:3], rtol=1e-8)
    assert_allclose(reg.intercept_ / cy, expected[3], rtol=1e-8)


@pytest.mark.parametrize("solver", ["auto", "lstsq", "cholesky", "gd"])
@pytest.mark.parametrize("value", [0.1, 3.0e-302, 7.7])
@pytest.mark.parametrize("weighted", [False, True])
def test_a_constant_column_gets_coefficient_zero_and_changes_nothing(
    rng, solver, value, weighted
):
    # With an intercept, a constant column is in the span of the intercept: the
    # minimum-norm (or ridge) solution gives it 0 and leaves the rest alone.
    X = rng.normal(size=(9, 2))
    y = X @ np.array([1.0, -1.0]) + rng.normal(size=9)
    w = rng.uniform(0.5, 2.0, size=9) if weighted else None
    with_constant = np.insert(X, 1, value, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # cholesky → lstsq fallback
        warnings.simplefilter("error", RuntimeWarning)
        params = dict(solver=solver, alpha=0.0, tol=1e-12, max_iter=1000)
        reg = LeastSquaresRegressor(**params).fit(with_constant, y, sample_weight=w)
        ref = LeastSquaresRegressor(**params).fit(X, y, sample_weight=w)
    assert reg.coef_[1] == 0.0
    assert_allclose(reg.coef_[[0, 2]], ref.coef_, rtol=1e-9)
    assert_allclose(reg.intercept_, ref.intercept_, rtol=1e-9)


def test_gradient_descent_with_a_ridge_penalty_on_features_near_1e_minus_180(rng):
    # α/a² for features a ≈ 1e-180 leaves float64: the penalty dominates and
    # the ridge solution (AᵀA + αI)⁻¹AᵀB ≈ AᵀB/α is ~1e-180, below what the
    # rescaled solver can represent (it returns 0). What the model predicts
    # cannot tell the two apart: both give the mean of y to the last bit.
    X = rng.normal(size=(30, 2)) * 2.0**-600
    y = rng.normal(size=30)
    A, b = X - X.mean(axis=0), y - y.mean()
    expected = np.linalg.solve(A.T @ A + np.eye(2), A.T @ b)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        reg = LeastSquaresRegressor(solver="gd", alpha=1.0).fit(X, y)
        predicted = reg.predict(X)
    assert np.isfinite(reg.coef_).all()
    assert_allclose(predicted, A @ expected + y.mean(), rtol=1e-15)


@pytest.mark.parametrize("solver", ["auto", "lstsq", "cholesky", "gd"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("exponent", [990, -990])
@pytest.mark.parametrize("alpha", [0.0, 2.0])
def test_weights_near_1e_plus_minus_300_give_the_ridge_solution(
    rng, solver, sparse, exponent, alpha
):
    # ½Σcsᵢrᵢ² + ½α‖w‖² has the minimiser of ½Σsᵢrᵢ² + ½(α/c)‖w‖². Weights
    # of 2^±990 once made √s·x overflow ("A has a NaN entry") or gradient
    # descent stop at once (its gradient below tol), silently at 0.
    # With α/c ≈ 1e298 against curvatures of 1, gradient descent's line search
    # cannot halve down to such a step: it warns (as before) and stays near 0.
    stalls = solver == "gd" and exponent < 0 and alpha > 0
    X = rng.normal(size=(40, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rng.normal(size=40)
    w = rng.uniform(0.5, 2.0, size=40)
    c = 2.0**exponent
    data = scipy.sparse.csr_array(X) if sparse else X
    params = dict(solver=solver, tol=1e-10, max_iter=5000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore" if stalls else "error", ConvergenceWarning)
        reg = LeastSquaresRegressor(alpha=alpha, **params)
        reg.fit(data, y, sample_weight=w * c)
    ref = Ridge(alpha=alpha / c, solver="svd").fit(X, y, sample_weight=w)
    if stalls:  # coef 0 for ~1e-297: the predictions cannot tell them apart
        assert_allclose(reg.predict(X), ref.predict(X), rtol=1e-14)
    else:
        assert_allclose(reg.coef_, ref.coef_, rtol=1e-7, atol=1e-300)
    assert_allclose(reg.intercept_, ref.intercept_, rtol=1e-9)


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_auto_on_wide_data_solves_in_memory_linear_in_the_data(rng, alpha):
    # 2 × 100,000: the normal equations would be a 75 GiB matrix (MemoryError
    # before); the thin SVD of the centered data needs a few copies of X.
    import tracemalloc

    X = rng.normal(size=(2, 100_000))
    y = np.array([1.0, 3.0])
    tracemalloc.start()
    try:
        reg = LeastSquaresRegressor(alpha=alpha).fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * X.nbytes
    assert reg.solver_ == "lstsq"
    ref = LeastSquaresRegressor(alpha=alpha, solver="lstsq").fit(X, y)
    assert_array_equal(reg.coef_, ref.coef_)
    if alpha == 0.0:  # interpolates, with the minimum-norm coefficients
        assert_allclose(reg.predict(X), y, rtol=1e-12)
        centered = X - X.mean(axis=0)
        expected = np.linalg.lstsq(centered, y - y.mean(), rcond=None)[0]
        assert_allclose(reg.coef_, expected, rtol=1e-10, atol=1e-16)
    else:
        ridge = Ridge(alpha=alpha).fit(X, y)
        assert_allclose(reg.coef_, ridge.coef_, rtol=1e-8, atol=1e-16)


@pytest.mark.parametrize("solver", ["auto", "lstsq", "cholesky", "gd"])
@pytest.mark.parametrize("sparse", [False, True])
def test_coefficients_beyond_float64_are_refused_and_the_model_kept(
    rng, solver, sparse
):
    # y ≈ X·(1, 2, 3) with X ~ 1e-308 needs coefficients ~1e308 and more: once
    # stored as inf/NaN with only RuntimeWarnings.
    X = rng.normal(size=(30, 3))
    y = X @ np.array([1.0, 2.0, 3.0]) + 1.0
    reg = LeastSquaresRegressor(solver=solver, tol=1e-8).fit(X, y)
    coef, intercept = reg.coef_.copy(), reg.intercept_
    tiny = X * 1e-308
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="coefficients overflow float64"):
            reg.fit(scipy.sparse.csr_array(tiny) if sparse else tiny, y)
    assert_array_equal(reg.coef_, coef)
    assert reg.intercept_ == intercept
    # 1e-300 still fits: coefficients of 1e300 are representable.
    small = LeastSquaresRegressor(solver=solver, tol=1e-12, max_iter=5000)
    small.fit(X * 1e-300, y)
    assert_allclose(small.coef_ * 1e-300, [1.0, 2.0, 3.0], rtol=1e-6)
