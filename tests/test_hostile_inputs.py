"""Hostile and odd inputs: every estimator either refuses them with a
ValueError/TypeError that says what to fix, or fits and predicts finite values.

Two kinds of tests:

* deterministic categories (NaN/inf, empty, 1-D X, mismatched lengths, a
  single class, mixed label types, ...), each with the message it must give;
* hypothesis-generated data (dtypes float64/float32/float16/int/bool,
  magnitudes 1e-150 to 1e150 and float32 up to 3.2e38, constant columns,
  duplicated rows, C/Fortran/strided layouts, pandas DataFrames of mixed
  dtypes, labels of several types), which must fit and predict finite values
  of the right shape, or be refused with one of the known, actionable
  messages.

Everything runs with RuntimeWarning turned into an error: an overflow or a
division by zero in our code (or in numpy called by our code) fails the test.
"""

import contextlib
import inspect
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
import sklearn.exceptions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted

import skdeep
from skdeep import nn

from estimator_configurations import CONFIGURATIONS as ALL_CONFIGURATIONS
from estimator_configurations import config_id, with_budget

# Deterministic in CI (derandomize): ten examples per (estimator, input kind),
# each one small fit. (The hunt for bugs ran with more; these keep them away.)
HOSTILE = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=10,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# Every registered configuration, with a budget small enough to fit hundreds
# of times.
CONFIGURATIONS = [
    with_budget(est, width=4, epochs=6, max_iter=30, random_state=0)
    for est in ALL_CONFIGURATIONS
]
IDS = [config_id(est) for est in CONFIGURATIONS]
CLASSIFIERS = [est for est in CONFIGURATIONS if is_classifier(est)]
REGRESSORS = [est for est in CONFIGURATIONS if not is_classifier(est)]


def test_every_estimator_is_covered():
    assert {type(est).__name__ for est in CONFIGURATIONS} == set(skdeep.ESTIMATORS)


@contextlib.contextmanager
def _runtime_warnings_are_errors():
    """RuntimeWarning → error, in our code and in numpy or scikit-learn called by it.

    No exception is needed for float32 data near its maximum, 3e38: the warning
    scikit-learn's fast NaN check gives there (its sum overflows to inf − inf)
    is silenced by skdeep._validation.validate_data, and only that one.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        # Small budgets do not converge, and collinear columns make the Cholesky
        # solver fall back to lstsq, with a documented warning: expected here.
        warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
        warnings.filterwarnings("ignore", "LeastSquaresRegressor.*ill-conditioned")
        yield


def _fitted_arrays(est) -> list[np.ndarray]:
    """The learned numbers of a fitted estimator (weights, biases, stored data)."""
    names = ("coefs_", "intercepts_", "coef_", "intercept_")
    arrays = []
    for name in names:
        value = getattr(est, name, None)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        arrays.extend(np.asarray(v, dtype=np.float64) for v in values)
    if hasattr(est, "_index"):  # KNN: the stored training points
        arrays.append(np.asarray(est._index.X, dtype=np.float64))
    return arrays


def _check_unfitted(est):
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


# ----------------------------------------------------------------------------
# Deterministic categories: each must be refused with a message saying what to fix.

_RNG = np.random.default_rng(7)
_X = _RNG.normal(size=(24, 3))
_Y_CLASS = np.array([0, 1, 2] * 8)
_Y_REG = _RNG.normal(size=24)


def _with(array, row, col, value):
    out = array.copy()
    out[row, col] = value
    return out


def _with_target(y, value):
    """y as floats with one target replaced by ``value``."""
    return _with(y.astype(np.float64)[:, None], 2, 0, value)[:, 0]


def _refused_cases(classifier: bool):
    """(name, X, y, exception types, message pattern) refused by every estimator."""
    y = _Y_CLASS if classifier else _Y_REG
    cases = [
        ("nan_X", _with(_X, 3, 1, np.nan), y, ValueError, "Input X contains NaN"),
        ("inf_X", _with(_X, 3, 1, np.inf), y, ValueError, "X contains infinity"),
        ("-inf_X", _with(_X, 0, 0, -np.inf), y, ValueError, "X contains infinity"),
        ("empty", _X[:0], y[:0], ValueError, r"0 sample\(s\).*minimum of 1"),
        ("no_features", _X[:, :0], y, ValueError, r"0 feature\(s\).*minimum of 1"),
        ("1-D_X", _X[:, 0], y, ValueError, "Reshape your data"),
        ("3-D_X", _X[:, :, None], y, ValueError, "Found array with dim 3"),
        ("short_y", _X, y[:-1], ValueError, "inconsistent numbers of samples"),
        ("long_y", _X[:-1], y, ValueError, "inconsistent numbers of samples"),
        ("complex_X", _X + 1j, y, ValueError, "Complex data not supported"),
        (
            "string_column",
            pd.DataFrame({"a": _X[:, 0], "b": ["u", "v", "w"] * 8}),
            y,
            ValueError,
            "could not convert string to float",
        ),
        (
            "nan_y",
            _X,
            _with_target(y, np.nan),
            ValueError,
            "y contains NaN",
        ),
        (
            "sparse_column_y",
            _X,
            scipy.sparse.csr_array(y.reshape(-1, 1)),
            TypeError,
            "Sparse data was passed for y, but dense data is required",
        ),
    ]
    if classifier:
        cases += [
            (
                "continuous_y",
                _X,
                _Y_REG,
                ValueError,
                "Unknown label type: continuous",
            ),
            (
                "mixed_label_types",
                _X,
                np.array(["a", 1, "c"] * 8, dtype=object),
                TypeError,
                "labels mix types.*Convert them to one type",
            ),
        ]
    else:
        cases += [
            (
                "inf_y",
                _X,
                _with_target(y, np.inf),
                ValueError,
                "y contains inf",
            ),
            (
                "string_y",
                _X,
                np.array(["1.5", "b", "c"] * 8),
                ValueError,
                "numeric targets.*strings",
            ),
        ]
    return cases


def _refused_params():
    return [
        pytest.param(est, *case[1:], id=f"{case[0]}-{name}")
        for est, name in zip(CONFIGURATIONS, IDS, strict=True)
        for case in _refused_cases(is_classifier(est))
    ]


@pytest.mark.parametrize(("est", "X", "y", "error", "match"), _refused_params())
def test_bad_input_is_refused_with_advice_and_leaves_no_model(est, X, y, error, match):
    est = clone(est)
    with _runtime_warnings_are_errors():
        with pytest.raises(error, match=match):
            est.fit(X, y)
    _check_unfitted(est)


CLASSIFIER_IDS = [name for est, name in zip(CONFIGURATIONS, IDS, strict=True)
                  if is_classifier(est)]  # fmt: skip


@pytest.mark.parametrize("est", CLASSIFIERS, ids=CLASSIFIER_IDS)
def test_a_single_class_is_refused_or_predicted_with_certainty(est):
    est = clone(est)
    y = np.full(len(_X), "only")
    with _runtime_warnings_are_errors():
        if isinstance(est, skdeep.MLPClassifier):
            # scikit-learn's MLP fits one output and predicts the class.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                est.fit(_X, y)
            assert_array_equal(est.predict(_X), y)
            return
        if not isinstance(est, skdeep.KNN):
            # A model of one class has nothing to learn (scikit-learn's rule).
            with pytest.raises(ValueError, match="only one class: 'only'"):
                est.fit(_X, y)
            _check_unfitted(est)
            return
        # Neighbours, as in scikit-learn, simply all vote for it.
        est.fit(_X, y)
        assert_array_equal(est.predict(_X), y)
        assert_array_equal(est.predict_proba(_X), np.ones((len(_X), 1)))


# ----------------------------------------------------------------------------
# A failed fit never leaves a half-fitted estimator. The promise (see
# skdeep._fit_state): afterwards the estimator is exactly its previous model
# (an MLP's warm start or partial_fit trains copies of the fitted network).
# scikit-learn itself may leave n_features_in_ and feature_names_in_ of the
# failed call next to the old coefficients.


def _frame(X, prefix):
    return pd.DataFrame(X, columns=[f"{prefix}{j}" for j in range(X.shape[1])])


def _state(est) -> dict:
    """What fit stored: every attribute that is not a constructor parameter."""
    params = est.get_params(deep=False)
    return {name: value for name, value in vars(est).items() if name not in params}


def _snapshot(est, X):
    predictions = [est.predict(X)]
    if hasattr(est, "predict_proba"):
        predictions.append(est.predict_proba(X))
    return _state(est), [a.copy() for a in _fitted_arrays(est)], predictions


def _assert_unchanged(est, X, before):
    attributes, arrays, predictions = before
    assert _state(est).keys() == attributes.keys()
    for name, value in attributes.items():
        assert vars(est)[name] is value, name
    for a, b in zip(_fitted_arrays(est), arrays, strict=True):
        assert_array_equal(a, b)
    for a, b in zip(_snapshot(est, X)[2], predictions, strict=True):
        assert_array_equal(a, b)


def _failing_refits(est):
    """(name, X, y) that make a refit of a model fitted on _frame(_X, 'f') fail."""
    y = _Y_CLASS if is_classifier(est) else _Y_REG
    nan_frame = _frame(_with(_X[:, :2], 0, 0, np.nan), "g")  # new names, NaN
    refits = [
        ("nan_frame", nan_frame, y),
        ("short_y", _frame(_X, "g"), y[:-1]),
        ("empty", _frame(_X[:0], "g"), y[:0]),
    ]
    if is_classifier(est):
        mixed = np.array(["a", 1, "c"] * 8, dtype=object)
        refits.append(("mixed_labels", _frame(_X, "g"), mixed))
        if not isinstance(est, (skdeep.KNN, skdeep.MLPClassifier)):
            refits.append(("single_class", _frame(_X[:, :2], "g"), _Y_CLASS * 0))
    else:
        refits.append(("string_y", _frame(_X[:, :2], "g"), _Y_CLASS.astype(str)))
    return refits


@pytest.mark.parametrize("est", CONFIGURATIONS, ids=IDS)
def test_a_refit_that_fails_on_bad_input_keeps_the_previous_model(est):
    est = clone(est)
    X = _frame(_X, "f")
    with _runtime_warnings_are_errors():
        est.fit(X, _Y_CLASS if is_classifier(est) else _Y_REG)
        before = _snapshot(est, X)
        for name, X_bad, y_bad in _failing_refits(est):
            with pytest.raises((ValueError, TypeError)):
                est.fit(X_bad, y_bad)
            _assert_unchanged(est, X, before)
            if hasattr(est, "partial_fit"):
                with pytest.raises((ValueError, TypeError)):
                    est.partial_fit(X_bad, y_bad)
                _assert_unchanged(est, X, before)
            assert list(est.feature_names_in_) == ["f0", "f1", "f2"], name


_DIVERGING = [
    skdeep.MLPRegressor(
        hidden_layer_sizes=(4,), solver="sgd", learning_rate_init=1e3, max_iter=20
    ),
    skdeep.MLPClassifier(
        hidden_layer_sizes=(4,), solver="sgd", learning_rate_init=1e3, max_iter=20
    ),
    skdeep.LeastSquaresRegressor(solver="sgd", learning_rate_init=1e3),
]


@pytest.mark.parametrize("est", _DIVERGING, ids=lambda est: type(est).__name__)
def test_a_refit_that_diverges_keeps_the_previous_model(est):
    est = clone(est).set_params(random_state=0, learning_rate_init=1e-3)
    y = _Y_CLASS if is_classifier(est) else _Y_REG
    with _runtime_warnings_are_errors():
        est.fit(_X, y)
        before = _snapshot(est, _X)
        est.set_params(learning_rate_init=1e3)
        with pytest.raises(nn.TrainingDivergedError, match=r"(?i)lower"):
            est.fit(_X * 1e50, y * 1e50 if not is_classifier(est) else y)
        _assert_unchanged(est, _X, before)


@pytest.mark.parametrize("est", _DIVERGING[:2], ids=lambda est: type(est).__name__)
def test_a_warm_start_or_partial_fit_that_diverges_keeps_the_previous_model(est):
    # Training diverges part-way, after changing a copy of the fitted network.
    est = clone(est).set_params(random_state=0, learning_rate_init=1e-3)
    y = _Y_CLASS if is_classifier(est) else _Y_REG
    y_far = y if is_classifier(est) else y * 1e50
    with _runtime_warnings_are_errors():
        est.fit(_X, y)
        before = _snapshot(est, _X)
        est.set_params(learning_rate_init=1e3, warm_start=True)
        with pytest.raises(nn.TrainingDivergedError, match="learning_rate_init"):
            est.fit(_X * 1e50, y_far)
        _assert_unchanged(est, _X, before)
        with pytest.raises(nn.TrainingDivergedError):
            est.partial_fit(_X * 1e50, y_far)
        _assert_unchanged(est, _X, before)


# ----------------------------------------------------------------------------
# Generated odd inputs: fit and predict finite values, or refuse with advice.

# The only refusals acceptable for data that is odd but not wrong: each names
# what to change.
ACTIONABLE = [
    r"diverged.*(standardise|Standardise|lower)",  # TrainingDivergedError
    r"early_stopping needs a validation set.*early_stopping=False",
    r"Early stopping holds out a stratified validation set.*early_stopping=False",
    r"normalization='batch' needs at least 2 training samples.*Use normalization",
    r"fewer training points than neighbours",
    r"only one class",
    r"at least 2 classes",
    r"Standardise the features",
    # skdeep._validation: float32 data whose arithmetic would overflow.
    r"float32 arithmetic on them overflows.*(Standardise the features|"
    r"standardise the targets)",
    r"distances between such float32 points.*Standardise the features",
]

# Kinds of feature matrix: (dtype, magnitude). float64 goes as far as leaves
# room to compute (products of two features stay finite: 1e150 → 1e300).
# float32 goes up to its maximum: 4e37 times the generated values (|v| ≤ 8)
# reaches 3.2e38, still finite (3.4e38 is the largest float32). From about 1e18
# on, float32 sums of squares overflow: linear models refuse such data at fit
# (skdeep._validation.check_float32_magnitude), neighbours refuse it when their
# float32 distances could overflow, networks raise TrainingDivergedError when
# their training overflows, each with advice (see ACTIONABLE). "frame" is a
# DataFrame of mixed dtypes.
X_KINDS = [
    ("float64", 1.0),
    ("float64", 1e150),
    ("float64", 1e-150),
    ("float64", "mixed"),  # columns of scales 1e-150, 1 and 1e150
    ("float32", 1.0),
    ("float32", 1e17),
    ("float32", 1e-17),
    ("float32", 1e18),
    ("float32", 1e30),
    ("float32", 4e37),
    ("float16", 1.0),
    ("int64", 1.0),
    ("int64", 1e6),
    ("bool", 1.0),
    ("frame", 1.0),
    ("frame", 1e150),
]
LAYOUTS = ["C", "F", "strided", "reversed"]
LABEL_KINDS = ["int", "str", "object", "bool", "float", "series"]
TARGET_KINDS = ["float", "huge", "tiny", "int", "bool", "float32", "two_outputs"]


@st.composite
def odd_X(draw, n_rows, kind, layout):
    """A feature matrix of the given kind and layout; maybe constant columns and
    duplicated rows (hypothesis decides)."""
    dtype, magnitude = kind
    n_features = draw(st.integers(1, 4))
    base = draw(
        hnp.arrays(
            np.float64,
            (n_rows, n_features),
            elements=st.floats(-8, 8, allow_subnormal=False),
        )
    )
    if draw(st.booleans()):  # a constant column
        base[:, draw(st.integers(0, n_features - 1))] = draw(st.floats(-3, 3))
    if draw(st.booleans()):  # duplicated rows
        base[n_rows // 2 :] = base[: n_rows - n_rows // 2]
    if magnitude == "mixed":
        scaled = base * np.resize([1e-150, 1.0, 1e150], n_features)
    else:
        scaled = base * magnitude
    if dtype == "frame":  # one dtype per column, integers at their own scale
        kinds = draw(st.lists(st.sampled_from(["float", "int", "bool", "Int64"]),
                              min_size=n_features, max_size=n_features))  # fmt: skip
        columns = {}
        for j, column_kind in enumerate(kinds):
            column = scaled[:, j]
            if column_kind == "int":
                column = np.round(base[:, j]).astype(np.int32)
            elif column_kind == "bool":
                column = column > 0
            elif column_kind == "Int64":  # pandas' nullable integers
                column = pd.array(np.round(base[:, j]).astype(int), dtype="Int64")
            columns[f"x{j}"] = column
        return pd.DataFrame(columns)
    if dtype == "bool":
        X = scaled > 0
    elif dtype == "int64":
        X = np.round(scaled).astype(np.int64)
    else:
        X = scaled.astype(dtype)
    if layout == "F":
        return np.asfortranarray(X)
    if layout == "strided":  # contiguous in neither order
        return np.repeat(X, 2, axis=1)[:, ::2]
    if layout == "reversed":  # negative strides
        return X[::-1]
    return X


@st.composite
def odd_labels(draw, n_rows, kind):
    """Class labels of the given type; perhaps a single class."""
    n_classes = draw(st.integers(1, 3))
    codes = draw(hnp.arrays(np.int64, n_rows, elements=st.integers(0, n_classes - 1)))
    if kind == "str":
        return np.array(["cat", "dog", "emu"])[codes]
    if kind == "object":
        return np.array(["cat", "dog", "emu"], dtype=object)[codes]
    if kind == "bool":
        return codes % 2 == 1
    if kind == "float":
        return codes * 2.0 - 1.0  # integral floats: class labels to scikit-learn
    if kind == "series":
        return pd.Series(np.array(["x", "y", "z"])[codes])
    return codes + 7


@st.composite
def odd_targets(draw, n_rows, kind):
    """Regression targets: huge, tiny, integer, boolean or several outputs."""
    shape = (n_rows, 2) if kind == "two_outputs" else n_rows
    y = draw(hnp.arrays(np.float64, shape, elements=st.floats(-8, 8)))
    if kind == "huge":
        return y * 1e150
    if kind == "tiny":
        return y * 1e-150
    if kind == "int":
        return np.round(y).astype(np.int64)
    if kind == "bool":
        return y > 0
    if kind == "float32":
        return y.astype(np.float32)
    return y


def odd_problems(classifier: bool, case: int):
    """Case ``case``: an X kind, with a layout and a y kind cycled alongside, so
    that every kind meets several others over the X kinds."""
    x_kind = X_KINDS[case]
    layout = LAYOUTS[case % len(LAYOUTS)]
    y_kinds = LABEL_KINDS if classifier else TARGET_KINDS
    y_kind = y_kinds[case % len(y_kinds)]

    @st.composite
    def problems(draw):
        n_rows = draw(st.integers(2, 30))
        X = draw(odd_X(n_rows, x_kind, layout))
        if classifier:
            return X, draw(odd_labels(n_rows, y_kind))
        return X, draw(odd_targets(n_rows, y_kind))

    return problems()


def _check_predictions(est, X, y):
    n_rows = X.shape[0]
    prediction = est.predict(X)
    y = np.asarray(y)
    assert prediction.shape == y.shape
    if is_classifier(est):
        assert set(np.unique(prediction)) <= set(np.unique(y))
        proba = est.predict_proba(X)
        n_columns = len(est.classes_)
        if isinstance(est, skdeep.MLPClassifier) and n_columns == 1:
            n_columns = 2  # scikit-learn's MLP: [1 - p, p] for its one class
        assert proba.shape == (n_rows, n_columns)
        assert np.isfinite(proba).all() and (proba >= 0).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    else:
        assert np.isfinite(prediction).all(), "predictions must be finite"


@pytest.mark.parametrize(
    "case",
    range(len(X_KINDS)),
    ids=[f"{d}-{m:g}" if m != "mixed" else f"{d}-mixed" for d, m in X_KINDS],
)
@pytest.mark.parametrize("est", CONFIGURATIONS, ids=IDS)
def test_odd_inputs_fit_and_predict_finite_values_or_are_refused_with_advice(est, case):
    @HOSTILE
    @given(problem=odd_problems(is_classifier(est), case))
    def check(problem):
        X, y = problem
        model = clone(est)
        with _runtime_warnings_are_errors():
            try:
                model.fit(X, y)
            except (ValueError, TypeError) as error:
                message = str(error)
                assert any(re.search(p, message) for p in ACTIONABLE), message
                _check_unfitted(model)
                return
            for array in _fitted_arrays(model):
                assert np.isfinite(array).all(), "a fitted model holds NaN/inf"
            if isinstance(model, (skdeep.KNN, skdeep.KNNRegressor)) and (
                X.shape[0] < model.n_neighbors
            ):
                # As in scikit-learn, fit stores any number of points (a
                # kneighbors query may ask for fewer neighbours); the query
                # for n_neighbors says what is wrong.
                with pytest.raises(ValueError, match="fewer training points"):
                    model.predict(X)
                return
            _check_predictions(model, X, y)

    check()


# ----------------------------------------------------------------------------
# Prediction: bad queries are refused, odd but valid ones give finite values.

_BAD_QUERIES = [
    ("nan", _with(_X, 0, 2, np.nan), ValueError, "Input X contains NaN"),
    ("inf", _with(_X, 1, 0, np.inf), ValueError, "X contains infinity"),
    ("one_feature_short", _X[:, :2], ValueError, "expecting 3 features"),
    ("1-D", _X[0], ValueError, "Reshape your data"),
    ("complex", _X + 1j, ValueError, "Complex data not supported"),
    ("strings", np.array([["a", "b", "c"]]), ValueError, "could not convert"),
]


@pytest.mark.parametrize("est", CONFIGURATIONS, ids=IDS)
def test_bad_queries_are_refused_with_advice(est):
    est = clone(est)
    with _runtime_warnings_are_errors():
        est.fit(_X, _Y_CLASS if is_classifier(est) else _Y_REG)
        methods = ["predict"] + ["predict_proba"] * hasattr(est, "predict_proba")
        for _, X_bad, error, match in _BAD_QUERIES:
            for method in methods:
                with pytest.raises(error, match=match):
                    getattr(est, method)(X_bad)


@pytest.mark.parametrize("scale", [1e150, 1e-150])
@pytest.mark.parametrize("est", CONFIGURATIONS, ids=IDS)
def test_queries_of_extreme_magnitude_get_finite_predictions(est, scale):
    est = clone(est)
    with _runtime_warnings_are_errors():
        est.fit(_X, _Y_CLASS if is_classifier(est) else _Y_REG)
        queries = np.vstack([_X * scale, np.asfortranarray(_X[:5] * scale)])
        prediction = est.predict(queries)
        assert prediction.shape == (len(queries),)
        if is_classifier(est):
            assert set(prediction) <= set(_Y_CLASS)
            proba = est.predict_proba(queries)
            assert np.isfinite(proba).all()
            assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
        else:
            assert np.isfinite(prediction).all()


# ----------------------------------------------------------------------------
# Extreme sample weights: a subnormal weight or a sum beyond float64's range
# is refused with its cause (before: "A has a NaN entry", "learning_rate must
# be > 0", "non-finite parameter weights"), and a previous model is kept.

_EXTREME_WEIGHTS = [
    ("subnormal", np.full(24, 1e-320), "subnormal weights"),
    ("one_subnormal", np.r_[np.ones(23), 1e-320], "subnormal weights"),
    ("sum_overflows", np.full(24, 1e308), r"sums to more than 1\.8e\+308"),
    ("half_overflow", np.r_[np.ones(12), np.full(12, 1e308)], "sums to more than"),
]
_WEIGHTED = [
    est
    for est in CONFIGURATIONS
    if "sample_weight" in inspect.signature(est.fit).parameters
]


@pytest.mark.parametrize(
    ("weights", "match"),
    [pytest.param(w, m, id=name) for name, w, m in _EXTREME_WEIGHTS],
)
@pytest.mark.parametrize("est", _WEIGHTED, ids=[config_id(e) for e in _WEIGHTED])
def test_unrepresentable_sample_weights_are_refused_with_their_cause(
    est, weights, match
):
    est = clone(est)
    y = _Y_CLASS if is_classifier(est) else _Y_REG
    with _runtime_warnings_are_errors():
        est.fit(_X, y)
        before = _fitted_arrays(est)
        with pytest.raises(ValueError, match=match):
            est.fit(_X, y, sample_weight=weights)
    for kept, now in zip(before, _fitted_arrays(est), strict=True):
        assert_array_equal(kept, now)


@pytest.mark.parametrize("est", CLASSIFIERS, ids=[config_id(e) for e in CLASSIFIERS])
def test_labels_mixing_str_and_numpy_str_are_strings(est):
    # numpy.str_ is a subclass of str: they sort together (once refused as
    # "mixed types").
    labels = np.array(["a", np.str_("b"), "c"] * 8, dtype=object)
    as_str = labels.astype(str)
    with _runtime_warnings_are_errors():
        mixed = clone(est).fit(_X, labels)
        plain = clone(est).fit(_X, as_str)
    assert_array_equal(mixed.classes_, plain.classes_)
    assert_array_equal(mixed.predict(_X), plain.predict(_X))
