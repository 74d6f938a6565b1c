"""A failed fit leaves no half-fitted estimator behind.

scikit-learn's estimators may be left partly overwritten when ``fit`` raises:
``validate_data`` sets ``feature_names_in_`` and ``n_features_in_`` before the
rest of the data is checked, and a solver may fail after that. skdeep promises
more: after a failed ``fit`` or ``partial_fit`` an estimator is exactly its
previous model (or unfitted, if it had none), never a mix of the two.
"""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def all_or_nothing(estimator):
    """Put the estimator's attributes back as they were if the body raises.

    The snapshot is shallow: it undoes attribute assignments and deletions,
    not changes made inside the stored objects. So a fit never changes a
    fitted object in place: it builds new objects, or trains copies (a
    network's warm start and ``partial_fit`` train a copy of the fitted
    network, optimizer and history), and assigns them when it succeeds.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> est = BaseEstimator()
    >>> try:
    ...     with all_or_nothing(est):
    ...         est.coef_ = [1.0]
    ...         raise ValueError("the solver failed")
    ... except ValueError:
    ...     pass
    >>> hasattr(est, "coef_")
    False
    """
    before = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(before)
        raise
