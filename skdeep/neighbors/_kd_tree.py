"""The kd-tree that ``algorithm='kd_tree'`` searches: scipy's ``cKDTree``.

It is built with sliding-midpoint splits and its cells left as split
(``balanced_tree=False, compact_nodes=False``): measured twice as fast to
build as scipy's defaults, and as fast or faster to query. From 6 to 16
features the points are also stored in the tree's leaf order
(:class:`LeafOrderedKDTree`), a copy of the training points.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

# From 6 to 16 features the tree's points are stored in its leaf order:
# measured 15-20 % faster queries at 8 features for one more build (about
# half the first one's time, the points being in order); about even at 4-6.
# Beyond 16 features a tree is slow anyway, and the copy would be large.
_LEAF_ORDER_MIN_FEATURES = 6
_LEAF_ORDER_MAX_FEATURES = 16


def build(X: np.ndarray, leaf_size: int):
    """The kd-tree of the training points ``X`` (float64, C-contiguous)."""
    settings = {"leafsize": leaf_size, "balanced_tree": False, "compact_nodes": False}
    if not _LEAF_ORDER_MIN_FEATURES <= X.shape[1] <= _LEAF_ORDER_MAX_FEATURES:
        return cKDTree(X, copy_data=False, **settings)
    return LeafOrderedKDTree(X, settings)


class LeafOrderedKDTree:
    """A ``cKDTree`` over a copy of the training points laid out leaf by leaf.

    ``cKDTree`` reads a leaf's points through its index array, scattered over
    the training set in training order; a query that visits a few dozen
    leaves then touches as many scattered cache lines per leaf. Built a
    second time on the points in the first tree's leaf order, the same splits
    come out with every leaf a contiguous run of memory. The answers are
    mapped back to training indices, so callers see a ``cKDTree``'s
    ``query`` and ``query_ball_point``.
    """

    def __init__(self, X: np.ndarray, settings: dict):
        self.order = cKDTree(X, copy_data=False, **settings).indices
        self.tree = cKDTree(X[self.order], copy_data=False, **settings)

    def query(self, Q, k, p, workers):
        """``cKDTree.query``, indices in training order."""
        dist, ind = self.tree.query(Q, k=k, p=p, workers=workers)
        return dist, self.order[ind]

    def query_ball_point(self, Q, r, p, workers, return_length=False):
        """``cKDTree.query_ball_point``, indices in training order."""
        found = self.tree.query_ball_point(
            Q, r, p=p, workers=workers, return_length=return_length
        )
        if return_length:
            return found
        return [self.order[np.asarray(f, dtype=np.intp)] for f in found]


KD_TREE_CLASSES = (cKDTree, LeafOrderedKDTree)
