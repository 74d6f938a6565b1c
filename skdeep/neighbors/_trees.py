"""Exact k-nearest-neighbour search through the trees the dependencies maintain.

``algorithm='kd_tree'`` searches a :class:`scipy.spatial.cKDTree` (compiled,
its queries spread over ``workers`` threads), ``'ball_tree'`` a
:class:`sklearn.neighbors.BallTree` (queries spread over threads here), for
the Minkowski metrics with p ≥ 1 (Manhattan, Euclidean, Chebyshev, general
p). ``'auto'`` picks brute force or the kd-tree by :func:`choose`.

A tree answers in its own float64 arithmetic. The search asks it for one
neighbour more than wanted, then recomputes the distances of the candidates
exactly, as brute force does (:func:`~._distances._refine`), and orders them by
(distance, training index). Where the tree's (k+1)-th distance comes within its
rounding error of its k-th, the k-th place is ambiguous (ties, or distances a
few ulps apart): every point within that distance of the query, plus the
error bound, is fetched with a radius query and refined the same way. So the
neighbours, their order and the distances are those of brute force, ties
included. Data whose distances could leave the float64 range inside the tree
(coordinates beyond ~1e100, or differences below ~1e-100 for p > 1) are
searched by brute force, which rescales them.

The tree is a cache: it is built at fit, never saved or pickled (the fitted
index declares it transient), and rebuilt from the training points when a
loaded or copied estimator first queries.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from sklearn.neighbors import BallTree
from sklearn.utils._chunking import get_chunk_n_rows
from sklearn.utils.parallel import Parallel, delayed

from . import _kd_tree, _metrics
from ._distances import _n_threads, _refine

TREES = ("kd_tree", "ball_tree")
_TREE_CLASSES = {"kd_tree": _kd_tree.KD_TREE_CLASSES, "ball_tree": BallTree}
# Pairs refined at a time in the radius queries of ambiguous rows.
_MAX_BALL_PAIRS = 2**20
# Fewer queries than this are searched in the order given.
_SORT_MIN_QUERIES = 1024


def minkowski_power(metric: _metrics.Metric) -> float | None:
    """The Minkowski p ≥ 1 of a metric the trees search here, else None."""
    if isinstance(metric, _metrics.Minkowski):
        return metric.p if metric.p >= 1 else None
    if type(metric) in (_metrics.Euclidean, _metrics.Manhattan, _metrics.Chebyshev):
        return float(metric.minkowski_p)
    return None


# 'auto' rule, measured (docs/user_guide/neighbors.rst has the tables): on 2
# cores, Gaussian data, k=5, 2000 queries, the kd-tree is 1.5-25x faster than
# brute force up to 6 features for every metric and size. Beyond, brute
# force's matrix product (p = 2) and int16 grid (p = 1) win up to 2x below
# 50,000 training points at 7-8 features, and from 12 features at any size;
# Chebyshev's int8 grid wins less (the tree is as fast at 10 features on
# small sets, and faster from 20,000 points; at 12 from 50,000); other powers
# have neither (the tree is 1.4-3.5x faster at 12 features). BallTree was
# never the fastest.
# The most features for which 'auto' picks the tree, by Minkowski power:
# (below _LARGE training points, from _LARGE on).
_TREE_MAX_FEATURES = {1: (6, 8), 2: (6, 8), np.inf: (10, 12)}
_TREE_MAX_FEATURES_OTHER_POWERS = (12, 12)
_LARGE = 50_000


def choose(n_samples: int, n_features: int, n_neighbors: int, p: float) -> str:
    """The search that ``algorithm='auto'`` runs on dense data with the
    Minkowski metric of power ``p`` (≥ 1): 'kd_tree' or 'brute'."""
    if n_neighbors >= n_samples // 2:
        return "brute"
    small, large = _TREE_MAX_FEATURES.get(p, _TREE_MAX_FEATURES_OTHER_POWERS)
    max_features = large if n_samples >= _LARGE else small
    return "kd_tree" if n_features <= max_features else "brute"


def _rounding(n_features: int) -> float:
    """A relative bound, padded, on the rounding error of a tree's distance."""
    return 16 * (n_features + 4) * np.finfo(np.float64).eps


def _in_range(A: np.ndarray, p: float) -> bool:
    """Whether a tree's sums of |differences|^p of these points stay normal."""
    if A.size == 0:
        return True
    # Two reductions and no temporary: this runs on every query batch.
    largest = max(float(A.max()), -float(A.min()))
    limit = 1e300 / (A.shape[1] + 1)
    if p in (1, np.inf):
        return 2 * largest < limit
    magnitude = np.abs(A)
    smallest = float(np.min(magnitude, where=magnitude > 0, initial=np.inf))
    smallest = smallest * 2.0**-53 if smallest < np.inf else 1.0
    with np.errstate(over="ignore", under="ignore"):
        return bool(
            np.float64(2 * largest) ** p < limit and np.float64(smallest) ** p > 1e-290
        )


def get_tree(index):
    """The index's tree, built on first use; None if its points are out of range.

    Only a tree of the expected class is used: whatever else an attribute of
    that name holds (a file cannot hold a tree) is replaced by a fresh one.
    """
    kind = index.algorithm
    cls = _TREE_CLASSES[kind]
    cached = vars(index).get("tree")
    if isinstance(cached, cls) or cached is False:
        return cached or None
    metric = index.metric_strategy
    p = minkowski_power(metric)
    if p is None:
        raise ValueError(f"{kind} cannot search with the metric {metric.name!r}.")
    leaf_size = index.leaf_size
    if isinstance(leaf_size, bool) or not isinstance(leaf_size, int) or leaf_size < 1:
        raise ValueError(f"leaf_size must be a positive integer, got {leaf_size!r}.")
    X = np.ascontiguousarray(index.points, dtype=np.float64)
    if not _in_range(X, p):
        tree = False
    elif kind == "kd_tree":
        tree = _kd_tree.build(X, leaf_size)
    else:
        tree = BallTree(X, leaf_size=leaf_size, **_ball_metric(p))
    index.tree = tree
    return tree or None


def _ball_metric(p: float) -> dict:
    if p == np.inf:
        return {"metric": "chebyshev"}
    return {"metric": "minkowski", "p": p}


def _query(tree, Q, k, p, n_threads):
    """Tree distances and indices of the k nearest, shape (len(Q), k) each."""
    if not isinstance(tree, BallTree):
        dist, ind = tree.query(Q, k=k, p=p, workers=n_threads)
        return dist.reshape(len(Q), k), ind.reshape(len(Q), k)
    parts = np.array_split(np.arange(len(Q)), max(1, min(n_threads, len(Q) // 64)))
    if len(parts) == 1:
        return tree.query(Q, k=k)
    # sklearn's trees release the GIL while they search.
    results = Parallel(n_jobs=len(parts), backend="threading")(
        delayed(tree.query)(Q[part], k=k) for part in parts
    )
    return np.concatenate([r[0] for r in results]), np.concatenate(
        [r[1] for r in results]
    )


def kneighbors(Q, index, k, *, exclude_self=False, n_jobs=None, working_memory=None):
    """Distances and indices of the k nearest training points, as
    :func:`~._distances.kneighbors` returns them; None when the points are
    out of the trees' range (the caller then runs brute force)."""
    tree = get_tree(index)
    if tree is None:
        return None
    X = index.points
    queries = X if Q is None else Q
    Q64 = np.ascontiguousarray(queries, dtype=np.float64)
    p = minkowski_power(index.metric_strategy)
    if Q is not None and not _in_range(Q64, p):
        return None
    order = None
    if Q is not None and Q64.shape[0] >= _SORT_MIN_QUERIES:
        order = _spatial_order(Q64)
        Q64, queries = Q64[order], queries[order]
    search = _Search(tree, queries, X, index.metric_strategy, k, exclude_self)
    search.threads = _n_threads(n_jobs)
    wanted = k + exclude_self
    n_query = min(wanted + 1, X.shape[0])
    tol = _rounding(X.shape[1])
    rows_per_chunk = get_chunk_n_rows(64 * n_query, working_memory=working_memory)
    for start in range(0, Q64.shape[0], rows_per_chunk):
        chunk = Q64[start : start + rows_per_chunk]
        dist, ind = _query(tree, chunk, n_query, search.p, search.threads)
        # Consecutive neighbours whose order is open: the next distance is
        # within twice the rounding bound.
        close = dist[:, 1:] <= dist[:, :-1] * (1 + tol) ** 2
        ambiguous = np.zeros(chunk.shape[0], dtype=bool)
        if n_query > wanted:  # the k-th place itself is unsettled
            ambiguous = close[:, wanted - 1]
        search.refine_settled(
            start + np.flatnonzero(~ambiguous), ind[~ambiguous], close[~ambiguous]
        )
        unsettled = np.flatnonzero(ambiguous)
        if unsettled.size:
            radius = dist[unsettled, wanted - 1] * (1 + tol) ** 2
            search.settle(chunk[unsettled], start + unsettled, radius)
    if order is None:
        return search.distances, search.indices
    distances = np.empty_like(search.distances)
    indices = np.empty_like(search.indices)
    distances[order], indices[order] = search.distances, search.indices
    return distances, indices


def _spatial_order(Q64: np.ndarray) -> np.ndarray:
    """An order of the queries that keeps neighbouring queries together (the
    leaf order of a kd-tree built on them): consecutive queries then walk
    the same branches of the training tree, which stay in cache. Measured
    10-20 % faster at 8 features, as fast at 2."""
    tree = cKDTree(Q64, leafsize=16, balanced_tree=False, compact_nodes=False)
    return tree.indices


class _Search:
    """The output of one tree search, and how its candidates are refined."""

    def __init__(self, tree, queries, X, metric, k, exclude_self):
        self.tree, self.queries, self.X = tree, queries, X
        self.metric, self.k, self.exclude_self = metric, k, exclude_self
        self.p = minkowski_power(metric)
        self.threads = 1
        dtype = np.result_type(queries.dtype, X.dtype)
        self.distances = np.empty((queries.shape[0], k), dtype=dtype)
        self.indices = np.empty((queries.shape[0], k), dtype=np.intp)

    def refine_settled(self, selected, found: np.ndarray, tree_order=None) -> None:
        """:meth:`refine` for rows with as many candidates each (``found``, 2-D):
        one sort of a small 2-D block instead of a sort of all pairs. The
        points are in the trees' range, so the exact values cannot overflow.

        ``tree_order`` (optional, one row per query) flags each pair of
        consecutive candidates whose order the tree's distances leave open.
        """
        if selected.size == 0:
            return
        if not self.exclude_self and tree_order is not None:
            # Where the tree's distances of the k nearest are apart by more
            # than their rounding, the exact order is the tree's: only the
            # other rows are sorted.
            found = found[:, : self.k]
            tied = tree_order[:, : self.k - 1].any(axis=1)
            values = self._exact_values(selected, found)
            if tied.any():
                values[tied], found[tied] = _sort_rows(values[tied], found[tied])
        else:
            values = self._exact_values(selected, found)
            if self.exclude_self:
                values[found == selected[:, None]] = np.inf
            values, found = _sort_rows(values, found)
            values, found = values[:, : self.k], found[:, : self.k]
        self.distances[selected] = self.metric.to_distance(values)
        self.indices[selected] = found

    def _exact_values(self, selected, found: np.ndarray) -> np.ndarray:
        """Exact float64 rank values of the pairs (query row, ``found``)."""
        m, n_found = found.shape
        diff = self.queries[selected].astype(np.float64)[:, None, :] - self.X[found]
        values = self.metric.exact_rank(diff.reshape(m * n_found, -1))
        return values.reshape(m, n_found)

    def refine(self, selected, found) -> None:
        """Fill the rows ``selected`` from their candidates ``found`` (one
        sequence of training indices per row): the k nearest, by exact
        distances, ordered by (distance, training index)."""
        if selected.size == 0:
            return
        lengths = np.fromiter((len(f) for f in found), np.intp, len(found))
        rows = np.repeat(np.arange(len(found)), lengths)
        cols = np.concatenate(list(found)).astype(np.intp, copy=False)
        if self.exclude_self:
            keep = cols != selected[rows]
            rows, cols = rows[keep], cols[keep]
        Q = self.queries[selected]
        d, i = _refine(Q, self.X, rows, cols, self.metric, self.k)
        self.distances[selected], self.indices[selected] = d, i

    def settle(self, Q64, selected, radius) -> None:
        """Fill the ambiguous rows ``selected`` (queries ``Q64``) from every
        point within ``radius``, in groups of rows whose candidates fit in
        ``_MAX_BALL_PAIRS``."""
        tree, p, threads = self.tree, self.p, self.threads
        if not isinstance(tree, BallTree):
            counts = tree.query_ball_point(
                Q64, radius, p=p, workers=threads, return_length=True
            )
        else:
            counts = tree.query_radius(Q64, radius, count_only=True)
        ends = np.cumsum(counts)
        first = 0
        while first < selected.size:
            base = ends[first - 1] if first else 0
            last = int(np.searchsorted(ends, base + _MAX_BALL_PAIRS, "right"))
            last = max(last, first + 1)
            group = slice(first, last)
            if not isinstance(tree, BallTree):
                found = tree.query_ball_point(
                    Q64[group], radius[group], p=p, workers=threads
                )
            else:
                found = tree.query_radius(Q64[group], radius[group])
            self.refine(selected[group], found)
            first = last


def _sort_rows(values: np.ndarray, found: np.ndarray):
    """Each row of (``values``, ``found``) ordered by (value, training index)."""
    take = np.lexsort((found, values), axis=1)
    return (
        np.take_along_axis(values, take, axis=1),
        np.take_along_axis(found, take, axis=1),
    )
