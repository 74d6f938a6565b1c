"""The linear classifiers: the optimum is scikit-learn's, degenerate data stays
finite, and weights, warm starts, streaming and dtypes behave."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    make_blobs,
    make_classification,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from skdeep import LogisticRegression, SoftmaxClassifier, nn
from skdeep.linear_model import _base, _solvers

FULL_BATCH = ["lbfgs", "newton", "gd"]
ALL_SOLVERS = [*FULL_BATCH, "sgd", "adam"]
TIGHT = dict(tol=1e-9, max_iter=20000)


def _standardized(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def cancer():
    return _standardized(load_breast_cancer)


@pytest.fixture(scope="module")
def digits():
    return _standardized(load_digits)


def assert_coef_close(actual, desired, rtol=1e-4):
    """Relative agreement; entries near 0 are measured against the largest one."""
    desired = np.asarray(desired)
    assert_allclose(actual, desired, rtol=rtol, atol=rtol * np.abs(desired).max())


# ---- the optimum is scikit-learn's ------------------------------------------------


@pytest.mark.parametrize("solver", FULL_BATCH)
@pytest.mark.parametrize("C", [1.0, 0.05])
def test_logistic_regression_lands_on_sklearns_coefficients(cancer, solver, C):
    X, y = cancer
    ref = SkLogisticRegression(C=C, tol=1e-10, max_iter=10000).fit(X, y)
    ours = LogisticRegression(C=C, solver=solver, **TIGHT).fit(X, y)
    assert_coef_close(ours.coef_, ref.coef_)
    assert_coef_close(ours.intercept_, ref.intercept_)


@pytest.mark.parametrize("solver", FULL_BATCH)
def test_softmax_lands_on_sklearns_multinomial_coefficients(digits, solver):
    X, y = digits
    ref = SkLogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(X, y)
    ours = SoftmaxClassifier(C=1.0, solver=solver, **TIGHT).fit(X, y)
    assert_coef_close(ours.coef_, ref.coef_)
    assert_coef_close(ours.intercept_, ref.intercept_)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)


def test_one_vs_rest_logistic_regression_is_sklearns_one_vs_rest():
    # One-vs-rest (LogisticRegression's multiclass model before it became
    # multinomial, as scikit-learn's) stays available through the wrapper.
    X, y = _standardized(load_iris)
    ref = OneVsRestClassifier(SkLogisticRegression(C=2.0, tol=1e-10, max_iter=10000))
    ref.fit(X, y)
    ours = OneVsRestClassifier(LogisticRegression(C=2.0, solver="newton", **TIGHT))
    ours.fit(X, y)
    assert_coef_close(
        np.vstack([e.coef_ for e in ours.estimators_]),
        np.vstack([e.coef_ for e in ref.estimators_]),
    )
    assert_coef_close(
        [e.intercept_[0] for e in ours.estimators_],
        [e.intercept_[0] for e in ref.estimators_],
    )
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("solver", FULL_BATCH)
def test_multiclass_logistic_regression_is_sklearns_multinomial(solver):
    X, y = _standardized(load_iris)
    ref = SkLogisticRegression(C=2.0, tol=1e-10, max_iter=10000).fit(X, y)
    ours = LogisticRegression(C=2.0, solver=solver, **TIGHT).fit(X, y)
    assert ours.coef_.shape == (3, X.shape[1]) and ours.n_iter_.shape == (1,)
    assert_coef_close(ours.coef_, ref.coef_)
    assert_coef_close(ours.intercept_, ref.intercept_)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-4)


def test_sample_weight_and_class_weight_give_sklearns_weighted_optimum(cancer, rng):
    X, y = cancer
    sw = rng.uniform(0.2, 3.0, size=len(y))
    kwargs = dict(C=0.5, class_weight={0: 2.0, 1: 0.5})
    ref = SkLogisticRegression(tol=1e-10, max_iter=10000, **kwargs).fit(X, y, sw)
    for solver in FULL_BATCH:
        ours = LogisticRegression(solver=solver, **kwargs, **TIGHT).fit(X, y, sw)
        assert_coef_close(ours.coef_, ref.coef_)
        assert_coef_close(ours.intercept_, ref.intercept_)


def test_l1_solution_satisfies_the_optimality_conditions(cancer):
    # For f smooth plus λ₁‖w‖₁ the optimum has ∇ⱼf = −λ₁·sign(wⱼ) where wⱼ ≠ 0 and
    # |∇ⱼf| ≤ λ₁ where wⱼ = 0; f is the objective divided by C·n (see Notes).
    X, y = cancer
    C, rho = 0.5, 0.7
    clf = LogisticRegression(C=C, l1_ratio=rho, solver="gd", **TIGHT).fit(X, y)
    n = len(y)
    w, b = clf.coef_[0], clf.intercept_[0]
    p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    grad = X.T @ (p - y) / n + (1 - rho) / (C * n) * w
    l1 = rho / (C * n)
    nonzero = w != 0
    assert 0 < nonzero.sum() < len(w)  # the l1 part really made zeros
    assert_allclose(grad[nonzero], -l1 * np.sign(w[nonzero]), atol=1e-7)
    assert np.all(np.abs(grad[~nonzero]) <= l1 + 1e-7)
    assert abs(np.mean(p - y)) < 1e-7  # the intercept is free


def test_l1_solution_matches_sklearns_saga(cancer):
    X, y = cancer
    ref = SkLogisticRegression(
        C=0.5, l1_ratio=1.0, solver="saga", tol=1e-12, max_iter=100000
    ).fit(X, y)
    ours = LogisticRegression(C=0.5, l1_ratio=1.0, solver="gd", **TIGHT).fit(X, y)
    assert_coef_close(ours.coef_, ref.coef_, rtol=1e-3)
    assert_array_equal(ours.coef_ == 0, ref.coef_ == 0)


@pytest.mark.parametrize("Estimator", [LogisticRegression, SoftmaxClassifier])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_minibatch_solvers_approach_the_batch_optimum(cancer, Estimator, solver):
    X, y = cancer
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    batch = Estimator(**TIGHT).fit(X_train, y_train)
    clf = Estimator(solver=solver, tol=1e-6, max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= batch.score(X_test, y_test) - 0.02
    # Close to the batch optimum in probability, not only in accuracy.
    diff = np.abs(clf.predict_proba(X_test) - batch.predict_proba(X_test))
    assert np.median(diff) < 0.02


# ---- degenerate data: converge or warn, never NaN ------------------------------


def _separable(rng, n=40):
    X = rng.normal(size=(n, 2))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


def _fit_allowing_convergence_warning(clf, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # anything but a ConvergenceWarning fails
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)


@pytest.mark.parametrize("Estimator", [LogisticRegression, SoftmaxClassifier])
@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_separable_data_with_huge_C_converges_or_warns_finite(rng, Estimator, solver):
    # The optimum lies far out (the penalty is all that bounds it): a solver may
    # reach tol there or stop at max_iter with a ConvergenceWarning; either way
    # the coefficients must be finite and separate the classes.
    X, y = _separable(rng)
    clf = _fit_allowing_convergence_warning(
        Estimator(C=1e10, solver=solver, random_state=0), X, y
    )
    assert np.all(np.isfinite(clf.coef_)) and np.all(np.isfinite(clf.intercept_))
    assert np.all(np.isfinite(clf.predict_log_proba(X)))
    # Full-batch solvers separate the classes; 100 epochs of constant-step
    # minibatch descent only approach the separating direction.
    assert clf.score(X, y) >= (1.0 if solver in FULL_BATCH else 0.95)


@pytest.mark.parametrize("Estimator", [LogisticRegression, SoftmaxClassifier])
@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_collinear_and_constant_features_stay_finite(rng, Estimator, solver):
    X, y = make_blobs(n_samples=60, centers=3, random_state=0)
    reference = SkLogisticRegression().fit(X, y).score(X, y)
    X = np.hstack([X, 2 * X[:, :1], np.full((60, 1), 5.0)])  # copy ×2, constant
    clf = _fit_allowing_convergence_warning(
        Estimator(solver=solver, max_iter=500, random_state=0), X, y
    )
    assert np.all(np.isfinite(clf.coef_))
    # The redundant columns add nothing: as accurate as without them.
    assert clf.score(X, y) >= reference - 0.05


@pytest.mark.parametrize("Estimator", [LogisticRegression, SoftmaxClassifier])
@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_one_sample_per_class_stays_finite(Estimator, solver):
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    y = np.array(["a", "b", "c"])
    clf = _fit_allowing_convergence_warning(
        Estimator(C=1e10, solver=solver, random_state=0), X, y
    )
    assert np.all(np.isfinite(clf.coef_)) and np.all(np.isfinite(clf.intercept_))
    assert_array_equal(clf.predict(X), y)


# ---- weights ----------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", [LogisticRegression, SoftmaxClassifier])
@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
def test_integer_sample_weight_equals_repeated_rows(rng, Estimator, solver):
    X, y = make_blobs(n_samples=50, centers=3, cluster_std=3.0, random_state=1)
    sw = rng.integers(0, 4, size=len(y))
    weighted = Estimator(solver=solver, tol=1e-10, max_iter=1000).fit(X, y, sw)
    repeated = Estimator(solver=solver, tol=1e-10, max_iter=1000)
    repeated.fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-6, atol=1e-8)
    assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-6, atol=1e-8)


def test_class_weight_equals_the_matching_sample_weight(cancer):
    X, y = cancer
    by_class = LogisticRegression(class_weight={0: 3.0, 1: 1.0}, **TIGHT).fit(X, y)
    by_row = LogisticRegression(**TIGHT).fit(X, y, np.where(y == 0, 3.0, 1.0))
    assert_allclose(by_class.coef_, by_row.coef_, rtol=1e-6)


def test_balanced_class_weight_raises_recall_of_the_rare_class(rng):
    X, y = make_blobs(n_samples=[450, 50], centers=[[0, 0], [1.5, 1.5]], random_state=0)
    plain = LogisticRegression().fit(X, y)
    balanced = LogisticRegression(class_weight="balanced").fit(X, y)
    recall = [np.mean(m.predict(X[y == 1]) == 1) for m in (plain, balanced)]
    assert recall[1] > recall[0] + 0.1


# ---- warm starts and streaming ------------------------------------------------------


@pytest.mark.parametrize("Estimator", [LogisticRegression, SoftmaxClassifier])
@pytest.mark.parametrize("solver", FULL_BATCH)
def test_warm_start_continues_from_the_previous_solution(cancer, Estimator, solver):
    X, y = cancer
    target = Estimator(solver=solver, tol=1e-6, max_iter=20000).fit(X, y)
    clf = Estimator(solver=solver, tol=1e-6, max_iter=3, warm_start=True)
    errors = []
    for _ in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        errors.append(np.abs(clf.coef_ - target.coef_).max())
    assert errors[2] < errors[0]
    # From the optimum, a warm fit has next to nothing left to do.
    done = Estimator(solver=solver, tol=1e-6, max_iter=20000, warm_start=True)
    done.fit(X, y)
    first = done.n_iter_.copy()
    done.fit(X, y)
    assert np.all(done.n_iter_ <= np.maximum(1, first // 10))


@pytest.mark.parametrize("Estimator", [LogisticRegression, SoftmaxClassifier])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_streaming_reaches_batch_quality(digits, Estimator, solver):
    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    batch = Estimator(max_iter=1000).fit(X_train, y_train)
    clf = Estimator(solver=solver, random_state=0)
    chunks = np.array_split(np.arange(len(y_train)), 10)
    for _epoch in range(20):
        for rows in chunks:
            clf.partial_fit(X_train[rows], y_train[rows], classes=np.unique(y))
    assert clf.n_iter_[0] == 20 * len(chunks)
    assert clf.score(X_test, y_test) >= batch.score(X_test, y_test) - 0.03


def test_partial_fit_accepts_chunks_missing_some_classes(digits):
    X, y = digits
    clf = SoftmaxClassifier(solver="sgd", class_weight="balanced", random_state=0)
    for label in range(10):  # each chunk holds a single class
        clf.partial_fit(X[y == label], y[y == label], classes=np.arange(10))
    assert_array_equal(clf.classes_, np.arange(10))
    assert np.all(np.isfinite(clf.coef_))


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_same_random_state_same_model(cancer, solver):
    X, y = cancer
    fits = [
        _fit_allowing_convergence_warning(
            LogisticRegression(solver=solver, random_state=seed, max_iter=5), X, y
        )
        for seed in (3, 3, 4)
    ]
    assert_array_equal(fits[0].coef_, fits[1].coef_)
    assert not np.array_equal(fits[0].coef_, fits[2].coef_)


# ---- dtypes and predictions ----------------------------------------------------------


@pytest.mark.parametrize("Estimator", [LogisticRegression, SoftmaxClassifier])
@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_float32_is_fitted_in_float32(digits, Estimator, solver):
    X, y = digits
    X32 = X.astype(np.float32)
    clf = _fit_allowing_convergence_warning(
        Estimator(solver=solver, random_state=0, max_iter=200), X32, y
    )
    assert clf.coef_.dtype == np.float32 and clf.intercept_.dtype == np.float32
    assert clf.predict_proba(X32).dtype == np.float32
    ref = _fit_allowing_convergence_warning(
        Estimator(solver=solver, random_state=0, max_iter=200), X, y
    )
    assert np.mean(clf.predict(X) == ref.predict(X)) > 0.98


@pytest.mark.parametrize("Estimator", [LogisticRegression, SoftmaxClassifier])
def test_probabilities_are_consistent_with_scores(digits, Estimator):
    X, y = digits
    clf = Estimator().fit(X, y)
    proba = clf.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_allclose(np.log(proba), clf.predict_log_proba(X), atol=1e-10)
    assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))


def test_binary_softmax_decision_is_the_log_odds(cancer):
    X, y = cancer
    clf = SoftmaxClassifier().fit(X, y)
    assert clf.coef_.shape == (2, X.shape[1])
    d = clf.decision_function(X)
    assert d.shape == (len(y),)
    assert_allclose(clf.predict_proba(X)[:, 1], 1.0 / (1.0 + np.exp(-d)))
    # Binary softmax with penalty ½‖W‖² is logistic regression on w₁ − w₀ with
    # penalty ¼‖w₁ − w₀‖² (the optimum has w₀ = −w₁), i.e. with C doubled.
    logistic = LogisticRegression(C=2.0, **TIGHT).fit(X, y)
    tight = SoftmaxClassifier(**TIGHT).fit(X, y)
    assert_coef_close(tight.coef_[1] - tight.coef_[0], logistic.coef_[0])


def test_log_proba_is_finite_for_extreme_scores():
    X = np.array([[-1.0], [1.0]])
    clf = _fit_allowing_convergence_warning(
        LogisticRegression(C=1e10, max_iter=10), X, [0, 1]
    )
    far = np.array([[-1e6], [1e6]])
    assert np.all(np.isfinite(clf.predict_log_proba(far)))
    soft = _fit_allowing_convergence_warning(
        SoftmaxClassifier(C=1e10, max_iter=10), X, [0, 1]
    )
    assert np.all(np.isfinite(soft.predict_log_proba(far)))


def test_small_problems_run_on_one_blas_thread():
    from threadpoolctl import threadpool_info

    with _base._blas_threads(1000):
        inside = {
            i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"
        }
    assert inside == {1}


# ---- errors ----------------------------------------------------------------------


def test_l1_with_a_smooth_solver_names_the_solvers_that_support_it():
    X, y = make_blobs(n_samples=20, centers=2, random_state=0)
    for solver in ("lbfgs", "newton"):
        with pytest.raises(ValueError, match=r"solver='gd'.*'sgd' or 'adam'"):
            LogisticRegression(l1_ratio=0.5, solver=solver).fit(X, y)


def test_unknown_solver_lists_the_valid_ones():
    with pytest.raises(
        ValueError, match=r"'solver' parameter.*among.*'newton'.*Got 'bfgs'"
    ):
        SoftmaxClassifier(solver="bfgs").fit([[0.0], [1.0]], [0, 1])


def test_one_class_is_refused():
    with pytest.raises(ValueError, match=r"at least 2 classes.*only one class"):
        LogisticRegression().fit([[0.0], [1.0]], [1, 1])


def test_nan_input_is_refused():
    with pytest.raises(ValueError, match="NaN"):
        SoftmaxClassifier().fit([[np.nan], [1.0]], [0, 1])


def test_newton_refuses_a_hessian_over_the_memory_budget(monkeypatch, digits):
    X, y = digits
    monkeypatch.setattr(_solvers, "NEWTON_MAX_HESSIAN_BYTES", 2**20)
    with pytest.raises(ValueError, match=r"Hessian.*Use solver='lbfgs'"):
        SoftmaxClassifier(solver="newton").fit(X, y)


def test_partial_fit_needs_classes_first_and_known_labels():
    clf = LogisticRegression(solver="sgd")
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit([[0.0], [1.0]], [0, 1])
    clf.partial_fit([[0.0], [1.0]], [0, 1], classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"labels \[7\] that are not in classes"):
        clf.partial_fit([[0.0]], [7])


def test_partial_fit_exists_only_for_minibatch_solvers():
    assert not hasattr(LogisticRegression(solver="lbfgs"), "partial_fit")
    assert hasattr(SoftmaxClassifier(solver="adam"), "partial_fit")


def test_divergence_is_reported_and_leaves_the_estimator_unfitted(monkeypatch):
    # The classifiers choose their step from the data; force a silly one.
    import skdeep.nn.optimizers as optimizers

    monkeypatch.setattr(optimizers.SGD, "current_learning_rate", lambda self: 1e300)
    X, y = make_blobs(n_samples=40, centers=2, random_state=0)
    clf = LogisticRegression(solver="sgd", random_state=0)
    with pytest.raises(FloatingPointError, match=r"diverged.*Standardise the features"):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)


@pytest.mark.parametrize("Classifier", [LogisticRegression, SoftmaxClassifier])
def test_balanced_weights_with_a_class_of_zero_weight_are_refused_cleanly(Classifier):
    X, y = make_blobs(n_samples=30, centers=3, random_state=0)
    weights = (y == 0).astype(float)  # classes 1 and 2 weigh nothing
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no division by zero
        with pytest.raises(ValueError, match="at least 2 classes with a positive"):
            Classifier(class_weight="balanced").fit(X, y, sample_weight=weights)


@pytest.mark.parametrize("Classifier", [LogisticRegression, SoftmaxClassifier])
def test_proximal_gradient_on_float32_features_near_1e17_stays_finite(Classifier):
    # The backtracking Lipschitz constant passes the float32 maximum here.
    X = np.array([[1e17, 0.0], [1e17, 0.0], [0.0, 0.0]], dtype=np.float32)
    y = np.array([0, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = Classifier(solver="gd", l1_ratio=0.5, max_iter=30).fit(X, y)
        proba = clf.predict_proba(X)
    assert clf.coef_.dtype == np.float32 and np.isfinite(clf.coef_).all()
    assert np.isfinite(proba).all()


@pytest.mark.parametrize("Estimator", [LogisticRegression, SoftmaxClassifier])
def test_partial_fit_refuses_labels_outside_classes_on_the_first_call(Estimator):
    clf = Estimator(solver="sgd")
    with pytest.raises(ValueError, match=r"labels \[2\] that are not in classes"):
        clf.partial_fit([[0.0], [1.0], [2.0]], [0, 1, 2], classes=[0, 1])
    assert not hasattr(clf, "coef_")


def _separable_stream():
    X, y = make_classification(
        n_samples=1000, n_features=5, class_sep=2.0, random_state=0
    )
    return X[:800], y[:800], X[800:], y[800:]


@pytest.mark.parametrize("Estimator", [LogisticRegression, SoftmaxClassifier])
def test_a_partial_fit_batch_of_huge_features_is_refused_keeping_the_model(Estimator):
    # The step size comes from the first batch's scale: one step on rows near
    # 1e200 left finite coefficients near 1e197 and held-out accuracy at chance.
    X, y, X_test, y_test = _separable_stream()
    clf = Estimator(solver="sgd", random_state=0)
    clf.partial_fit(X[:400], y[:400], classes=[0, 1])
    coef, accuracy = clf.coef_.copy(), clf.score(X_test, y_test)
    assert accuracy > 0.95
    with pytest.raises(nn.TrainingDivergedError, match="left as it was"):
        clf.partial_fit(X[400:600] * 1e200, y[400:600])
    assert_array_equal(clf.coef_, coef)
    assert clf.score(X_test, y_test) == accuracy


@pytest.mark.parametrize("Estimator", [LogisticRegression, SoftmaxClassifier])
def test_a_partial_fit_batch_with_shuffled_labels_trains_normally(Estimator):
    X, y, _, _ = _separable_stream()
    clf = Estimator(solver="sgd", random_state=0)
    for start in range(0, 600, 50):
        clf.partial_fit(X[start : start + 50], y[start : start + 50], classes=[0, 1])
    coef = clf.coef_.copy()
    noisy = np.random.default_rng(0).permutation(y[600:800])
    clf.partial_fit(X[600:800], noisy)
    assert not np.array_equal(clf.coef_, coef)


def test_non_finite_coefficients_from_a_full_batch_solver_fail_the_fit(monkeypatch):
    # The guard behind every full-batch solver: whatever a solver hands back,
    # non-finite coefficients are refused and the previous model is kept.
    X, y = load_iris(return_X_y=True)
    clf = LogisticRegression().fit(X, y)
    coef = clf.coef_.copy()

    def non_finite(solver, objective, theta0, **options):
        return _solvers.SolverResult(np.full_like(theta0, np.nan), 1, True, np.nan)

    monkeypatch.setattr(_solvers, "solve", non_finite)
    with pytest.raises(FloatingPointError, match="non-finite coefficients"):
        clf.fit(X, y)
    assert_array_equal(clf.coef_, coef)
