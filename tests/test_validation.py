"""skdeep._validation: float32 data too large for float32 arithmetic is refused
with advice before any computation; float64 and integer data never are."""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.exceptions import ConvergenceWarning

import skdeep
from skdeep import nn
from skdeep._validation import (
    FLOAT32_MAX,
    check_castable,
    check_float32_distances,
    check_float32_magnitude,
    check_float32_predictions,
    float32_bound,
    largest_magnitude,
    validate_data,
)

LINEAR = [
    skdeep.LeastSquaresRegressor(),
    skdeep.LeastSquaresRegressor(solver="lstsq", alpha=1.0),
    skdeep.LeastSquaresRegressor(solver="cholesky", fit_intercept=False),
    skdeep.LeastSquaresRegressor(solver="gd", alpha=0.1),
    skdeep.LeastSquaresRegressor(solver="sgd", random_state=0, max_iter=20),
    skdeep.LeastSquaresRegressor(solver="adam", random_state=0, max_iter=20),
    skdeep.LogisticRegression(),
    skdeep.LogisticRegression(solver="newton", class_weight="balanced"),
    skdeep.LogisticRegression(solver="gd", l1_ratio=0.5, max_iter=200),
    skdeep.LogisticRegression(solver="sgd", random_state=0, max_iter=20),
    skdeep.SoftmaxClassifier(),
    skdeep.SoftmaxClassifier(solver="newton"),
    skdeep.SoftmaxClassifier(solver="adam", random_state=0, max_iter=20),
]
LINEAR_IDS = [repr(est).replace(" ", "") for est in LINEAR]

N_ROWS, N_FEATURES = 30, 4
BOUND = float32_bound(N_ROWS * N_FEATURES)
# The float32 values either side of the bound.
_NEAREST = np.float32(BOUND)
if float(_NEAREST) > BOUND:
    BELOW, ABOVE = np.nextafter(_NEAREST, np.float32(0)), _NEAREST
else:
    BELOW, ABOVE = _NEAREST, np.nextafter(_NEAREST, np.float32(np.inf))
RNG = np.random.default_rng(0)
SIGNS = RNG.choice([-1.0, 1.0], size=(N_ROWS, N_FEATURES)).astype(np.float32)
Y_CLASS = np.arange(N_ROWS) % 3
Y_REG = RNG.normal(size=N_ROWS)


def _targets(est):
    return Y_CLASS if is_classifier(est) else Y_REG


def _one_entry(value, dtype=np.float32):
    X = np.zeros((N_ROWS, N_FEATURES), dtype=dtype)
    X[7, 2] = value
    return X


@pytest.fixture
def runtime_warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


# ---------------------------------------------------------------- the bound


def test_the_bound_keeps_the_sum_of_squares_within_a_quarter_of_float32_max():
    for n_entries in (1, 2, 120, 10**6, 10**9):
        bound = float32_bound(n_entries)
        assert n_entries * bound**2 == pytest.approx(FLOAT32_MAX / 4, rel=1e-12)


def test_the_values_either_side_of_the_bound_are_adjacent_float32():
    assert float(BELOW) <= BOUND < float(ABOVE)
    assert np.nextafter(BELOW, np.float32(np.inf)) == ABOVE


def test_float32_sums_of_squares_at_the_bound_stay_finite(runtime_warnings_are_errors):
    X = SIGNS * BELOW  # every entry at the bound: the worst case
    gram = X.T @ X
    assert np.isfinite(gram).all()
    assert np.isfinite(np.sum(X * X, dtype=np.float32))


def test_largest_magnitude_sees_both_signs_and_sparse_values():
    assert largest_magnitude(np.array([[-9.0, 2.0]])) == 9.0
    assert largest_magnitude(np.array([[1.0, 2.0]])) == 2.0
    assert largest_magnitude(scipy.sparse.csr_matrix([[0.0, -3.0]])) == 3.0
    assert largest_magnitude(scipy.sparse.csr_matrix((2, 2))) == 0.0
    assert largest_magnitude(np.array([[True, False]])) == 1.0


# ------------------------------------------------- check_float32_magnitude


def test_values_just_below_the_bound_pass():
    check_float32_magnitude(_one_entry(BELOW), dtype=np.float32)
    check_float32_magnitude(_one_entry(-BELOW), dtype=np.float32)
    check_float32_magnitude(SIGNS * BELOW, dtype=np.float32)


@pytest.mark.parametrize("sign", [1, -1])
def test_values_just_above_the_bound_are_refused_with_advice(sign):
    X = _one_entry(sign * ABOVE)
    message = (
        f"X holds values up to {float(ABOVE):.3g}; float32 arithmetic on them "
        "overflows (the sum of the squares of its 120 entries can exceed "
        f"3.4e+38; the limit for this size is {BOUND:.3g}). Standardise the "
        "features (e.g. sklearn.preprocessing.StandardScaler) or pass float64 data."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_float32_magnitude(X, dtype=np.float32)


def test_the_bound_shrinks_with_the_size_of_the_data():
    # 1e17 is fine for 120 entries, not for a million: the sums grow with n.
    check_float32_magnitude(np.full((30, 4), 1e17, np.float32), dtype=np.float32)
    with pytest.raises(ValueError, match=re.escape("limit for this size is 9.22e+15")):
        X = np.full((10**5, 10), 1e17, np.float32)
        check_float32_magnitude(X, dtype=np.float32)


def test_sparse_data_is_checked_on_its_stored_values():
    below = scipy.sparse.csr_matrix(_one_entry(BELOW))
    above = scipy.sparse.csc_matrix(_one_entry(-ABOVE))
    check_float32_magnitude(below, dtype=np.float32)
    with pytest.raises(ValueError, match="float32 arithmetic on them overflows"):
        check_float32_magnitude(above, dtype=np.float32)


def test_float64_and_integer_data_are_never_refused():
    check_float32_magnitude(_one_entry(1e300, np.float64), dtype=np.float64)
    huge_ints = np.full((N_ROWS, N_FEATURES), np.iinfo(np.int64).max)
    check_float32_magnitude(huge_ints, dtype=np.float64)  # ints compute in float64
    check_float32_magnitude(huge_ints, dtype=np.int64)


def test_targets_cast_to_float32_are_checked_and_named():
    y = np.full(N_ROWS, 1e30)  # float64 targets of float32 X
    with pytest.raises(ValueError, match=r"^y holds .*standardise the targets"):
        check_float32_magnitude(y, dtype=np.float32, name="y")
    check_float32_magnitude(y, dtype=np.float64, name="y")


# --------------------------------------------------------- the other checks


def test_distances_bound_is_max_over_twice_the_features():
    bound = FLOAT32_MAX / (2 * N_FEATURES)
    below = np.nextafter(np.float32(bound), np.float32(0))
    check_float32_distances(_one_entry(below))
    check_float32_distances(_one_entry(1e300, np.float64))
    with pytest.raises(ValueError, match="distances between such float32 points"):
        check_float32_distances(_one_entry(-np.float32(bound) * np.float32(1.001)))


@pytest.mark.parametrize("p", [0.5, 0.25])
def test_distances_bound_for_a_minkowski_power_below_one(p):
    # (Σ|d|^p)^(1/p) of n equal differences 2m is n^(1/p)·2m: above the p = 1
    # bound for every n > 1.
    bound = FLOAT32_MAX / (2 * N_FEATURES ** (1 / p))
    below = np.nextafter(np.float32(bound), np.float32(0))
    check_float32_distances(_one_entry(below), p=p)
    with pytest.raises(ValueError, match=f"features and the Minkowski power p={p}"):
        check_float32_distances(_one_entry(np.float32(bound) * np.float32(1.001)), p=p)
    # Powers of 1 and more keep the Manhattan bound.
    check_float32_distances(_one_entry(np.float32(bound) * np.float32(1.001)), p=1)


def test_castable_and_finite_predictions():
    check_castable(np.array([[3e38]]), np.float32)
    with pytest.raises(ValueError, match="beyond the float32 range"):
        check_castable(np.array([[-1e39]]), np.float32)
    check_float32_predictions(np.array([np.inf]), np.ones((1, 1)))  # float64: as is
    with pytest.raises(ValueError, match=r"float32 predictions .* overflow"):
        check_float32_predictions(np.array([np.nan], np.float32), np.ones((1, 1)))


def test_validation_of_float32_data_near_its_maximum_does_not_warn(
    runtime_warnings_are_errors,
):
    # scikit-learn's fast check sums X: 3e38 + 3e38 = inf, then inf + -inf = NaN.
    X = np.array([[3e38, 3e38], [-3e38, -3e38]], dtype=np.float32)
    assert validate_data(BaseEstimator(), X).dtype == np.float32
    with pytest.raises(ValueError, match="Input X contains infinity"):
        validate_data(BaseEstimator(), np.vstack([X, [[np.inf, 0]]]))
    with pytest.raises(ValueError, match="Input X contains NaN"):
        validate_data(BaseEstimator(), np.vstack([X, [[np.nan, 0]]]))


# ----------------------------------------------------------- the estimators


@pytest.mark.parametrize("est", LINEAR, ids=LINEAR_IDS)
def test_linear_models_fit_float32_data_at_the_bound_without_overflow(
    est, runtime_warnings_are_errors
):
    # The bound is sufficient: every entry at it (the worst case) fits with no
    # overflow. Adam's fixed step is too large for data at this scale: it
    # diverges, and says so before anything overflows.
    model = clone(est)
    if getattr(est, "solver", None) == "adam":
        with pytest.raises(nn.TrainingDivergedError, match="standardise"):
            model.fit(SIGNS * BELOW, _targets(est))
        return
    model.fit(SIGNS * BELOW, _targets(est))
    assert np.isfinite(model.coef_).all()
    assert np.isfinite(model.intercept_).all()
    prediction = model.predict(SIGNS * BELOW)
    assert np.isfinite(np.asarray(prediction, dtype=np.float64)).all()


@pytest.mark.parametrize("est", LINEAR, ids=LINEAR_IDS)
def test_linear_models_refuse_float32_data_above_the_bound(est):
    model = clone(est)
    with pytest.raises(ValueError, match="float32 arithmetic on them overflows"):
        model.fit(_one_entry(ABOVE), _targets(est))
    assert not hasattr(model, "coef_")


@pytest.mark.parametrize(
    "est",
    [skdeep.LeastSquaresRegressor(), skdeep.LogisticRegression()],
    ids=lambda est: type(est).__name__,
)
def test_linear_models_fit_the_same_values_in_float64(est):
    model = clone(est).fit(_one_entry(ABOVE, np.float64), _targets(est))
    assert model.coef_.dtype == np.float64
    assert np.isfinite(model.coef_).all()


def test_partial_fit_checks_each_batch():
    model = skdeep.LogisticRegression(solver="sgd", random_state=0)
    with pytest.raises(ValueError, match="float32 arithmetic on them overflows"):
        model.partial_fit(_one_entry(ABOVE), Y_CLASS, classes=[0, 1, 2])
    model.partial_fit(_one_entry(BELOW), Y_CLASS, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="float32 arithmetic on them overflows"):
        model.partial_fit(_one_entry(ABOVE), Y_CLASS)


@pytest.mark.parametrize(
    "est",
    [
        skdeep.LeastSquaresRegressor(),
        skdeep.MLPRegressor(hidden_layer_sizes=(3,), max_iter=5, random_state=0),
    ],
    ids=lambda est: type(est).__name__,
)
def test_regressors_refuse_targets_too_large_for_float32_x(est):
    X = np.random.default_rng(1).normal(size=(N_ROWS, N_FEATURES)).astype(np.float32)
    y = Y_REG * 1e150
    with pytest.raises(ValueError, match=r"^y holds values up to .*pass X as float64"):
        clone(est).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clone(est).fit(X.astype(np.float64), y)  # float64: fitted as before


def test_integer_data_beyond_the_float32_bound_is_fitted_in_float64():
    X = np.round(np.random.default_rng(2).normal(size=(N_ROWS, N_FEATURES)) * 1e18)
    X = X.astype(np.int64)
    model = skdeep.LeastSquaresRegressor().fit(X, Y_REG)
    assert model.coef_.dtype == np.float64


def test_linear_predictions_that_overflow_float32_are_refused(
    runtime_warnings_are_errors,
):
    X = np.random.default_rng(1).normal(size=(N_ROWS, N_FEATURES)).astype(np.float32)
    model = skdeep.LeastSquaresRegressor().fit(X, X @ [1.0, 2.0, 3.0, 4.0])
    huge = np.full((2, N_FEATURES), 3e38, dtype=np.float32)
    with pytest.raises(ValueError, match=r"float32 predictions .* overflow"):
        model.predict(huge)
    # As float64 the same queries are computed in float64: finite.
    expected = huge.astype(np.float64) @ model.coef_ + model.intercept_
    assert_allclose(model.predict(huge.astype(np.float64)), expected, rtol=1e-12)


def test_networks_refuse_queries_outside_their_float32_range(
    runtime_warnings_are_errors,
):
    X = np.random.default_rng(1).normal(size=(N_ROWS, N_FEATURES)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = skdeep.MLPClassifier(
            hidden_layer_sizes=(3,), max_iter=5, random_state=0
        ).fit(X, Y_CLASS)
    with pytest.raises(ValueError, match="beyond the float32 range"):
        model.predict(X.astype(np.float64) * 1e150)
    # A query along the signs of the hidden unit with the largest weights: its
    # pre-activation is 3e38·‖w‖₁, beyond float32 (‖w‖₁ > 1.2 here).
    weights = model.coefs_[0][:, np.argmax(np.abs(model.coefs_[0]).sum(axis=0))]
    assert np.abs(weights).sum() > 1.2
    query = (np.sign(weights) * np.float32(3e38))[None, :]
    with pytest.raises(ValueError, match=r"float32 predictions .* overflow"):
        model.predict_proba(query)
    with pytest.raises(ValueError, match=r"float32 predictions .* overflow"):
        model.predict(query)
    assert np.isfinite(model.predict_proba(X * np.float32(1e30))).all()


def test_lbfgs_whose_objective_overflows_from_the_start_diverges_with_advice(
    runtime_warnings_are_errors,
):
    X = SIGNS * np.float32(3e38)
    model = skdeep.MLPRegressor(hidden_layer_sizes=(3,), solver="lbfgs")
    with pytest.raises(nn.TrainingDivergedError, match="standardise the input"):
        model.fit(X, Y_REG)


@pytest.mark.parametrize("Estimator", [skdeep.KNN, skdeep.KNNRegressor])
def test_neighbours_refuse_float32_points_whose_distances_overflow(
    Estimator, runtime_warnings_are_errors
):
    y = Y_CLASS if Estimator is skdeep.KNN else Y_REG
    huge = SIGNS * np.float32(3e38)
    with pytest.raises(ValueError, match="distances between such float32 points"):
        Estimator().fit(huge, y)
    model = Estimator().fit(SIGNS * np.float32(1e36), y)  # within the bound
    assert model.kneighbors()[0].dtype == np.float32
    with pytest.raises(ValueError, match="distances between such float32 points"):
        model.kneighbors(huge)
    # float64 queries get float64 distances, which do not overflow.
    distances, _ = model.kneighbors(huge.astype(np.float64))
    assert distances.dtype == np.float64 and np.isfinite(distances).all()
