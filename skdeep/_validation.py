"""Input checks that scikit-learn's ``validate_data`` does not make for us.

skdeep computes float32 input in float32. Two things can then overflow that
float64 never meets in practice:

* Training sums products of features: the Gram matrix ``XᵀX`` of the closed
  forms, Newton's Hessian ``XᵀDX``, gradients and their norms. Each is bounded
  by the sum of squares of the entries, ``‖X‖²_F ≤ n·p·max|x|²``. Keeping
  that sum below a quarter of float32's maximum (3.4e38; a quarter leaves room
  for residuals, penalties and rounding added to it) gives the bound
  ``max|x| ≤ √(max / (4·n·p))``: 8.4e17 for 30 rows of 4 features, 9.2e14 for
  a million rows of 100. :func:`check_float32_magnitude` refuses data beyond
  it before any arithmetic, with advice, instead of letting an overflow turn
  into ``inf`` coefficients and RuntimeWarnings.
* Nearest neighbours compute distances in a scaled form that never overflows,
  but return them in the dtype of the data: the distance between float32
  points of magnitude ``m`` in ``n`` features can reach ``2·n·m`` (and
  ``n^(1/p)·2·m`` for a Minkowski power ``p < 1``), beyond float32's range
  when ``m`` exceeds ``max`` divided by that factor.
  :func:`check_float32_distances`.
* Prediction multiplies queries by learned weights: float32 queries far larger
  than the training data can overflow there, which no check of the queries
  alone can foresee (it depends on the weights). The predictions are computed
  with overflow silenced and :func:`check_float32_predictions` refuses them
  when they are not finite. A model that computes in float32 cannot take
  float64 queries beyond float32's range at all: :func:`check_castable`.

:func:`validate_data` is scikit-learn's, with one of its warnings silenced (see
there).

Targets: ``validate_data`` accepts string regression targets as they are (only
object arrays are converted, with ``y_numeric=True``) and lets labels that mix
strings and numbers through to ``np.unique``, which fails comparing them. Both
end in numpy errors that do not say what to change;
:func:`check_label_types` and :func:`check_numeric_targets` say it up front.
:func:`checked_class_weights` holds ``class_weight`` to ``sample_weight``'s
rules (finite, non-negative, not all zero). :func:`checked_sample_weight` adds
to scikit-learn's checks of ``sample_weight`` the range the weighted objective
needs (no subnormal weight, a finite sum).

Random state: :func:`as_generator` turns scikit-learn's ``random_state`` into
the NumPy Generator the core draws from.
"""

from __future__ import annotations

import math
from numbers import Integral

import numpy as np
import scipy.sparse
import sklearn
import sklearn.utils.validation
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    check_non_negative,
)

FLOAT32_MAX = float(np.finfo(np.float32).max)


def validate_data(estimator, /, *args, **kwargs):
    """:func:`sklearn.utils.validation.validate_data`, without its spurious warning.

    scikit-learn tests for NaN and infinity by summing the array first and
    falls back to an element-wise test when the sum is not finite. It silences
    the overflow of that sum, but not the ``inf + (-inf)`` that follows when
    large values of both signs overflow (float32 data near 3.4e38): numpy then
    warns "invalid value encountered in reduce" from inside scikit-learn,
    although the element-wise test that follows gives the right answer. Only
    that warning category is silenced, and only during validation; any value
    made NaN or infinite here is still refused by that same element-wise test.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> X = np.array([[3e38], [-3e38]], dtype=np.float32)
    >>> validate_data(BaseEstimator(), X, dtype=np.float32).dtype
    dtype('float32')
    """
    if len(args) == 1 and kwargs.get("reset", True) is False:
        X = _unchanged_queries(estimator, args[0], kwargs)
        if X is not None:
            return X
    with np.errstate(invalid="ignore"):
        return sklearn.utils.validation.validate_data(estimator, *args, **kwargs)


# The options of validate_data under which a query array that needs no
# conversion comes back as it is, and the size up to which the finite test is
# elementwise (faster than a sum on few values; larger arrays are summed, as
# scikit-learn does, to avoid a boolean temporary of their size).
_QUERY_OPTIONS = frozenset(
    {"reset", "dtype", "order", "accept_sparse", "accept_large_sparse",
     "ensure_all_finite"}
)  # fmt: skip
_SMALL_QUERIES = 1 << 16


def _unchanged_queries(estimator, X, options):
    """``X`` if ``validate_data(estimator, X, reset=False, **options)`` would
    return it unchanged and raise and warn nothing; None when in doubt.

    Prediction on a few rows is dominated by scikit-learn's validation (its
    dataframe detection alone costs tens of µs). For the common case -- a
    NumPy float array of an accepted dtype and order, an estimator fitted
    without feature names -- the same checks are a few attribute reads: the
    number of features, at least one row, and no NaN or infinity (unless
    scikit-learn's ``assume_finite`` is set, or NaN is allowed). Any other
    input, and any input that fails a check, goes through scikit-learn, which
    converts it or raises its own error.
    """
    if (
        type(X) is not np.ndarray
        or X.ndim != 2
        or X.dtype.kind != "f"
        or X.shape[0] == 0
        or X.shape[1] != getattr(estimator, "n_features_in_", None)
        or hasattr(estimator, "feature_names_in_")
        or not options.keys() <= _QUERY_OPTIONS
    ):
        return None
    dtype = options.get("dtype", "numeric")
    if isinstance(dtype, (list, tuple)):
        kept = X.dtype in dtype
    elif dtype is None or isinstance(dtype, str):  # None, "numeric": floats kept
        kept = dtype is None or dtype == "numeric"
    else:
        kept = X.dtype == dtype
    if not kept:
        return None
    order = options.get("order")
    if (order == "C" and not X.flags.c_contiguous) or (
        order == "F" and not X.flags.f_contiguous
    ):
        return None
    finite = options.get("ensure_all_finite", True)
    if finite is False or sklearn.get_config()["assume_finite"]:
        return X
    if X.size > _SMALL_QUERIES:  # scikit-learn's test, without its temporary
        with np.errstate(over="ignore", invalid="ignore"):
            return X if np.isfinite(X.sum()) else None
    if finite is True and np.isfinite(X).all():
        return X
    if finite == "allow-nan" and not np.isinf(X).any():
        return X
    return None


def check_fitted(estimator, attribute: str) -> None:
    """:func:`~sklearn.utils.validation.check_is_fitted`, answered by one attribute.

    scikit-learn's check lists every attribute of the estimator and builds its
    tags, at each call; an estimator that has ``attribute`` (one that ``fit``
    sets) is fitted without either. Without it, scikit-learn's check decides
    and raises its NotFittedError.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> check_fitted(LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0]), "coef_")
    >>> check_fitted(LinearRegression(), "coef_")
    Traceback (most recent call last):
    ...
    sklearn.exceptions.NotFittedError: This LinearRegression instance is not fitted...
    """
    if not hasattr(estimator, attribute):
        check_is_fitted(estimator)


def largest_magnitude(array) -> float:
    """``max |a|`` over a dense array or a sparse matrix's stored values; 0 if none.

    A min/max pair: no temporary the size of the array (``np.abs`` would make
    one).

    Examples
    --------
    >>> import numpy as np
    >>> largest_magnitude(np.array([[1.0, -7.5], [3.0, 2.0]]))
    7.5
    """
    values = array.data if scipy.sparse.issparse(array) else np.asarray(array)
    if values.size == 0:
        return 0.0
    return max(-float(values.min()), float(values.max()))


def float32_bound(n_entries: int) -> float:
    """The largest magnitude float32 training accepts for ``n_entries`` values.

    ``√(max / (4·n_entries))``: the sum of the squares of ``n_entries`` values
    of at most this magnitude is at most a quarter of float32's maximum.

    Examples
    --------
    >>> f"{float32_bound(1):.3g}"
    '9.22e+18'
    >>> f"{float32_bound(30 * 4):.3g}"
    '8.42e+17'
    """
    return math.sqrt(FLOAT32_MAX / (4 * max(int(n_entries), 1)))


def check_float32_magnitude(array, *, dtype, name: str = "X") -> None:
    """Refuse values whose float32 sums of squares could overflow.

    Nothing is checked unless the computation runs in float32 (``dtype``):
    float64 data is never refused here. ``array`` may have another dtype
    (targets cast to the dtype of X, for example).

    Parameters
    ----------
    array : ndarray or sparse matrix
        The features (``name="X"``) or targets (``name="y"``) of a fit.
    dtype : dtype
        The dtype the fit computes in.
    name : {"X", "y"}, default="X"
        The name of the array, for the message.

    Raises
    ------
    ValueError
        If ``dtype`` is float32 and some ``|value|`` exceeds
        :func:`float32_bound` of the array's size.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.full((30, 4), 1e17, dtype=np.float32)
    >>> check_float32_magnitude(X, dtype=X.dtype)
    >>> check_float32_magnitude(X * 100, dtype=X.dtype)
    Traceback (most recent call last):
    ...
    ValueError: X holds values up to 1e+19; float32 arithmetic on them overflows ...
    >>> check_float32_magnitude(X.astype(np.float64) * 100, dtype=np.float64)
    """
    if np.dtype(dtype) != np.float32:
        return
    n_entries = math.prod(array.shape)
    bound = float32_bound(n_entries)
    peak = largest_magnitude(array)
    if peak <= bound:
        return
    if name == "X":
        advice = (
            "Standardise the features (e.g. sklearn.preprocessing.StandardScaler) "
            "or pass float64 data."
        )
    else:
        advice = (
            "The fit runs in float32 because X is float32: standardise the "
            "targets (e.g. sklearn.compose.TransformedTargetRegressor with a "
            "StandardScaler) or pass X as float64."
        )
    raise ValueError(
        f"{name} holds values up to {peak:.3g}; float32 arithmetic on them "
        f"overflows (the sum of the squares of its {n_entries} entries can exceed "
        f"{FLOAT32_MAX:.3g}; the limit for this size is {bound:.3g}). {advice}"
    )


def check_castable(array, dtype) -> None:
    """Refuse values that do not fit ``dtype`` (float64 queries of a float32 model).

    Examples
    --------
    >>> import numpy as np
    >>> check_castable(np.array([[1e30]]), np.float32)
    >>> check_castable(np.array([[1e150]]), np.float32)
    Traceback (most recent call last):
    ...
    ValueError: X holds values up to 1e+150, beyond the float32 range ...
    """
    limit = float(np.finfo(dtype).max)
    peak = largest_magnitude(array)
    if peak > limit:
        raise ValueError(
            f"X holds values up to {peak:.3g}, beyond the {np.dtype(dtype)} range "
            f"(±{limit:.3g}) this model computes in (it was fitted on "
            f"{np.dtype(dtype)} data). Scale the queries as the training data was "
            "scaled, or refit on float64 data."
        )


def check_float32_distances(X, p: float | None = None) -> None:
    """Refuse float32 points whose distances may exceed float32's range.

    Between two points of magnitude at most ``m`` in ``n`` features, any
    Minkowski distance of power ``p >= 1`` (and the other metrics') is at most
    their Manhattan distance, ``2·n·m``; for ``0 < p < 1`` it reaches
    ``n^(1/p)·2·m`` (all coordinate differences equal). Keeping it below
    float32's maximum gives the bound ``m ≤ max / (2·n^(1/min(p, 1)))``.
    float64 data is never refused.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        The points.
    p : float or None, default=None
        The Minkowski power when it is below 1; None (or ``p >= 1``) otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> check_float32_distances(np.full((3, 2), 8e37, dtype=np.float32))
    >>> check_float32_distances(np.full((3, 2), 9e37, dtype=np.float32))
    Traceback (most recent call last):
    ...
    ValueError: X holds values up to 9e+37; the distances between such float32 ...
    >>> check_float32_distances(np.full((3, 2), 5e37, dtype=np.float32), p=0.5)
    Traceback (most recent call last):
    ...
    ValueError: X holds values up to 5e+37; the distances between such float32 ...
    """
    if X.dtype != np.float32:
        return
    n_features = max(X.shape[1], 1)
    exponent = 1.0 if p is None or p >= 1 else 1.0 / p
    with np.errstate(over="ignore"):  # tiny p: no magnitude but 0 is safe
        bound = FLOAT32_MAX / (2 * np.power(float(n_features), exponent))
    peak = largest_magnitude(X)
    if peak > bound:
        power = "" if exponent == 1.0 else f" and the Minkowski power p={p:g}"
        raise ValueError(
            f"X holds values up to {peak:.3g}; the distances between such float32 "
            f"points can exceed {FLOAT32_MAX:.3g}, the largest float32 (the limit "
            f"for {X.shape[1]} features{power} is {bound:.3g}). Standardise the "
            "features (e.g. sklearn.preprocessing.StandardScaler) or pass float64 "
            "data."
        )


def check_float32_predictions(predictions: np.ndarray, X) -> None:
    """Refuse float32 predictions that overflowed (queries far beyond the fit data).

    Examples
    --------
    >>> import numpy as np
    >>> check_float32_predictions(np.array([1.0], np.float32), np.ones((1, 1)))
    >>> check_float32_predictions(np.array([np.inf], np.float32), np.ones((1, 1)))
    Traceback (most recent call last):
    ...
    ValueError: The float32 predictions for X (values up to 1) overflow: ...
    """
    if predictions.dtype != np.float32 or np.isfinite(predictions).all():
        return
    raise ValueError(
        f"The float32 predictions for X (values up to {largest_magnitude(X):.3g}) "
        "overflow: the queries are far larger than the data the model was fitted "
        "on. Scale them as the training data was scaled (e.g. with the "
        "StandardScaler fitted on it), or fit and predict on float64 data."
    )


def check_label_types(y, estimator) -> None:
    """Refuse class labels that mix strings with other types (they cannot be sorted).

    Python's ``str`` and ``numpy.str_`` (a subclass) are both strings: they
    compare with each other, so a mix of the two is accepted.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> check_label_types(["a", "b"], BaseEstimator())
    >>> check_label_types(np.array(["a", np.str_("b")], dtype=object), BaseEstimator())
    >>> check_label_types(np.array(["a", 1], dtype=object), BaseEstimator())
    Traceback (most recent call last):
    ...
    TypeError: BaseEstimator: the class labels mix types (int, str), ...
    """
    labels = np.asarray(y)
    if labels.dtype != object:
        return
    types = {type(label) for label in labels.ravel()}
    kinds = {str if issubclass(t, str) else t for t in types}
    if len(kinds) > 1 and str in kinds:
        names = ", ".join(sorted(t.__name__ for t in types))
        raise TypeError(
            f"{type(estimator).__name__}: the class labels mix types ({names}), "
            "which cannot be sorted into classes_. Convert them to one type, for "
            "example all to strings with np.asarray(y).astype(str)."
        )


def check_dense_targets(y) -> None:
    """Refuse a sparse ``y``, as scikit-learn's checks refuse it for dense-only input.

    Examples
    --------
    >>> import scipy.sparse
    >>> check_dense_targets([0, 1])
    >>> check_dense_targets(scipy.sparse.csr_array([[0], [1]]))
    Traceback (most recent call last):
    ...
    TypeError: Sparse data was passed for y, but dense data is required. ...
    """
    if scipy.sparse.issparse(y):
        raise TypeError(
            "Sparse data was passed for y, but dense data is required. Use "
            "'.toarray()' to convert to a dense numpy array."
        )


def check_classification_labels(y) -> None:
    """:func:`~sklearn.utils.multiclass.check_classification_targets`, cheap for
    the common labels.

    One-dimensional integer, boolean or string labels are always classes
    ("binary" or "multiclass"); scikit-learn still validates them again and
    counts them with its array-API machinery, which costs as much as a small
    fit. Here they only need counting, for scikit-learn's warning that more
    than half the rows have labels of their own (likely a regression target):
    when that warning is due, and for any other ``y``, scikit-learn's check
    runs and warns or raises as it does.

    Examples
    --------
    >>> import numpy as np
    >>> check_classification_labels(np.array([0, 1, 1, 2]))
    >>> check_classification_labels(np.array([0.5, 1.5]))
    Traceback (most recent call last):
    ...
    ValueError: Unknown label type: continuous. Maybe you are trying to fit ...
    """
    if isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind in "iubU":
        n_samples = y.shape[0]
        if 0 < n_samples <= 20 or 0 < len(np.unique(y)) <= round(0.5 * n_samples):
            return
    check_classification_targets(y)


def check_numeric_targets(y, estimator) -> None:
    """Refuse regression targets given as strings.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> check_numeric_targets([1.5, 2.0], BaseEstimator())
    >>> check_numeric_targets(["1.5", "2.0"], BaseEstimator())
    Traceback (most recent call last):
    ...
    ValueError: BaseEstimator needs numeric targets, but y holds strings ...
    """
    targets = np.asarray(y)
    if targets.dtype.kind in "US" or (
        targets.dtype == object and any(isinstance(v, str) for v in targets.flat)
    ):
        raise ValueError(
            f"{type(estimator).__name__} needs numeric targets, but y holds "
            f"strings (dtype {targets.dtype}). Convert numbers written as text "
            "with np.asarray(y, dtype=float); for class labels use a classifier."
        )


def as_generator(random_state) -> np.random.Generator:
    """A NumPy Generator from scikit-learn's ``random_state`` (None, int, RandomState).

    An int always gives the same stream; a RandomState is advanced by one draw,
    so that successive fits with a shared RandomState differ, as in scikit-learn.
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, Integral):
        return np.random.default_rng(int(random_state))
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    return np.random.default_rng(seed)


def checked_sample_weight(sample_weight, X):
    """``sample_weight`` checked by scikit-learn, non-negative, and representable.

    None stays None. Beyond scikit-learn's checks, :func:`check_weight_range`.
    """
    if sample_weight is None:
        return None
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=X.dtype, ensure_non_negative=True
    )
    check_weight_range(sample_weight)
    return sample_weight


def check_weight_range(weights, name: str = "sample_weight") -> None:
    """Refuse weights the weighted objective cannot be computed with.

    The fits sum ``sᵢ·lossᵢ``, divide by ``Σsᵢ`` and take ``√sᵢ``. A
    subnormal weight (below the dtype's smallest normal number, 2.2e-308 in
    float64) keeps only a few significant digits and underflows to 0 in those
    products; weights summing beyond the dtype's maximum make ``Σsᵢ`` infinite.
    Either ended in messages about NaN or a zero learning rate from deep inside
    the solvers. Only the ratios of the weights matter to the loss, so the
    error says how to rescale them.

    Examples
    --------
    >>> import numpy as np
    >>> check_weight_range(np.array([1e-300, 1.0]))
    >>> check_weight_range(np.array([1e-320, 1.0]))
    Traceback (most recent call last):
    ...
    ValueError: sample_weight holds positive values down to 9.99989e-321, ...
    >>> check_weight_range(np.array([1e308, 1e308]))
    Traceback (most recent call last):
    ...
    ValueError: sample_weight sums to more than 1.8e+308, ...
    """
    dtype = weights.dtype
    info = np.finfo(dtype)
    positive = weights[weights > 0]
    smallest = float(positive.min()) if positive.size else 0.0
    if 0.0 < smallest < float(info.tiny):
        raise ValueError(
            f"{name} holds positive values down to {smallest:g}, below the "
            f"smallest normal {dtype} number ({float(info.tiny):.3g}): such "
            "subnormal weights keep only a few significant digits, and the "
            "weighted sums, means and square roots of the fit underflow. Multiply "
            "all the weights by the same large factor (only their ratios weigh "
            "the samples against each other; the penalty weighs against their "
            "sum), or set negligible weights to 0."
        )
    with np.errstate(over="ignore"):
        total = weights.sum(dtype=dtype)
    if not np.isfinite(total):
        raise ValueError(
            f"{name} sums to more than {float(info.max):.3g}, the largest {dtype} "
            "number: the weighted objective Σ sᵢ·lossᵢ overflows. Divide all the "
            "weights by their maximum (only their ratios weigh the samples "
            "against each other; the penalty weighs against their sum)."
        )


def checked_class_weights(by_row, sample_weight):
    """The per-row class weights times ``sample_weight``, checked like it.

    ``by_row`` holds each row's weight from ``class_weight``: non-finite and
    negative values are refused in ``sample_weight``'s words, and so is a
    product that is zero everywhere (nothing left to learn from).
    """
    check_array(by_row, ensure_2d=False, dtype=None, input_name="class_weight")
    check_non_negative(by_row, "`class_weight`")
    with np.errstate(over="ignore", under="ignore"):  # refused just below
        weights = by_row if sample_weight is None else sample_weight * by_row
    check_weight_range(weights, "class_weight times sample_weight")
    if not weights.any():
        raise ValueError(
            "class_weight (times sample_weight) leaves every sample with weight 0: "
            "at least one class present in y needs a non-zero weight."
        )
    return weights


def check_unfitted(name: str, state: dict, key: str) -> None:
    """Refuse the attributes ``state`` of an estimator ``name`` that lack its
    fitted ``key`` but hold other fitted attributes.

    scikit-learn's ``check_is_fitted`` deems an estimator fitted by any
    attribute ending in "_", so such a file would load as a fitted model
    without the model itself.
    """
    fitted = sorted(k for k in state if k.endswith("_") and not k.startswith("__"))
    if fitted:
        raise ValueError(
            f"{name} holds the fitted attributes {fitted[:5]} but no {key}; a "
            "fitted model holds all of its fitted attributes."
        )
