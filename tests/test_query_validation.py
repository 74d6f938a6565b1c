"""skdeep._validation's shortcuts (issue 16): ``validate_data`` on queries,
``check_fitted`` and ``check_classification_labels`` answer as scikit-learn's
do -- the same array, the same errors and warnings -- for every input,
shortcut or not."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
import sklearn.utils.validation
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils.multiclass import check_classification_targets

import skdeep
from skdeep._validation import (
    _SMALL_QUERIES,
    check_classification_labels,
    check_fitted,
    validate_data,
)


class Fitted(BaseEstimator):
    def fit(self, X, y=None):
        validate_data(self, X)
        return self


def _outcome(validate, estimator, X, options):
    """What a call gives: the array (or the exception) and the warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = validate(estimator, X, reset=False, **options)
        except Exception as exc:  # compared with scikit-learn's below
            result = exc
    return result, [(w.category, str(w.message)) for w in caught]


def _assert_same_outcome(estimator, X, options):
    ours, our_warnings = _outcome(validate_data, estimator, X, options)
    theirs, their_warnings = _outcome(
        sklearn.utils.validation.validate_data, estimator, X, options
    )
    assert our_warnings == their_warnings
    if isinstance(theirs, Exception):
        assert type(ours) is type(theirs)
        assert str(ours) == str(theirs)
        return
    assert type(ours) is type(theirs)
    assert ours.dtype == theirs.dtype
    assert ours.flags.c_contiguous == theirs.flags.c_contiguous
    assert ours.flags.f_contiguous == theirs.flags.f_contiguous
    np.testing.assert_array_equal(ours, theirs)
    assert (ours is X) == (theirs is X)  # a copy exactly when scikit-learn copies


FITTED = Fitted().fit(np.ones((3, 4)))
LARGE_ROWS = _SMALL_QUERIES // 4 + 1  # 4 features: just above the elementwise test


def _queries():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 4))
    big = rng.normal(size=(LARGE_ROWS, 4))
    with_nan, with_inf = X.copy(), X.copy()
    with_nan[2, 1], with_inf[4, 3] = np.nan, -np.inf
    big_nan, big_inf = big.copy(), big.copy()
    big_nan[7, 0], big_inf[-1, 2] = np.nan, np.inf
    return {
        "float64": X,
        "float32": X.astype(np.float32),
        "float16": X.astype(np.float16),
        "int": np.arange(24).reshape(6, 4),
        "one row": X[3:4],
        "fortran": np.asfortranarray(X),
        "strided": rng.normal(size=(6, 8))[:, ::2],
        "NaN": with_nan,
        "inf": with_inf,
        "large": big,
        "large NaN": big_nan,
        "large inf": big_inf,
        "large overflowing sum": np.full((LARGE_ROWS, 4), 1e308),
        "3 features": X[:, :3],
        "no rows": X[:0],
        "1-D": X[0],
        "3-D": X[None],
        "list": X.tolist(),
        "object": X.astype(object),
    }


OPTIONS = [
    {},
    {"dtype": [np.float64, np.float32]},
    {"dtype": (np.float64, np.float32), "order": "C", "accept_sparse": "csr"},
    {"dtype": np.float64, "order": "F"},
    {"dtype": None, "ensure_all_finite": "allow-nan"},
    {"dtype": "numeric", "ensure_all_finite": False},
    {"dtype": np.float32, "copy": True},
]


@pytest.mark.parametrize("options", OPTIONS, ids=repr)
@pytest.mark.parametrize("name", list(_queries()))
def test_queries_are_validated_as_scikit_learn_does(name, options):
    _assert_same_outcome(FITTED, _queries()[name], options)


@pytest.mark.parametrize("name", ["NaN", "inf", "large NaN", "float64"])
def test_assume_finite_is_honoured(name):
    with sklearn.config_context(assume_finite=True):
        _assert_same_outcome(FITTED, _queries()[name], {})


def test_an_estimator_fitted_with_feature_names_still_warns_for_an_array():
    estimator = Fitted().fit(pd.DataFrame(np.ones((3, 4)), columns=list("abcd")))
    _assert_same_outcome(estimator, np.ones((2, 4)), {})
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        validate_data(estimator, np.ones((2, 4)), reset=False)


def test_an_estimator_never_fitted_checks_no_feature_count():
    _assert_same_outcome(Fitted(), np.ones((2, 7)), {})


def test_fitted_estimators_pass_and_others_get_scikit_learns_error():
    model = skdeep.LeastSquaresRegressor().fit(np.ones((3, 2)), np.arange(3.0))
    check_fitted(model, "coef_")
    message = re.escape(
        "This LeastSquaresRegressor instance is not fitted yet. Call 'fit'"
    )
    with pytest.raises(NotFittedError, match=message):
        check_fitted(skdeep.LeastSquaresRegressor(), "coef_")


@pytest.mark.parametrize(
    "make",
    [skdeep.LeastSquaresRegressor, skdeep.SoftmaxClassifier, skdeep.KNN,
     skdeep.KNNRegressor, skdeep.MLPClassifier, skdeep.MLPRegressor],
)  # fmt: skip
def test_predicting_without_fitting_raises_not_fitted(make):
    with pytest.raises(NotFittedError):
        make().predict(np.ones((1, 2)))


def _label_outcome(check, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            check(y)
            result = None
        except Exception as exc:  # compared with scikit-learn's below
            result = (type(exc), str(exc))
    return result, [(w.category, str(w.message)) for w in caught]


LABELS = {
    "int": np.array([3, 1, 2, 3]),
    "bool": np.array([True, False, True]),
    "unsigned": np.array([0, 1, 2], dtype=np.uint8),
    "str": np.array(["a", "b", "a"]),
    "one class": np.zeros(30, dtype=int),
    "20 rows, 20 classes": np.arange(20),
    # scikit-learn warns from 21 rows when more than half have their own label
    "21 rows, 10 classes": np.arange(21) % 10,
    "21 rows, 11 classes": np.arange(21) % 11,
    "22 rows, 11 classes": np.arange(22) % 11,
    "22 rows, 12 classes": np.arange(22) % 12,
    "integral floats": np.array([0.0, 1.0, 2.0]),
    "continuous": np.array([0.5, 1.0]),
    "bytes": np.array([b"a", b"b"]),
    "object": np.array([1, "a"], dtype=object),
    "list": [0, 1, 1],
    "2-D": np.array([[0, 1], [1, 1]]),
    "column": np.array([[0], [1]]),
    "empty": np.array([], dtype=int),
}


@pytest.mark.parametrize("name", list(LABELS))
def test_labels_are_checked_as_scikit_learn_does(name):
    y = LABELS[name]
    expected = _label_outcome(check_classification_targets, y)
    assert _label_outcome(check_classification_labels, y) == expected
