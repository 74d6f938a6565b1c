"""Metrics whose distance block is exact as it comes: precomputed, callable,
scikit-learn ``DistanceMetric`` objects.

These have no fast rank pass to refine: their block already holds the
distances, so the search keeps the k smallest of each row directly
(``exact_block``). They are slower than the registered metrics, and exact.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import DistanceMetric, pairwise_distances

from ._metrics import _REFINE_BYTES, Metric


class Precomputed(Metric):
    """Distances given by the user: a query's row is its distance to each
    training point (the training set itself is the square matrix of fit).

    A sparse row is a neighbours graph's row: its stored entries (explicit
    zeros included) are the query's candidate neighbours, the others none.
    """

    name = "precomputed"
    exact_block = True

    def rank(self, Q, index, out):
        if sp.issparse(Q):
            Q = sp.csr_array(Q)
            out[...] = np.inf
            rows = np.repeat(np.arange(Q.shape[0]), np.diff(Q.indptr))
            out[rows, Q.indices] = Q.data
        else:
            out[...] = Q
        return 0.0, np.zeros(Q.shape[0])


def check_graph_neighbors(graph, n_neighbors: int, exclude_self: bool) -> None:
    """Refuse a precomputed neighbours graph with fewer than ``n_neighbors``
    stored neighbours in some row (a row's own point excluded if
    ``exclude_self``), in scikit-learn's words."""
    graph = sp.csr_array(graph)
    stored = np.diff(graph.indptr)
    if exclude_self:
        rows = np.repeat(np.arange(graph.shape[0]), stored)
        stored = stored - np.bincount(
            rows[graph.indices == rows], minlength=graph.shape[0]
        )
    fewest = int(stored.min()) if stored.size else n_neighbors
    if fewest < n_neighbors:
        raise ValueError(
            f"{n_neighbors} neighbors per samples are required, but some samples "
            f"have only {fewest} neighbors in precomputed graph matrix. Decrease "
            "number of neighbors used or recompute the graph with more neighbors."
        )


class UserMetric(Metric):
    """A callable ``metric(a, b, **metric_params)`` of two 1-D rows, as scikit-learn's
    ``pairwise_distances`` calls it (one Python call per pair)."""

    exact_block = True

    def __init__(self, function: Callable, params: dict | None = None):
        self.name = function
        self.kwargs = dict(params or {})

    @property
    def params(self) -> dict:
        return dict(self.kwargs)

    def rank(self, Q, index, out):
        out[...] = pairwise_distances(
            Q, index.points, metric=self.name, n_jobs=1, **self.kwargs
        )
        return 0.0, np.zeros(Q.shape[0])


def distance_metric_dtype(metric: DistanceMetric) -> type:
    """The dtype a ``DistanceMetric`` object computes in: float64 for a
    ``DistanceMetric64``, float32 for a ``DistanceMetric32``, as scikit-learn's
    public factory tells (it returns the object itself for its own dtype)."""
    for dtype in (np.float64, np.float32):
        try:
            if DistanceMetric.get_metric(metric, dtype=dtype) is metric:
                return dtype
        except ValueError:  # "Unrecognized metric": an object of the other dtype
            pass
    raise TypeError(f"{metric!r} is neither a DistanceMetric64 nor a DistanceMetric32.")


class ObjectMetric(Metric):
    """A scikit-learn ``DistanceMetric`` instance, whose public ``pairwise(Q, X)``
    computes each block: its distances, exact as it computes them, in its own
    dtype (float64 for ``DistanceMetric64``, float32 for ``DistanceMetric32``).
    """

    exact_block = True

    def __init__(self, metric: DistanceMetric):
        self.name = metric
        self.dtype = np.dtype(distance_metric_dtype(metric))

    def block_dtype(self, dtype) -> np.dtype:
        return self.dtype

    def rank(self, Q, index, out):
        X = index.points
        # pairwise returns a new array per call: training rows in tiles keep
        # that temporary within _REFINE_BYTES beside the block.
        step = max(1, _REFINE_BYTES // (out.itemsize * max(Q.shape[0], 1)))
        for t0 in range(0, X.shape[0], step):
            out[:, t0 : t0 + step] = self.name.pairwise(Q, X[t0 : t0 + step])
        return 0.0, np.zeros(Q.shape[0])


def smallest_in_block(D, k, exclude_start):
    """Distances and indices of the k smallest values of each row of ``D``,
    equal values ordered by column; ``exclude_start`` as in the search."""
    m = D.shape[0]
    order = np.argsort(D, axis=1, kind="stable")
    if exclude_start is not None:
        keep = order != (exclude_start + np.arange(m))[:, None]
        order = order[keep].reshape(m, -1)
    order = order[:, :k]
    return np.take_along_axis(D, order, axis=1).astype(np.float64), order
