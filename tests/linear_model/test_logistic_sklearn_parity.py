"""LogisticRegression as a drop-in for scikit-learn's: the same signature, the
same model (multinomial for K > 2) on the same data, the same accepted values,
warnings and refusals, the same fitted attributes; densify/sparsify; files
saved when it was one-vs-rest still predict as one-vs-rest."""

import inspect
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import linear_model
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import skdeep
from skdeep import LogisticRegression, SoftmaxClassifier

SkLogisticRegression = linear_model.LogisticRegression
TIGHT = dict(tol=1e-10, max_iter=20000)
LEGACY = Path(__file__).parents[1] / "data" / "models_0_1_0_dev0" / "logistic.skdeep"


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    # scikit-learn's fits on these small problems take 50× longer when their
    # threads compete with the other processes of a busy machine.
    with threadpool_limits(1):
        yield


def _standardized(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _problem(name):
    """(X, y) by name; "…-binary": class 1 against the rest."""
    loader = {
        "iris": load_iris,
        "wine": load_wine,
        "digits": load_digits,
        "breast_cancer": load_breast_cancer,
    }[name.removesuffix("-binary")]
    X, y = _standardized(loader)
    return (X, (y == 1).astype(int)) if name.endswith("-binary") else (X, y)


def _overlapping(n_classes):
    """Classes that no hyperplane separates: C=inf has a finite optimum."""
    return make_classification(
        n_samples=300, n_features=5, n_informative=3, n_redundant=0,
        n_classes=n_classes, flip_y=0.1, class_sep=0.7, random_state=0,
    )  # fmt: skip


def assert_same_model(ours, ref, X, rtol=1e-4):
    """Coefficients within rtol of scikit-learn's (entries near 0 against the
    largest), the same shapes and the same probabilities."""
    assert ours.coef_.shape == ref.coef_.shape
    assert ours.intercept_.shape == ref.intercept_.shape
    assert ours.n_iter_.shape == ref.n_iter_.shape == (1,)
    scale = np.abs(ref.coef_).max()
    assert_allclose(ours.coef_, ref.coef_, rtol=rtol, atol=rtol * scale)
    assert_allclose(ours.intercept_, ref.intercept_, rtol=rtol, atol=rtol * scale)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=10 * rtol)
    assert_array_equal(ours.classes_, ref.classes_)


PROBLEMS = ["iris", "wine", "digits", "breast_cancer", "iris-binary", "wine-binary"]


# ---- the same model on the same data --------------------------------------------


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cholesky"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
@pytest.mark.parametrize("name", PROBLEMS)
def test_coefficients_are_sklearns(name, C, fit_intercept, solver):
    X, y = _problem(name)
    options = dict(C=C, fit_intercept=fit_intercept, **TIGHT)
    ref = SkLogisticRegression(**options).fit(X, y)
    ours = LogisticRegression(solver=solver, **options).fit(X, y)
    assert_same_model(ours, ref, X)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("class_weight", [None, "balanced", "dict"])
@pytest.mark.parametrize("name", PROBLEMS)
def test_weighted_coefficients_are_sklearns(name, class_weight, fit_intercept):
    X, y = _problem(name)
    sample_weight = np.random.default_rng(0).uniform(0.2, 3.0, size=len(y))
    if class_weight == "dict":
        class_weight = {label: 1.0 + label for label in np.unique(y)}
    options = dict(class_weight=class_weight, fit_intercept=fit_intercept, **TIGHT)
    ref = SkLogisticRegression(**options).fit(X, y, sample_weight)
    ours = LogisticRegression(**options).fit(X, y, sample_weight)
    assert_same_model(ours, ref, X)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("solver", ["lbfgs", "newton", "gd"])
def test_no_penalty_with_C_inf_is_sklearns(solver, n_classes, fit_intercept, weighted):
    X, y = _overlapping(n_classes)
    rng = np.random.default_rng(1)
    sample_weight = rng.uniform(0.5, 2.0, len(y)) if weighted else None
    options = dict(C=np.inf, fit_intercept=fit_intercept, **TIGHT)
    ref = SkLogisticRegression(**options).fit(X, y, sample_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as scikit-learn's: C=inf warns nothing
        ours = LogisticRegression(solver=solver, **options).fit(X, y, sample_weight)
    assert_same_model(ours, ref, X)


def test_softmax_classifier_accepts_C_inf():
    X, y = _overlapping(3)
    ref = SkLogisticRegression(C=np.inf, **TIGHT).fit(X, y)
    ours = SoftmaxClassifier(C=np.inf, **TIGHT).fit(X, y)
    assert_same_model(ours, ref, X)


def test_binary_model_is_the_sigmoid_and_multiclass_the_softmax():
    X, y = _problem("iris")
    clf = LogisticRegression().fit(X, y)
    scores = X @ clf.coef_.T + clf.intercept_
    softmax = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    assert_allclose(clf.predict_proba(X), softmax, rtol=1e-10)
    binary = LogisticRegression().fit(X, y == 1)
    z = X @ binary.coef_[0] + binary.intercept_[0]
    assert_allclose(binary.predict_proba(X)[:, 1], 1 / (1 + np.exp(-z)), rtol=1e-10)


# ---- signature, accepted values, fitted attributes ----------------------------


def test_signature_is_sklearns():
    ours = inspect.signature(LogisticRegression).parameters
    theirs = inspect.signature(SkLogisticRegression).parameters
    assert list(ours) == list(theirs)
    for name, parameter in theirs.items():
        assert ours[name].default == parameter.default, name
        assert ours[name].kind == parameter.kind, name


@pytest.mark.parametrize("name", ["iris", "breast_cancer"])
def test_fitted_attributes_are_sklearns(name):
    X, y = _problem(name)
    ours = LogisticRegression().fit(X, y)
    ref = SkLogisticRegression().fit(X, y)

    def public(model):
        return {k for k in vars(model) if k.endswith("_") and not k.startswith("_")}

    assert public(ours) == public(ref)
    for key in public(ref):
        a, b = np.asarray(getattr(ours, key)), np.asarray(getattr(ref, key))
        assert a.shape == b.shape and a.dtype == b.dtype, key


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg", "gd", "sgd", "adam"])
def test_max_iter_zero_returns_the_starting_point_with_a_warning(solver):
    X, y = _problem("iris")
    with pytest.warns(ConvergenceWarning, match="max_iter=0"):
        clf = LogisticRegression(solver=solver, max_iter=0).fit(X, y)
    assert_array_equal(clf.n_iter_, [0])
    assert_array_equal(clf.coef_, np.zeros((3, X.shape[1])))
    assert_allclose(clf.predict_proba(X), np.full((len(y), 3), 1 / 3))


def test_max_iter_zero_with_warm_start_keeps_the_previous_solution():
    X, y = _problem("iris")
    clf = LogisticRegression(warm_start=True).fit(X, y)
    coef = clf.coef_.copy()
    with pytest.warns(ConvergenceWarning):
        clf.set_params(max_iter=0).fit(X, y)
    assert_array_equal(clf.coef_, coef)


def test_newton_names_of_sklearn_run_our_newton():
    X, y = _problem("wine")
    newton = LogisticRegression(solver="newton").fit(X, y)
    for alias in ("newton-cholesky", "newton-cg"):
        clf = LogisticRegression(solver=alias).fit(X, y)
        assert_array_equal(clf.coef_, newton.coef_)


@pytest.mark.parametrize("solver", ["sag", "saga", "liblinear"])
def test_sklearn_solvers_we_lack_are_refused_with_advice(solver):
    X, y = _problem("breast_cancer")
    with pytest.raises(ValueError, match=rf"solver='{solver}'.*does not have.*use"):
        LogisticRegression(solver=solver).fit(X, y)


def test_dual_is_refused_with_sklearns_message_naming_liblinear():
    X, y = _problem("breast_cancer")
    message = r"Solver lbfgs supports only dual=False, got dual=True.*'liblinear'"
    with pytest.raises(ValueError, match=message):
        LogisticRegression(dual=True).fit(X, y)


def test_n_jobs_warns_as_sklearn_and_changes_nothing():
    X, y = _problem("iris")
    plain = LogisticRegression().fit(X, y)
    with pytest.warns(FutureWarning, match="'n_jobs' has no effect"):
        clf = LogisticRegression(n_jobs=2).fit(X, y)
    assert_array_equal(clf.coef_, plain.coef_)


def test_intercept_scaling_changes_nothing():
    X, y = _problem("breast_cancer")
    plain = LogisticRegression().fit(X, y)
    scaled = LogisticRegression(intercept_scaling=10.0).fit(X, y)
    assert_array_equal(scaled.coef_, plain.coef_)
    assert_array_equal(scaled.intercept_, plain.intercept_)


@pytest.mark.parametrize(
    "penalty, same_as",
    [
        ("l2", dict()),
        (None, dict(C=np.inf)),
        ("l1", dict(l1_ratio=1.0, solver="gd")),
        ("elasticnet", dict(l1_ratio=0.5, solver="gd")),
    ],
)
def test_deprecated_penalty_maps_onto_l1_ratio_and_C(penalty, same_as):
    X, y = _overlapping(2)
    options = {"solver": same_as.get("solver", "lbfgs"), **TIGHT}
    if penalty in ("l1", "elasticnet"):  # consistent, else scikit-learn warns
        options["l1_ratio"] = same_as["l1_ratio"]
    with pytest.warns(FutureWarning, match="'penalty' was deprecated"):
        clf = LogisticRegression(penalty=penalty, **options).fit(X, y)
    expected = LogisticRegression(**{**options, **same_as}).fit(X, y)
    assert_array_equal(clf.coef_, expected.coef_)


def test_deprecated_penalty_warnings_and_errors_are_sklearns():
    X, y = _overlapping(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        with pytest.warns(UserWarning, match="Setting penalty=None will ignore the C"):
            LogisticRegression(penalty=None, C=4.0).fit(X, y)
        with pytest.warns(UserWarning, match=r"only used when penalty is 'elastic"):
            with pytest.warns(UserWarning, match="Inconsistent values: penalty=l1"):
                LogisticRegression(penalty="l1", l1_ratio=0.5, solver="gd").fit(X, y)
        with pytest.raises(ValueError, match="l1_ratio must be specified"):
            LogisticRegression(penalty="elasticnet", l1_ratio=None).fit(X, y)
        with pytest.raises(ValueError, match="Solver lbfgs supports only 'l2' or None"):
            LogisticRegression(penalty="l1", l1_ratio=1.0).fit(X, y)
    with pytest.warns(FutureWarning, match="'l1_ratio=None' was deprecated"):
        LogisticRegression(l1_ratio=None).fit(X, y)


# ---- densify / sparsify ---------------------------------------------------------


@pytest.mark.parametrize("Classifier", [LogisticRegression, SoftmaxClassifier])
def test_sparsify_and_densify_keep_the_predictions(Classifier):
    X, y = _problem("iris")
    clf = Classifier().fit(X, y)
    dense_coef = clf.coef_.copy()
    expected = clf.decision_function(X), clf.predict_proba(X), clf.predict(X)
    assert clf.sparsify() is clf
    assert sp.issparse(clf.coef_) and clf.coef_.format == "csr"
    assert_allclose(clf.decision_function(X), expected[0], rtol=1e-12)
    assert_allclose(clf.predict_proba(X), expected[1], rtol=1e-12)
    assert_array_equal(clf.predict(X), expected[2])
    assert clf.densify() is clf
    assert isinstance(clf.coef_, np.ndarray)
    assert_array_equal(clf.coef_, dense_coef)


def test_a_warm_start_fit_continues_from_a_sparse_coef():
    X, y = _problem("iris")
    clf = LogisticRegression(warm_start=True, solver="newton").fit(X, y)
    clf.sparsify().fit(X, y)
    assert isinstance(clf.coef_, np.ndarray)
    assert clf.n_iter_[0] <= 1


@pytest.mark.parametrize("method", ["densify", "sparsify"])
def test_densify_and_sparsify_need_a_fitted_model(method):
    with pytest.raises(NotFittedError, match=f"must be fitted before {method[:-1]}"):
        getattr(LogisticRegression(), method)()


# ---- one-vs-rest models saved before ---------------------------------------------


def test_a_saved_one_vs_rest_model_keeps_its_one_vs_rest_probabilities():
    clf = skdeep.load(LEGACY)
    X, _ = load_iris(return_X_y=True)
    assert clf.get_params()["penalty"] == "deprecated"  # added since: the default
    sigmoids = 1 / (1 + np.exp(-(X @ clf.coef_.T + clf.intercept_)))
    ovr = sigmoids / sigmoids.sum(axis=1, keepdims=True)
    assert_allclose(clf.predict_proba(X), ovr, rtol=1e-10)


def test_a_new_model_saves_that_it_is_multinomial(tmp_path):
    X, y = _problem("iris")
    clf = LogisticRegression().fit(X, y)
    skdeep.save(clf, tmp_path / "model.skdeep")
    loaded = skdeep.load(tmp_path / "model.skdeep")
    assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), rtol=1e-12)
    scores = X @ clf.coef_.T + clf.intercept_
    softmax = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    assert_allclose(loaded.predict_proba(X), softmax, rtol=1e-10)


@pytest.mark.parametrize(
    "solver, words",
    [
        ("lbfgs", "lbfgs failed to converge"),
        ("newton-cg", "newton-cg failed to converge.* Increase the number of iter"),
        ("newton-cholesky", "Newton solver did not converge after 1 iterations"),
    ],
)
def test_convergence_warning_says_scikit_learns_words(solver, words):
    X, y = load_iris(return_X_y=True)
    y = (y == 1).astype(int)
    with pytest.warns(ConvergenceWarning, match=words):
        clf = LogisticRegression(solver=solver, max_iter=1, tol=1e-15).fit(X, y)
    assert_array_equal(clf.n_iter_, [1])


@pytest.mark.parametrize("max_iter", [100, 12, 1])
def test_newton_falls_back_to_lbfgs_on_a_singular_hessian(max_iter):
    # More features than samples and no real penalty: scikit-learn's
    # newton-cholesky gives up at its first Hessian and runs lbfgs with the
    # iterations left (the abandoned one counts against max_iter).
    X, y = make_classification(n_samples=10, n_features=20, random_state=42)
    options = dict(solver="newton-cholesky", C=1e30, max_iter=max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SkLogisticRegression(**options).fit(X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = LogisticRegression(**options).fit(X, y)
    assert_array_equal(ours.n_iter_, ref.n_iter_)
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    converged = max_iter == 100
    messages = [str(w.message) for w in caught if w.category is ConvergenceWarning]
    assert (messages == []) == converged
    assert all(m.startswith("lbfgs failed to converge") for m in messages)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_unpenalized_multinomial_newton_steps_continue_under_warm_start(
    fit_intercept,
):
    # Without a penalty the softmax is flat along equal shifts of every row:
    # a step must not depend on which representative (centred or not) it
    # starts from, so two steps at once equal two warm-started single steps.
    X, y = load_iris(return_X_y=True)
    options = dict(solver="newton-cholesky", C=np.inf, fit_intercept=fit_intercept)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        twice = LogisticRegression(max_iter=2, **options).fit(X, y)
        stepwise = LogisticRegression(max_iter=1, warm_start=True, **options)
        stepwise.fit(X, y).fit(X, y)
    assert_allclose(stepwise.coef_, twice.coef_)
    assert_allclose(stepwise.intercept_, twice.intercept_)


@pytest.mark.parametrize(
    "solver, options, y_kind",
    [
        ("liblinear", {}, "multiclass"),
        ("sag", {"l1_ratio": 1}, "multiclass"),
        ("liblinear", {"l1_ratio": 0.5}, "binary"),
        ("liblinear", {"C": np.inf}, "binary"),
        ("saga", {"dual": True}, "binary"),
    ],
)
def test_refused_solver_quotes_scikit_learns_refusal(solver, options, y_kind):
    X, y = load_iris(return_X_y=True)
    if y_kind == "binary":
        y = (y == 1).astype(int)
    with pytest.raises(ValueError) as ref:
        SkLogisticRegression(solver=solver, **options).fit(X, y)
    with pytest.raises(ValueError) as ours:
        LogisticRegression(solver=solver, **options).fit(X, y)
    assert str(ref.value) in str(ours.value)


def test_liblinear_with_dual_is_refused_as_missing_not_as_primal_only():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="'liblinear' is one of scikit-learn's"):
        LogisticRegression(solver="liblinear", dual=True).fit(X, y == 1)
