"""The class labels of the linear classifiers: checks, indices and class weights.

What :class:`~skdeep.LogisticRegression` and :class:`~skdeep.SoftmaxClassifier`
do with ``y`` before any solver runs: check it holds labels, map them to class
indices (across the calls of ``partial_fit``, to the classes declared on the
first one), fold ``class_weight`` into the sample weights and refuse a single
class. scikit-learn keeps the like in ``sklearn.utils.multiclass`` and
``sklearn.utils.class_weight``.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from .._validation import (
    check_classification_labels,
    check_float32_magnitude,
    check_label_types,
    checked_class_weights,
    checked_sample_weight,
    validate_data,
)
from ._base import SPARSE_FORMATS


def validate_labelled(classifier, X, y, *, reset: bool = True):
    """``validate_data`` for a fit: X in float64 or float32, C order (or CSR/CSC).

    y is checked as labels. Other sparse formats are converted to CSR.
    """
    X, y = validate_data(
        classifier, X, y, dtype=[np.float64, np.float32], order="C",
        accept_sparse=SPARSE_FORMATS, reset=reset,
    )  # fmt: skip
    check_float32_magnitude(X, dtype=X.dtype)  # before any arithmetic
    check_label_types(y, classifier)
    check_classification_labels(y)
    return X, y


def stream_classes(classifier, classes, y):
    """The classes of a ``partial_fit`` stream, and the index of each label of y.

    On the first call they are ``classes`` (at least two); afterwards the fitted
    ``classes_``, which a ``classes`` passed again must equal. Labels outside
    them are refused.
    """
    if not hasattr(classifier, "classes_"):
        all_classes = np.unique(np.asarray(classes))
        if len(all_classes) < 2:
            raise ValueError(
                f"{type(classifier).__name__} needs at least 2 classes; classes= "
                f"lists only {len(all_classes)} class."
            )
    else:
        all_classes = classifier.classes_
        if classes is not None and not np.array_equal(
            np.unique(np.asarray(classes)), all_classes
        ):
            raise ValueError(
                f"classes={list(classes)!r} differs from the classes of the "
                f"first call to partial_fit, {all_classes.tolist()!r}."
            )
    unknown = np.setdiff1d(y, all_classes)
    if unknown.size:
        raise ValueError(
            f"y contains labels {unknown.tolist()!r} that are not in classes "
            f"{all_classes.tolist()!r} given on the first call to partial_fit."
        )
    return all_classes, np.searchsorted(all_classes, y)


def class_weighted(class_weight, X, y, y_index, sample_weight, classes):
    """sample_weight times the class weights (None when both are absent).

    "balanced" counts the classes by weight (scikit-learn's rule, so that a
    weight of 2 still equals a repeated row). In ``partial_fit`` only the
    rows at hand can be counted: each chunk is balanced over the classes it
    contains.
    """
    sample_weight = checked_sample_weight(sample_weight, X)
    if class_weight is None:
        return sample_weight
    # Balance the classes that carry weight: a class whose rows all have
    # weight 0 would divide by zero (and gets refused as absent anyway).
    rows = slice(None) if sample_weight is None else sample_weight > 0
    present = np.unique(y_index[rows])
    per_class = np.ones(len(classes))
    if class_weight == "balanced":
        per_class[present] = compute_class_weight(
            "balanced",
            classes=classes[present],
            y=y[rows],
            sample_weight=None if sample_weight is None else sample_weight[rows],
        )
    else:
        per_class = compute_class_weight(
            class_weight, classes=classes, y=y, sample_weight=sample_weight
        )
    return checked_class_weights(per_class[y_index].astype(X.dtype), sample_weight)


def check_two_classes(classifier, classes, y_index, sample_weight):
    """Refuse data with fewer than two classes, or two but only one with weight."""
    if len(classes) < 2:
        label = classes.tolist()[0]  # a Python value: 'a', not np.str_('a')
        raise ValueError(
            f"{type(classifier).__name__} needs samples of at least 2 classes in "
            f"the data, but the data contains only one class: {label!r}."
        )
    if sample_weight is not None:
        weighted = np.bincount(y_index, weights=sample_weight, minlength=2)
        if np.count_nonzero(weighted > 0) < 2:
            raise ValueError(
                f"{type(classifier).__name__} needs at least 2 classes with a "
                "positive total sample_weight; only one class has weight."
            )
