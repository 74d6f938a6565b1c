"""The shared shell of KNN and KNNRegressor: parameters, metric, neighbour queries.

scikit-learn's rules for ``metric``, ``p``, ``metric_params`` and
``algorithm`` are resolved here into one metric strategy (``_metrics`` for the
registered names and their aliases, ``_pairwise`` for 'precomputed',
callables and scikit-learn ``DistanceMetric`` objects), which the fitted
index keeps; ``_distances`` runs the search.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, is_classifier
from sklearn.metrics import DistanceMetric
from sklearn.neighbors import BallTree, KDTree, sort_graph_by_row_values
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils._sparse import _align_api_if_sparse
from sklearn.utils.validation import check_is_fitted, check_non_negative

from .._validation import check_fitted, check_float32_distances, validate_data
from .._warnings import warn
from . import _distances, _metrics, _pairwise, _trees
from ._fitted_state import check_neighbors_state

_FLOATS = [np.float64, np.float32]
ALGORITHMS = ("auto", "ball_tree", "kd_tree", "brute")


def _valid_metrics(algorithm: str) -> set[str]:
    """The metric names scikit-learn accepts with ``algorithm`` (among ours).

    Its trees know the registered names and aliases their metric class lists
    (``Metric.trees``) but not 'precomputed'; its brute force knows
    'precomputed' but not the aliases 'p' and 'infinity'. Read at fit time,
    so that a metric added to the registry counts.
    """
    names = set(_metrics.METRICS) | set(_metrics.ALIASES)
    if algorithm == "brute":
        return (names - {"p", "infinity"}) | {"precomputed"}
    return {name for name in names if algorithm in _metric_class(name).trees}


def _metric_class(name: str) -> type[_metrics.Metric]:
    return _metrics.METRICS[_metrics.ALIASES.get(name, name)]


def _check_distance_metric(algorithm: str, metric: DistanceMetric, X) -> None:
    """Refuse a ``DistanceMetric`` object where scikit-learn's search would.

    Its trees (an explicit 'kd_tree' or 'ball_tree' on dense data) compute in
    float64 and accept their own metrics only: they are built on one row to
    raise their own errors. Brute force (also 'auto', and sparse data)
    computes in the data's dtype: float64 data need a ``DistanceMetric64``,
    float32 data a ``DistanceMetric32``.
    """
    if algorithm in ("kd_tree", "ball_tree") and not sp.issparse(X):
        tree = KDTree if algorithm == "kd_tree" else BallTree
        tree(X[:1], metric=metric)
        return
    dtype = X.dtype.type
    if _pairwise.distance_metric_dtype(metric) is not dtype:
        raise ValueError(
            f"Unrecognized metric '{metric}' for {X.dtype} data: brute force "
            "computes in the data's dtype; make the metric with "
            f"DistanceMetric.get_metric(..., dtype=np.{X.dtype}) or pass "
            f"{'float32' if dtype is np.float64 else 'float64'} data."
        )


def _check_algorithm_metric(algorithm: str, metric) -> None:
    """Refuse the (algorithm, metric) pairs that scikit-learn refuses."""
    if isinstance(metric, DistanceMetric):
        return  # checked against the data: _check_distance_metric
    if algorithm == "auto":
        # scikit-learn's 'auto' falls back on brute force for the metrics
        # that its trees do not know.
        tree = callable(metric) or (
            metric != "precomputed" and "ball_tree" in _metric_class(metric).trees
        )
        algorithm = "ball_tree" if tree else "brute"
    if callable(metric):
        if algorithm == "kd_tree":
            raise ValueError(
                f"kd_tree does not support the callable metric {metric!r}."
            )
    elif metric not in _valid_metrics(algorithm):
        raise ValueError(
            f"Metric {metric!r} not valid with algorithm={algorithm!r}; valid "
            f"ones: {sorted(_valid_metrics(algorithm))}. Metric can also be a "
            "callable function."
        )


def _check_minkowski_power(p, algorithm: str) -> None:
    """Refuse a Minkowski power outside (0, inf], and 0 < p < 1 with the trees.

    For 0 < p < 1 the Minkowski "distance" breaks the triangle inequality (a
    semimetric), which scikit-learn's trees need and brute force does not.
    """
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not (0 < p <= np.inf):
        raise ValueError(
            f"The Minkowski power p must be a float in (0, inf], got {p!r}."
        )
    if p >= 1:
        return
    if algorithm in ("kd_tree", "ball_tree"):
        raise ValueError(
            f'algorithm="{algorithm}" does not support 0 < p < 1 for the '
            "Minkowski metric. To resolve this problem either set p >= 1 or "
            'algorithm="brute".'
        )
    warn(
        "Mind that for 0 < p < 1, Minkowski metrics are not distance metrics. "
        "Continuing the execution with `algorithm='brute'`.",
        UserWarning,
    )


def _check_graph_format(graph) -> None:
    """Refuse the sparse formats that cannot tell a stored zero distance (a
    neighbour at distance 0) from an absent entry, as scikit-learn does."""
    if graph.format not in ("csr", "csc", "coo", "lil"):
        raise TypeError(
            f"Sparse matrix in {graph.format!r} format is not supported due to "
            "its handling of explicit zeros"
        )


def _check_sparse_queries(algorithm: str, points) -> None:
    """Refuse sparse queries where scikit-learn's trees would answer them.

    scikit-learn fits its trees on dense training points only, and a tree
    cannot query sparse points.
    """
    if algorithm in ("kd_tree", "ball_tree") and not sp.issparse(points):
        raise ValueError(
            f"{algorithm} does not work with sparse matrices. Densify the data, "
            "or set algorithm='brute'"
        )


def _check_no_params(metric: str, params: dict) -> None:
    if params:
        raise TypeError(
            f"metric={metric!r} takes no metric_params, got {sorted(params)}."
        )


class _KNNBase(BaseEstimator):
    """Parameters, fitting of the index and the neighbour queries, shared."""

    # Constructor parameters added since files were first saved: a file that
    # lacks them loads with their defaults (read by skdeep.persistence).
    _added_parameters: ClassVar[frozenset] = frozenset(
        {"algorithm", "leaf_size", "metric_params"}
    )
    _parameter_constraints: ClassVar[dict] = {
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "weights": [StrOptions({"uniform", "distance"}), callable, None],
        "algorithm": [StrOptions(set(ALGORITHMS))],
        "leaf_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "p": [Interval(numbers.Real, 0, None, closed="right"), None],  # (0, inf]
        "metric": [
            StrOptions(set(_metrics.METRICS) | set(_metrics.ALIASES) | {"precomputed"}),
            callable,
            DistanceMetric,
        ],
        "metric_params": [dict, None],
        "n_jobs": [None, numbers.Integral],
    }

    def __init__(
        self,
        n_neighbors: int = 5,
        *,
        weights: str | Callable | None = "uniform",
        algorithm: str = "auto",
        leaf_size: int = 30,
        p: float | None = 2,
        metric: str | Callable = "minkowski",
        metric_params: dict | None = None,
        n_jobs: int | None = None,
    ):
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.p = p
        self.metric = metric
        self.metric_params = metric_params
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.pairwise = self.metric == "precomputed"
        tags.input_tags.allow_nan = self._allows_nan()
        return tags

    def _allows_nan(self) -> bool:
        # The allow_nan tag, read without building all the tags at each query.
        return (
            isinstance(self.metric, str)
            and self.metric in _metrics.METRICS
            and _metrics.METRICS[self.metric].allow_nan
        )

    def _validate_X(self, X, **kwargs):
        """``validate_data`` for training points or queries; ``kwargs`` go to it.

        A precomputed distance matrix must be non-negative (a sparse one is a
        neighbours graph, see :func:`_check_precomputed_graph`); float32
        points must keep their distances within float32's range; NaN is a
        missing value for the metrics that allow it ('nan_euclidean').
        """
        precomputed = self.metric == "precomputed"
        reset = kwargs.get("reset", True)
        given = X
        if precomputed and sp.issparse(X):
            _check_graph_format(X)
        elif sp.issparse(X) and not reset:
            _check_sparse_queries(self.algorithm, self._index.points)
        out = validate_data(
            self,
            X,
            dtype=_FLOATS,
            order="C",
            accept_sparse="csr",
            ensure_all_finite=("allow-nan" if self._allows_nan() else True),
            **kwargs,
        )
        X = out[0] if isinstance(out, tuple) else out
        if precomputed:
            check_non_negative(X, "X")
            if sp.issparse(X):
                # Sorted in a copy unless validation already made one.
                X = sort_graph_by_row_values(
                    X, copy=X is given, warn_when_not_sorted=True
                )
            if reset and X.shape[0] != X.shape[1]:
                raise ValueError(
                    "Precomputed matrix must be square. Input is a "
                    f"{X.shape[0]}x{X.shape[1]} matrix."
                )
        elif reset or self._index.points.dtype == np.float32:
            check_float32_distances(
                X, self._minkowski_power() if reset else self._index.p
            )
        return (X, *out[1:]) if isinstance(out, tuple) else X

    def _minkowski_power(self) -> float | None:
        """The Minkowski power that 'minkowski' or 'p' will use, if it is a
        valid power (``_metric_strategy`` refuses the others); else None."""
        if not isinstance(self.metric, str) or self.metric not in ("minkowski", "p"):
            return None
        default = self.p if self.metric == "minkowski" else 2
        p = (self.metric_params or {}).get("p", default)
        valid = isinstance(p, numbers.Real) and not isinstance(p, bool) and p > 0
        return float(p) if valid else None

    def _metric_strategy(self, X):
        """The metric strategy, ``effective_metric_`` and
        ``effective_metric_params_`` for the training points X, by
        scikit-learn's rules."""
        metric, params = self.metric, dict(self.metric_params or {})
        sparse_input = sp.issparse(X)
        _check_algorithm_metric(self.algorithm, metric)
        if "p" in params and self.p is not None:
            warn(
                "Parameter p is found in metric_params. The corresponding "
                "parameter from __init__ is ignored.",
                SyntaxWarning,
            )
        if sparse_input and self.algorithm not in ("auto", "brute"):
            warn("cannot use tree with sparse input: using brute force", UserWarning)
        if isinstance(metric, DistanceMetric):
            _check_no_params(metric, params)  # the object holds its parameters
            _check_distance_metric(self.algorithm, metric, X)
            return _pairwise.ObjectMetric(metric), metric, {}
        if callable(metric):
            return _pairwise.UserMetric(metric, params), metric, params
        if metric == "precomputed":
            return _pairwise.Precomputed(), metric, params
        if sparse_input and not _metric_class(metric).sparse:
            raise ValueError(
                f"Metric '{metric}' not valid for sparse input. Use a metric "
                "that accepts sparse input, or densify the data. Metric can "
                "also be a callable function."
            )
        if metric not in ("minkowski", "p"):
            _check_no_params(metric, params)
            return _metrics.get_metric(metric), metric, {}
        # scikit-learn's 'p' is Minkowski with metric_params' p, else 2: the
        # constructor's p is not read.
        p = params.pop("p", self.p if metric == "minkowski" else 2)
        if params.pop("w", None) is not None:
            raise ValueError(
                "Weighted Minkowski distances (metric_params 'w') are not supported."
            )
        _check_no_params(metric, params)
        _check_minkowski_power(p, self.algorithm)
        strategy = _metrics.get_metric("minkowski", p)
        if metric == "p":
            return strategy, metric, dict(self.metric_params or {})
        return strategy, strategy.name, strategy.params

    def _check_fitted_state(self) -> None:
        """Raise ``ValueError`` unless the fitted attributes are consistent
        (read by :func:`skdeep.load`, which fills them from a file)."""
        check_neighbors_state(self, classifier=is_classifier(self))

    def _fit_index(self, X) -> None:
        metric, effective, params = self._metric_strategy(X)
        self.effective_metric_ = effective
        self.effective_metric_params_ = params
        self.n_samples_fit_ = X.shape[0]
        algorithm = self._search_algorithm(X, metric)
        self._index = _distances.FittedIndex(X, metric, algorithm, self.leaf_size)
        if algorithm in _trees.TREES and _trees.get_tree(self._index) is None:
            self._index.prepare_brute_force(metric)  # out of the trees' range

    def _search_algorithm(self, X, metric) -> str:
        """The search that runs: a tree where asked for (or where 'auto'
        finds one faster) and the tree can search the metric; else brute
        force, which gives the same neighbours."""
        p = _trees.minkowski_power(metric)
        if sp.issparse(X) or p is None:
            return "brute"
        if self.algorithm == "auto":
            return _trees.choose(X.shape[0], X.shape[1], self.n_neighbors, p)
        return self.algorithm

    def _search(self, X, n_neighbors: int):
        """Distances and indices of the neighbours, by the fitted search."""
        index = self._index
        if index.algorithm not in ("brute", *_trees.TREES):
            raise ValueError(f"Unknown search {index.algorithm!r} in the fitted index.")
        if index.algorithm != "brute" and not sp.issparse(X):
            found = _trees.kneighbors(
                X, index, n_neighbors, exclude_self=X is None, n_jobs=self.n_jobs
            )
            if found is not None:
                return found
        index.prepare_brute_force()
        return _distances.kneighbors(
            X, index, n_neighbors, exclude_self=X is None, n_jobs=self.n_jobs
        )

    def kneighbors(
        self,
        X: np.ndarray | None = None,
        n_neighbors: int | None = None,
        return_distance: bool = True,
    ):
        """Find the k nearest training points of each query point.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_queries, n_features), \
default=None
            The query points, or with ``metric='precomputed'`` their distances
            to the training points, of shape (n_queries, n_samples_fit). If
            None, the neighbours of each training point are returned, each
            point being excluded from its own neighbours.
        n_neighbors : int, default=None
            Number of neighbours to return; the constructor's
            ``n_neighbors`` when None.
        return_distance : bool, default=True
            Whether to return the distances as well.

        Returns
        -------
        neigh_dist : ndarray of shape (n_queries, n_neighbors)
            Distances to the neighbours, ascending; float32 for float32 data
            (training and queries), float64 otherwise. Only returned when
            ``return_distance`` is True.
        neigh_ind : ndarray of shape (n_queries, n_neighbors)
            Indices of the neighbours in the training set. Equal distances
            are ordered by training index.
        """
        check_fitted(self, "n_samples_fit_")
        if n_neighbors is None:
            n_neighbors = self.n_neighbors
        if (
            isinstance(n_neighbors, bool)
            or not isinstance(n_neighbors, numbers.Integral)
            or n_neighbors < 1
        ):
            raise ValueError(
                f"n_neighbors must be a positive integer, got {n_neighbors!r}."
            )
        n_fit = self.n_samples_fit_
        if X is None:
            if n_neighbors >= n_fit:
                raise ValueError(
                    "Expected n_neighbors < n_samples_fit when X is None (each "
                    "training point is excluded from its own neighbours), but "
                    f"n_neighbors = {n_neighbors}, n_samples_fit = {n_fit}."
                )
        else:
            X = self._validate_X(X, reset=False)
            if n_neighbors > n_fit:
                raise ValueError(
                    f"Expected n_neighbors <= n_samples_fit, but n_neighbors = "
                    f"{n_neighbors}, n_samples_fit = {n_fit}, n_samples = "
                    f"{X.shape[0]}: there are fewer training points than "
                    "neighbours asked for."
                )
        graph = self._index.points if X is None else X
        if self.metric == "precomputed" and sp.issparse(graph):
            _pairwise.check_graph_neighbors(graph, n_neighbors, X is None)
        dist, ind = self._search(X, int(n_neighbors))
        return (dist, ind) if return_distance else ind

    def kneighbors_graph(
        self,
        X=None,
        n_neighbors: int | None = None,
        mode: str = "connectivity",
    ):
        """The graph of the k nearest training points of each query point.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_queries, n_features), \
default=None
            The query points, as in :meth:`kneighbors`; None for the training
            points, each excluded from its own neighbours.
        n_neighbors : int, default=None
            Number of neighbours of each query; the constructor's
            ``n_neighbors`` when None.
        mode : {'connectivity', 'distance'}, default='connectivity'
            'connectivity' gives each neighbour the value 1, 'distance' its
            distance.

        Returns
        -------
        A : sparse matrix of shape (n_queries, n_samples_fit)
            CSR matrix whose row i holds the neighbours of query i, in the
            order of :meth:`kneighbors`.
        """
        check_is_fitted(self)
        if n_neighbors is None:
            n_neighbors = self.n_neighbors
        if mode == "connectivity":
            ind = self.kneighbors(X, n_neighbors, return_distance=False)
            data = np.ones(ind.size)
        elif mode == "distance":
            data, ind = self.kneighbors(X, n_neighbors, return_distance=True)
            data = np.ravel(data)
        else:
            raise ValueError(
                'Unsupported mode, must be one of "connectivity", '
                f'or "distance" but got "{mode}" instead'
            )
        n_queries, k = ind.shape
        indptr = np.arange(0, n_queries * k + 1, k)
        graph = sp.csr_array(
            (data, ind.ravel(), indptr), shape=(n_queries, self.n_samples_fit_)
        )
        return _align_api_if_sparse(graph)

    def _neighbor_weights(self, dist: np.ndarray) -> np.ndarray | None:
        """Weights of the neighbours (None for uniform), as float64."""
        if self.weights is None or self.weights == "uniform":
            return None
        if self.weights == "distance":
            weights = _inverse_distance_weights(dist.astype(np.float64))
        else:
            weights = np.asarray(self.weights(dist), dtype=np.float64)
            if weights.shape != dist.shape:
                raise ValueError(
                    "The weights callable must return an array shaped like the "
                    f"distances {dist.shape}, got {weights.shape}."
                )
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError("Neighbour weights must be finite and non-negative.")
        if (weights == 0).all(axis=1).any():
            raise ValueError(
                "All neighbors of some sample is getting zero weights. "
                "Please modify 'weights' to avoid this case if you are "
                "using a user-defined function."
            )
        return weights


def _inverse_distance_weights(dist: np.ndarray) -> np.ndarray:
    """``1 / dist`` scaled by its row maximum, computed as ``min(dist) / dist``.

    The scale cancels in every weighted mean and vote, and keeps the weights in
    (0, 1]: ``1 / dist`` of a tiny distance overflows, or makes ``weight ·
    target`` overflow, where scikit-learn still predicts the target. An exact
    match takes all the weight: its row is 1 at the zero distances, 0 elsewhere.
    """
    nearest = dist.min(axis=1, keepdims=True)
    exact_rows = nearest[:, 0] == 0.0
    # Rows whose distances are all infinite give NaN, refused by the caller.
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = nearest / dist
    weights[exact_rows] = dist[exact_rows] == 0.0
    return weights
