"""Sparse input to the linear models: CSR and CSC give the dense results, for
every solver and both float dtypes, and X is never densified."""

import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse
from numpy.testing import assert_allclose

from skdeep import LeastSquaresRegressor, LogisticRegression, SoftmaxClassifier
from skdeep.linear_model import _sparse_least_squares as sparse_ls

CLASSIFIERS = [LogisticRegression, SoftmaxClassifier]
CLASSIFIER_SOLVERS = ["lbfgs", "newton", "gd", "sgd", "adam"]
REGRESSOR_SOLVERS = ["auto", "lstsq", "cholesky", "gd", "sgd", "adam"]
FORMATS = ["csr", "csc"]
DTYPES = [np.float64, np.float32]
# Relative agreement of sparse and dense fits: the same arithmetic in another
# order, so rounding apart (iterative solvers stop after the same iterations).
RTOL = {np.float64: 1e-9, np.float32: 1e-4}


def _sparse_data(rng, n=300, p=40, density=0.1):
    """A sparse design with normal entries, and its dense twin."""
    X = scipy.sparse.random_array(
        (n, p), density=density, format="csr", rng=rng, data_sampler=rng.normal
    )
    return X, X.toarray()


def _as(X, fmt, dtype):
    return X.asformat(fmt).astype(dtype)


def _assert_close(actual, desired, dtype):
    """Agreement relative to the largest entry (small entries are not relative)."""
    scale = float(np.max(np.abs(desired))) or 1.0
    assert_allclose(actual, desired, rtol=RTOL[dtype], atol=RTOL[dtype] * scale)


def _classifier_options(solver, dtype):
    if solver in ("sgd", "adam"):  # a fixed number of epochs, same shuffles
        return dict(solver=solver, max_iter=15, random_state=0)
    tol = 1e-8 if dtype == np.float64 else 1e-4
    options = dict(solver=solver, tol=tol, max_iter=1000)
    if solver == "gd":
        options["l1_ratio"] = 0.5  # FISTA's proximal steps too
    return options


def _fit_quietly(estimator, X, y, **kwargs):
    """Fit; the minibatch solvers' ConvergenceWarning is expected after 15 epochs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X, y, **kwargs)


@pytest.mark.parametrize("Estimator", CLASSIFIERS)
@pytest.mark.parametrize("solver", CLASSIFIER_SOLVERS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_sparse_classifier_equals_dense(rng, Estimator, solver, dtype, fmt):
    """Same coefficients, probabilities and dtype with sample and class weights."""
    X, Xd = _sparse_data(rng)
    y = (Xd[:, :3] @ [1.0, 2.0, -1.0] > 0).astype(int) + (Xd[:, 3] > 0.5)
    sw = rng.uniform(0.5, 2.0, size=len(y))
    options = dict(_classifier_options(solver, dtype), class_weight="balanced")
    sparse = _fit_quietly(Estimator(**options), _as(X, fmt, dtype), y, sample_weight=sw)
    dense = _fit_quietly(Estimator(**options), Xd.astype(dtype), y, sample_weight=sw)
    assert sparse.coef_.dtype == dense.coef_.dtype == dtype
    _assert_close(sparse.coef_, dense.coef_, dtype)
    _assert_close(sparse.intercept_, dense.intercept_, dtype)
    proba = sparse.predict_proba(_as(X, fmt, dtype))
    _assert_close(proba, dense.predict_proba(Xd.astype(dtype)), dtype)
    assert np.array_equal(sparse.n_iter_, dense.n_iter_)


@pytest.mark.parametrize("Estimator", CLASSIFIERS)
@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
def test_sparse_binary_classifier_without_intercept_equals_dense(
    rng, Estimator, solver
):
    X, Xd = _sparse_data(rng)
    y = Xd[:, 0] - Xd[:, 1] > 0
    options = dict(solver=solver, tol=1e-10, fit_intercept=False)
    sparse = Estimator(**options).fit(X, y)
    dense = Estimator(**options).fit(Xd, y)
    _assert_close(sparse.coef_, dense.coef_, np.float64)
    assert_allclose(sparse.decision_function(X), dense.decision_function(Xd))


@pytest.mark.parametrize("Estimator", CLASSIFIERS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_sparse_partial_fit_equals_dense(rng, Estimator, solver):
    X, Xd = _sparse_data(rng)
    y = (Xd[:, 0] > 0).astype(int) + (Xd[:, 1] > 0)
    sparse = Estimator(solver=solver, random_state=0)
    dense = Estimator(solver=solver, random_state=0)
    for rows in (slice(0, 150), slice(150, 300)):
        sparse.partial_fit(X[rows].tocsc(), y[rows], classes=[0, 1, 2])
        dense.partial_fit(Xd[rows], y[rows], classes=[0, 1, 2])
    _assert_close(sparse.coef_, dense.coef_, np.float64)


@pytest.mark.parametrize("solver", REGRESSOR_SOLVERS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_sparse_least_squares_equals_dense(rng, solver, dtype, fmt, alpha):
    """An intercept and sample weights, two targets; X is never centered."""
    X, Xd = _sparse_data(rng, density=0.2)
    Y = Xd @ rng.normal(size=(40, 2)) + rng.normal(size=(300, 2)) + [3.0, -5.0]
    sw = rng.uniform(0.5, 2.0, size=len(Y))
    options = dict(solver=solver, alpha=alpha)
    if solver == "gd":
        options.update(tol=1e-10 if dtype == np.float64 else 1e-5, max_iter=10000)
    elif solver in ("sgd", "adam"):
        options.update(max_iter=15, random_state=0)
    sparse = _fit_quietly(
        LeastSquaresRegressor(**options), _as(X, fmt, dtype), Y, sample_weight=sw
    )
    dense = _fit_quietly(
        LeastSquaresRegressor(**options), Xd.astype(dtype), Y, sample_weight=sw
    )
    assert sparse.coef_.dtype == dtype and sparse.solver_ == dense.solver_
    _assert_close(sparse.coef_, dense.coef_, dtype)
    _assert_close(sparse.intercept_, dense.intercept_, dtype)
    _assert_close(sparse.predict(_as(X, fmt, dtype)), dense.predict(Xd), dtype)


@pytest.mark.parametrize("solver", ["auto", "lstsq", "cholesky"])
@pytest.mark.parametrize("alpha", [0.0, 1e-3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_least_squares_with_collinear_and_constant_columns_equals_dense(
    rng, solver, alpha, fit_intercept
):
    """Duplicated, constant (stored everywhere) and empty columns: the same
    minimum-norm solution, and the same fallback from Cholesky to 'lstsq'."""
    _, Xd = _sparse_data(rng, n=200, p=10, density=0.3)
    Xd = np.hstack([Xd, Xd[:, :2], np.full((200, 1), 0.1), np.zeros((200, 1))])
    y = Xd @ rng.normal(size=Xd.shape[1]) + rng.normal(size=200)
    options = dict(solver=solver, alpha=alpha, fit_intercept=fit_intercept)
    with warnings.catch_warnings(record=True) as caught_sparse:
        warnings.simplefilter("always")
        sparse = LeastSquaresRegressor(**options).fit(scipy.sparse.csc_array(Xd), y)
    with warnings.catch_warnings(record=True) as caught_dense:
        warnings.simplefilter("always")
        dense = LeastSquaresRegressor(**options).fit(Xd, y)
    assert sparse.solver_ == dense.solver_
    assert [w.category for w in caught_sparse] == [w.category for w in caught_dense]
    _assert_close(sparse.coef_, dense.coef_, np.float64)
    assert_allclose(sparse.intercept_, dense.intercept_, rtol=1e-9, atol=1e-12)


def test_sparse_auto_solver_is_cholesky_for_few_features_lsqr_for_many(rng):
    """Above GRAM_MAX_FEATURES 'auto' runs LSQR (no p × p matrix), same answer."""
    few, _ = _sparse_data(rng, n=100, p=20)
    y = rng.normal(size=100)
    assert LeastSquaresRegressor().fit(few, y).solver_ == "cholesky"
    p = sparse_ls.GRAM_MAX_FEATURES + 1
    many, many_dense = _sparse_data(rng, n=150, p=p, density=0.002)
    y = rng.normal(size=150)
    sparse = LeastSquaresRegressor(alpha=0.1).fit(many, y)
    dense = LeastSquaresRegressor(alpha=0.1, solver="lstsq").fit(many_dense, y)
    assert sparse.solver_ == "lstsq" and sparse.n_iter_ > 1
    _assert_close(sparse.coef_, dense.coef_, np.float64)
    assert_allclose(sparse.intercept_, dense.intercept_, rtol=1e-9)


def test_sparse_cholesky_refuses_a_normal_matrix_over_its_budget():
    p = int(np.sqrt(sparse_ls.GRAM_MAX_BYTES / 8)) + 1
    X = scipy.sparse.eye_array(10, p, format="csr")
    with pytest.raises(ValueError, match="solver='lstsq'"):
        LeastSquaresRegressor(solver="cholesky").fit(X, np.arange(10.0))


@pytest.mark.parametrize("scale", [1e-170, 1e150])
def test_sparse_lstsq_handles_features_near_the_float64_limits(rng, scale):
    """LSQR's norms square the entries; the power-of-two rescaling keeps them."""
    X, Xd = _sparse_data(rng, n=200, p=10, density=0.3)
    y = Xd @ rng.normal(size=10) + 0.1 * rng.normal(size=200)
    sparse = LeastSquaresRegressor(solver="lstsq").fit(X * scale, y)
    dense = LeastSquaresRegressor(solver="lstsq").fit(Xd * scale, y)
    _assert_close(sparse.coef_, dense.coef_, np.float64)


def test_sparse_least_squares_partial_fit_equals_dense(rng):
    X, Xd = _sparse_data(rng)
    y = Xd @ rng.normal(size=40)
    sparse = LeastSquaresRegressor(solver="sgd", random_state=0)
    dense = LeastSquaresRegressor(solver="sgd", random_state=0)
    for rows in (slice(0, 150), slice(150, 300)):
        sparse.partial_fit(X[rows], y[rows])
        dense.partial_fit(Xd[rows], y[rows])
    _assert_close(sparse.coef_, dense.coef_, np.float64)


@pytest.mark.parametrize(
    "Estimator", [LogisticRegression, SoftmaxClassifier, LeastSquaresRegressor]
)
def test_other_sparse_formats_are_accepted_and_tagged(rng, Estimator):
    X, Xd = _sparse_data(rng, n=60, p=5, density=0.5)
    y = (Xd[:, 0] > 0).astype(int)
    model = Estimator().fit(scipy.sparse.coo_array(X), y)
    assert_allclose(model.predict(scipy.sparse.lil_matrix(X)), model.predict(Xd))
    assert Estimator().__sklearn_tags__().input_tags.sparse


def _peak_bytes(fit) -> int:
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # few iterations: not converged
            fit()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# A tall X whose dense copy would take 320 MB: 40 000 rows, 1 000 features, 0.5 %
# stored (200 000 entries, 2.6 MB). Few iterations: memory, not accuracy.
TALL = dict(n=40_000, p=1_000, density=0.005)


@pytest.fixture(scope="module")
def tall():
    rng = np.random.default_rng(7)
    X = scipy.sparse.random_array(
        (TALL["n"], TALL["p"]), density=TALL["density"], format="csr", rng=rng,
        data_sampler=rng.normal,
    )  # fmt: skip
    scores = X @ rng.normal(size=(TALL["p"], 2))
    y = (scores[:, 0] > 0).astype(int) + (scores[:, 1] > 0.5)
    return X, y


@pytest.mark.parametrize(
    "Estimator, solver",
    [(SoftmaxClassifier, s) for s in CLASSIFIER_SOLVERS if s != "newton"]
    + [(LogisticRegression, "lbfgs"), (LeastSquaresRegressor, "auto"),
       (LeastSquaresRegressor, "lstsq"), (LeastSquaresRegressor, "gd"),
       (LeastSquaresRegressor, "sgd")],
)  # fmt: skip
def test_fitting_sparse_x_never_densifies_it(tall, Estimator, solver):
    """Peak traced memory stays far below one dense copy of X (320 MB)."""
    X, y = tall
    model = Estimator(solver=solver, max_iter=3)
    peak = _peak_bytes(lambda: model.fit(X, y))
    dense_bytes = TALL["n"] * TALL["p"] * 8
    assert peak < dense_bytes / 8, f"{peak / 2**20:.0f} MiB"


def test_newton_on_sparse_x_never_densifies_it(tall):
    """Newton's Hessian XᵀDX is a sparse product: memory of order p², not n·p."""
    X, y = tall
    X = X[:, :300]
    model = LogisticRegression(solver="newton", max_iter=2)
    peak = _peak_bytes(lambda: model.fit(X, y > 0))
    assert peak < TALL["n"] * 300 * 8 / 8, f"{peak / 2**20:.0f} MiB"


def test_sparse_fit_runs_blas_on_one_thread_when_its_dense_vectors_are_small(
    rng, monkeypatch
):
    """BLAS only sees vectors of length n and p with sparse X: n·p (4e7 here,
    over the threshold) must not decide, (n + p)·K (4e4) does."""
    import threadpoolctl

    from skdeep.linear_model._objectives import GLMObjective

    X = scipy.sparse.random_array((4000, 10_000), density=0.001, rng=rng).tocsr()
    y = rng.integers(0, 4, size=4000)
    seen = []
    original = GLMObjective.value_and_gradient

    def recording(self, theta):
        blas = threadpoolctl.threadpool_info()
        seen.append(max(i["num_threads"] for i in blas if i["user_api"] == "blas"))
        return original(self, theta)

    monkeypatch.setattr(GLMObjective, "value_and_gradient", recording)
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        _fit_quietly(SoftmaxClassifier(max_iter=2), X, y)
    assert seen and set(seen) == {1}
