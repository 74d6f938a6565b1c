"""k-nearest-neighbours classification and regression, exact.

The search itself (chunked rank blocks, exact refinement, threads) lives in
:mod:`skdeep.neighbors._distances` (brute force) and
:mod:`skdeep.neighbors._trees`, the metrics it can use in
:mod:`skdeep.neighbors._metrics`; this module is the scikit-learn shell around
them: parameters, validation, label encoding and the vote or average.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import (
    ClassifierMixin,
    MultiOutputMixin,
    RegressorMixin,
    _fit_context,
)
from sklearn.exceptions import DataConversionWarning

from .._fit_state import all_or_nothing
from .._validation import (
    check_classification_labels,
    check_dense_targets,
    check_fitted,
    check_label_types,
    check_numeric_targets,
)
from .._warnings import warn
from . import _metrics
from ._base import _KNNBase

_PARAMETERS_DOC = f"""
    n_neighbors : int, default=5
        Number of neighbours that vote (or are averaged).
    weights : {{'uniform', 'distance'}}, callable or None, default='uniform'
        Weight of each neighbour: 'uniform' (or None) weighs all alike;
        'distance' weighs by the inverse distance, and a query that coincides
        with training points takes those points only (each with weight 1); a
        callable maps the array of distances to an array of weights of the
        same shape.
    algorithm : {{'auto', 'ball_tree', 'kd_tree', 'brute'}}, default='auto'
        The search: 'brute' force, scipy's ``cKDTree`` ('kd_tree') or
        scikit-learn's ``BallTree`` ('ball_tree') for the Minkowski metrics
        (p >= 1) on dense data (brute force otherwise), and 'auto': the
        kd-tree up to 6 features for Euclidean and Manhattan (8 from 50,000
        training points), 10 for Chebyshev (12) and 12 for other powers
        (measured), brute force beyond. Checked as
        scikit-learn checks it (a callable metric is refused with 'kd_tree',
        'precomputed' with the trees, 'p' and 'infinity' with 'brute';
        sparse input with a tree warns). Every value returns the same exact
        neighbours, ties broken by training index, and the same distances.
    leaf_size : int, default=30
        Leaf size of the trees (at least 1): a speed setting that does not
        change the result.
    p : float or None, default=2
        Power of the Minkowski metric, in [1, inf] (``np.inf`` is allowed).
        Only used when ``metric='minkowski'``; a 'p' in ``metric_params``
        takes precedence (with a ``SyntaxWarning`` unless ``p`` is None).
    metric : {{{", ".join(map(repr, _metrics.METRICS))}, \
{", ".join(map(repr, _metrics.ALIASES))}, 'precomputed'}}, callable or \
DistanceMetric, default='minkowski'
        The distance. 'minkowski' uses the power ``p``; with p = 1, 2 or inf
        it is computed as 'manhattan', 'euclidean' or 'chebyshev'. 'l1' and
        'cityblock' are 'manhattan', 'l2' is 'euclidean', 'infinity' is
        'chebyshev', and 'p' is Minkowski with the power given in
        ``metric_params`` (2 if none; as in scikit-learn, the constructor's
        ``p`` is not read). With 'precomputed', X is a dense matrix of
        distances: square (training points to training points) in ``fit``,
        queries to training points afterwards. A callable ``f(a, b,
        **metric_params)`` of two 1-D rows returning their distance is
        called once per pair (exact, and much slower). A scikit-learn
        ``DistanceMetric`` object computes the distances itself (its
        ``pairwise``, exact as it computes them), with scikit-learn's rules:
        'auto' and 'brute' need one of the data's dtype (``DistanceMetric64``
        for float64 data, ``DistanceMetric32`` for float32), 'kd_tree' and
        'ball_tree' a ``DistanceMetric64`` of a metric that tree accepts; it
        takes no ``metric_params``, and ``skdeep.save`` refuses it (the
        metric's name saves).
    metric_params : dict, default=None
        Keyword arguments of the metric: ``{{'p': ...}}`` for 'minkowski' and
        'p', anything for a callable metric; other metrics take none.
    n_jobs : int, default=None
        Number of threads over which chunks of queries are spread. None
        means 1 (BLAS may still use several threads for the Euclidean GEMM),
        unless set by ``joblib.parallel_config(n_jobs=...)``; -1 means all
        processors. They are always threads of the process that runs the
        query, also under a process or Dask joblib backend."""

_ATTRIBUTES_DOC = """
    effective_metric_ : str, callable or DistanceMetric
        The metric used: ``metric``, except that 'minkowski' with p = 1, 2
        or inf becomes 'manhattan', 'euclidean' or 'chebyshev'.
    effective_metric_params_ : dict
        ``{'p': p}`` for the general Minkowski kernel, a copy of
        ``metric_params`` for 'p' and callable metrics, empty otherwise.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.
    n_samples_fit_ : int
        Number of training points."""

_NOTES_DOC = """
    The distance between a query :math:`q` and a training point :math:`x` is
    :math:`d_p(q, x) = (\\sum_j |q_j - x_j|^p)^{1/p}`, and
    :math:`d_\\infty(q, x) = \\max_j |q_j - x_j|`. Where ``algorithm`` runs a
    tree, it proposes candidates whose distances are then computed and
    ordered exactly as below (see the user guide). Brute force runs
    in chunks of queries whose distance block fits scikit-learn's
    ``working_memory`` budget. Euclidean blocks come from one matrix product,
    :math:`\\|x\\|^2 - 2\\, q \\cdot x` (the row constant :math:`\\|q\\|^2` does
    not change the order); Manhattan and Chebyshev blocks are accumulated
    feature by feature in cache-sized tiles of int16 or int8 coordinates
    rounded to a grid, general Minkowski ones in tiles of floats. float32 data
    are processed in float32. Sparse (CSR or CSC) data are never densified
    whole: Euclidean blocks come from sparse products, and the other metrics
    densify bounded tiles of queries and training points (no grid).

    Neither the cancellation of the product form, nor the grid, nor float32
    rounding can change the result: every training point whose computed
    value lies within a rigorous error bound of the k-th smallest (for the
    grid, by the triangle inequality, the two points' own distances to the
    grid) is a candidate, and
    the distances of the candidates are recomputed in float64 from the
    coordinates. The neighbours returned are therefore the exact k nearest,
    equal distances ordered by training index, with exact distances
    (rounded to float32 for float32 data). 'precomputed' and callable
    metrics skip the rank pass: their distances are kept as given."""


def _vote_winners(labels: np.ndarray, weights, n_classes: int) -> np.ndarray:
    """The class codes with the largest (weighted) vote, from the k labels alone.

    The same winners as the argmax of the (n_queries, n_classes) vote matrix
    that ``predict_proba`` normalises, without that matrix (8,000 classes took
    489 MiB for 8,000 queries): each row's labels are sorted (stably, so a
    class's weights keep their neighbour order), each class's weights are
    summed in that order from 0.0, as the matrix adds them, and the largest
    sum wins, equal sums going to the smallest code (NaN counts as largest,
    as in ``np.argmax``). A class no neighbour has holds a vote of 0 in the
    matrix: it wins when the best vote is negative or 0 and its code is
    smaller (possible with a callable ``weights`` only).
    """
    n_queries, k = labels.shape
    order = np.argsort(labels, axis=1, kind="stable")
    sorted_labels = np.take_along_axis(labels, order, axis=1)
    if weights is None:
        sorted_weights = np.ones((n_queries, k))
    else:
        sorted_weights = np.take_along_axis(
            np.asarray(weights, dtype=np.float64), order, axis=1
        )
    same_as_previous = np.zeros((n_queries, k), dtype=bool)
    same_as_previous[:, 1:] = sorted_labels[:, 1:] == sorted_labels[:, :-1]
    sums = np.empty((n_queries, k))
    sums[:, 0] = 0.0 + sorted_weights[:, 0]
    for j in range(1, k):
        sums[:, j] = (
            np.where(same_as_previous[:, j], sums[:, j - 1], 0.0) + sorted_weights[:, j]
        )
    last_of_class = np.ones((n_queries, k), dtype=bool)
    last_of_class[:, :-1] = ~same_as_previous[:, 1:]
    sums[~last_of_class] = -np.inf
    rows = np.arange(n_queries)
    best = np.argmax(sums, axis=1)
    winners = sorted_labels[rows, best]
    best_vote = sums[rows, best]
    # The smallest code no neighbour has: the first rank of the distinct
    # sorted codes that differs from its code (else their count).
    first_of_class = ~same_as_previous
    rank = np.cumsum(first_of_class, axis=1) - 1
    gap = first_of_class & (sorted_labels != rank)
    absent = np.where(
        gap.any(axis=1), rank[rows, np.argmax(gap, axis=1)], rank[:, -1] + 1
    )
    zero_wins = (absent < n_classes) & (
        (best_vote < 0) | ((best_vote == 0) & (absent < winners))
    )
    return np.where(zero_wins, absent, winners)


class KNN(ClassifierMixin, MultiOutputMixin, _KNNBase):
    __doc__ = f"""Classifier by vote of the k nearest training points.

    The predicted class is the one with the largest (weighted) number of
    votes among the ``n_neighbors`` nearest training points; equal votes go
    to the class that sorts first. ``predict_proba`` returns the normalised
    votes.

    Parameters
    ----------{_PARAMETERS_DOC}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,) or list of such arrays
        The class labels (a list with one array per output for multi-output
        targets).{_ATTRIBUTES_DOC}
    outputs_2d_ : bool
        Whether the target had several outputs at fit time.

    See Also
    --------
    KNNRegressor : The same neighbours, averaged instead of voting.
    sklearn.neighbors.KNeighborsClassifier : scikit-learn's version, which
        also offers trees and other metrics.

    Notes
    -----{_NOTES_DOC}

    With weights :math:`w_i` of the neighbours :math:`N(q)`, the probability
    of class :math:`c` is

    .. math:: P(c \\mid q) = \\frac{{\\sum_{{i \\in N(q),\\, y_i = c}} w_i}}
                                {{\\sum_{{i \\in N(q)}} w_i}}.

    References
    ----------
    .. [1] T. Cover and P. Hart, "Nearest neighbor pattern classification",
       IEEE Transactions on Information Theory 13(1), 1967.

    Examples
    --------
    >>> from skdeep import KNN
    >>> X = [[0.0], [1.0], [2.0], [3.0]]
    >>> y = [0, 0, 1, 1]
    >>> clf = KNN(n_neighbors=3).fit(X, y)
    >>> clf.predict([[1.1]])
    array([0])
    >>> clf.predict_proba([[1.1]])
    array([[0.667, 0.333]])
    >>> dist, ind = clf.kneighbors([[1.1]])
    >>> dist
    array([[0.1, 0.9, 1.1]])
    >>> ind
    array([[1, 2, 0]])
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Store the training set and encode the labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training points.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels.

        Returns
        -------
        self : KNN
            The fitted classifier.
        """
        with all_or_nothing(self):
            return self._fit(X, y)

    def _fit(self, X, y):
        check_dense_targets(y)
        X, y = self._validate_X(X, y=y, multi_output=True)
        check_label_types(y, self)
        check_classification_labels(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warn(
                "A column-vector y was passed when a 1d array was expected. "
                "Please change the shape of y to (n_samples,), for example "
                "using ravel().",
                DataConversionWarning,
            )
            y = y.ravel()
        self.outputs_2d_ = y.ndim == 2
        Y = y.reshape(y.shape[0], -1)
        classes, codes = [], np.empty(Y.shape, dtype=np.intp)
        for k in range(Y.shape[1]):
            classes_k, codes[:, k] = np.unique(Y[:, k], return_inverse=True)
            classes.append(classes_k)
        self.classes_ = classes if self.outputs_2d_ else classes[0]
        self._y = codes if self.outputs_2d_ else codes.ravel()
        self._fit_index(X)
        return self

    def _votes(self, X) -> list[np.ndarray]:
        """Weighted votes per output, each of shape (n_queries, n_classes)."""
        check_fitted(self, "n_samples_fit_")
        dist, ind = self.kneighbors(X)
        weights = self._neighbor_weights(dist)
        codes = self._y.reshape(self._y.shape[0], -1)
        classes = self.classes_ if self.outputs_2d_ else [self.classes_]
        rows = np.arange(ind.shape[0])
        votes = []
        for k, classes_k in enumerate(classes):
            labels = codes[ind, k]
            votes_k = np.zeros((ind.shape[0], classes_k.size))
            # One neighbour rank at a time: the order of the additions is that
            # of the neighbours, whatever the class.
            for j in range(ind.shape[1]):
                votes_k[rows, labels[:, j]] += 1.0 if weights is None else weights[:, j]
            votes.append(votes_k)
        return votes

    def predict(self, X):
        """Predict the class of each query point.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features) or None
            Query points; None predicts every training point from its
            neighbours other than itself.

        Returns
        -------
        y : ndarray of shape (n_queries,) or (n_queries, n_outputs)
            Predicted class labels.
        """
        check_fitted(self, "n_samples_fit_")
        dist, ind = self.kneighbors(X)
        weights = self._neighbor_weights(dist)
        codes = self._y.reshape(self._y.shape[0], -1)
        classes = self.classes_ if self.outputs_2d_ else [self.classes_]
        preds = [
            classes_k[_vote_winners(codes[ind, k], weights, classes_k.size)]
            for k, classes_k in enumerate(classes)
        ]
        return np.stack(preds, axis=1) if self.outputs_2d_ else preds[0]

    def score(self, X, y, sample_weight=None):
        """Accuracy of ``predict(X)`` against ``y`` (subset accuracy if 2-D).

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features) or None
            Query points; None scores every training point against its
            neighbours other than itself, i.e. leave-one-out accuracy.
        y : array-like of shape (n_queries,) or (n_queries, n_outputs)
            True labels.
        sample_weight : array-like of shape (n_queries,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Mean accuracy.
        """
        return super().score(X, y, sample_weight=sample_weight)

    def predict_proba(self, X):
        """Probability of each class: the normalised (weighted) votes.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features) or None
            Query points; None predicts every training point from its
            neighbours other than itself.

        Returns
        -------
        proba : ndarray of shape (n_queries, n_classes) or list of such arrays
            Class probabilities, columns in the order of ``classes_``; a list
            with one array per output for multi-output targets.
        """
        probas = [v / v.sum(axis=1, keepdims=True) for v in self._votes(X)]
        return probas if self.outputs_2d_ else probas[0]


class KNNRegressor(RegressorMixin, MultiOutputMixin, _KNNBase):
    __doc__ = f"""Regression by the (weighted) mean of the k nearest targets.

    Parameters
    ----------{_PARAMETERS_DOC}

    Attributes
    ----------{_ATTRIBUTES_DOC}

    See Also
    --------
    KNN : The same neighbours, voting for a class.
    sklearn.neighbors.KNeighborsRegressor : scikit-learn's version, which
        also offers trees and other metrics.

    Notes
    -----{_NOTES_DOC}

    With weights :math:`w_i` of the neighbours :math:`N(q)`, the prediction
    is :math:`\\hat y(q) = \\sum_{{i \\in N(q)}} w_i y_i / \\sum_{{i \\in N(q)}} w_i`.

    Examples
    --------
    >>> from skdeep import KNNRegressor
    >>> X = [[0.0], [1.0], [2.0], [3.0]]
    >>> y = [0.0, 1.0, 4.0, 9.0]
    >>> reg = KNNRegressor(n_neighbors=2).fit(X, y)
    >>> reg.predict([[1.2], [2.9]])
    array([2.5, 6.5])
    >>> KNNRegressor(n_neighbors=2, weights="distance").fit(X, y).predict([[2.0]])
    array([4.])
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Store the training set and the targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training points.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.

        Returns
        -------
        self : KNNRegressor
            The fitted regressor.
        """
        with all_or_nothing(self):
            return self._fit(X, y)

    def _fit(self, X, y):
        check_dense_targets(y)
        check_numeric_targets(y, self)
        X, y = self._validate_X(X, y=y, multi_output=True, y_numeric=True)
        self._y = y
        self._fit_index(X)
        return self

    def predict(self, X):
        """Predict the target of each query point.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features) or None
            Query points; None predicts every training point from its
            neighbours other than itself.

        Returns
        -------
        y : ndarray of shape (n_queries,) or (n_queries, n_outputs)
            The mean of the neighbours' targets, weighted by ``weights``.
        """
        check_fitted(self, "n_samples_fit_")
        dist, ind = self.kneighbors(X)
        weights = self._neighbor_weights(dist)
        Y = self._y.reshape(self._y.shape[0], -1)
        if weights is None:
            pred = np.mean(Y[ind], axis=1)
        else:
            pred = np.empty((ind.shape[0], Y.shape[1]), dtype=np.float64)
            denominator = np.sum(weights, axis=1)
            for j in range(Y.shape[1]):
                pred[:, j] = np.sum(Y[ind, j] * weights, axis=1) / denominator
        return pred.ravel() if self._y.ndim == 1 else pred

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R² of ``predict(X)`` against ``y``.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features) or None
            Query points; None scores every training point against its
            neighbours other than itself (leave-one-out).
        y : array-like of shape (n_queries,) or (n_queries, n_outputs)
            True targets.
        sample_weight : array-like of shape (n_queries,), default=None
            Sample weights.

        Returns
        -------
        score : float
            :math:`R^2 = 1 - \\sum_i (y_i - \\hat y_i)^2 / \\sum_i (y_i - \\bar y)^2`,
            averaged uniformly over the outputs.
        """
        return super().score(X, y, sample_weight=sample_weight)
