"""Exact brute-force k-nearest-neighbour search, chunked and memory-bounded.

The search runs in two passes per chunk of queries:

1. a fast *rank pass* fills an ``(n_queries_chunk, n_train)`` block with a
   value that orders the training points like the distance does, up to a
   bounded error (float32 data stay float32): the Euclidean block is one GEMM,
   ``‖x‖² − 2 q·x`` (``‖q‖²`` is the same along a row, so it is left out);
   Manhattan and Chebyshev blocks are accumulated feature by feature in
   cache-sized tiles of coordinates rounded to an integer grid (int16, int8:
   NumPy's passes over a tile are bound by bytes moved), general Minkowski
   blocks in tiles of floats;
2. a *refinement*: every training point whose rank value could, within a
   rigorous bound on the rounding error of pass 1, belong to the k nearest
   is a candidate; its distance is recomputed exactly in float64 from the
   raw coordinates, and the k smallest are kept, sorted by (distance,
   training index).

So rounding in pass 1 (the grid, float32, or the cancellation of the GEMM
identity) never changes which neighbours come back or in which order: only the
number of candidates grows when the bound is loose.

What is particular to a metric (its rank pass and error bound, its exact rank
values, rank values to distances) is one :class:`~._metrics.Metric` object;
this module is the driver: chunks, threads, candidate selection, refinement.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import scipy.sparse as sp
from joblib import effective_n_jobs, parallel_config
from sklearn.metrics import DistanceMetric
from sklearn.utils._chunking import get_chunk_n_rows
from sklearn.utils.parallel import Parallel, delayed

from ..nn._blas import single_blas_thread
from . import _metrics, _pairwise
from ._metrics import Metric
from ._rows import as_rows, dense_rows

# Chunks stop growing at this block size, or at _MIN_ROWS rows if that is
# more: single-threaded float32 GEMM throughput is flat from ~256 query rows
# on (measured with 60000 x 784 training points), so bigger chunks only cost
# memory.
_MAX_BLOCK_BYTES = 64 * 2**20
_MIN_ROWS = 256
# Chunks of fewer queries skip the narrow-dtype rank pass.
_NARROW_MIN_ROWS = 64


class FittedIndex:
    """The training set and what every query reuses (norms, integer grid).

    The metric is kept by name (and ``p``), as saved files hold it, and its
    strategy object is rebuilt from the registry when a search starts; a
    callable metric is kept as itself, with its ``metric_params``, and a
    ``DistanceMetric`` object as itself. A sparse
    training set is kept as its CSR arrays (``csr``), which files can hold,
    and read through :attr:`points`; a dense one as ``X``.

    ``algorithm`` is the search that runs: 'brute' (this module), or
    'kd_tree' / 'ball_tree' (:mod:`._trees`, with ``leaf_size``). A tree is a
    cache (attribute ``tree``): it is never pickled, copied or saved, and is
    rebuilt from the training points on first use.
    """

    # Brute-force indexes (and files saved before the trees) hold neither.
    algorithm = "brute"
    leaf_size = 30

    @classmethod
    def transient_attributes(cls) -> tuple[frozenset, frozenset]:
        """``(caches, scratch)``, as :meth:`skdeep.nn.Layer.transient_attributes`."""
        return frozenset({"tree"}), frozenset()

    def __getstate__(self) -> dict:
        caches, _ = self.transient_attributes()
        return {k: v for k, v in vars(self).items() if k not in caches}

    def __init__(self, X, metric: Metric, algorithm="brute", leaf_size=30):
        if sp.issparse(X):
            X = sp.csr_array(X)
            self.csr = {
                "data": X.data,
                "indices": X.indices,
                "indptr": X.indptr,
                "shape": [int(n) for n in X.shape],
            }
        else:
            self.X = X
        self.metric = metric.name
        self.p = metric.p
        if callable(metric.name):
            self.metric_params = metric.params
        if algorithm == "brute":
            # A brute-force index holds what 0.1.0.dev0 saved, no more.
            self.prepare_brute_force(metric)
        else:  # a tree search needs no norms nor grid
            self.algorithm = algorithm
            self.leaf_size = leaf_size

    def prepare_brute_force(self, metric: Metric | None = None) -> None:
        """Compute what brute force reuses (norms, grid), unless done: a tree
        index falls back on brute force for points out of the tree's range."""
        if "grid" not in vars(self):
            metric = metric or self.metric_strategy
            vars(self).update({"grid": None, **metric.fit(self.points)})

    @property
    def points(self):
        """The training points: the dense array, or the CSR array (no copy)."""
        csr = vars(self).get("csr")
        if csr is None:
            return self.X
        return sp.csr_array(
            (csr["data"], csr["indices"], csr["indptr"]), shape=tuple(csr["shape"])
        )

    @property
    def metric_strategy(self) -> Metric:
        if isinstance(self.metric, DistanceMetric):
            return _pairwise.ObjectMetric(self.metric)
        if callable(self.metric):
            return _pairwise.UserMetric(self.metric, self.metric_params)
        if self.metric == "precomputed":
            return _pairwise.Precomputed()
        return _metrics.get_metric(self.metric, self.p)


def _pair_values(Q, X, rows, cols, values_of):
    """``values_of(diff)`` for the float64 differences of the pairs
    (Q[rows], X[cols]), gathered in bounded batches."""
    out = np.empty(rows.shape[0], dtype=np.float64)
    step = max(1, _metrics._REFINE_BYTES // (8 * X.shape[1]))
    for s in range(0, rows.shape[0], step):
        # Gathered rows are a copy already: subtract in place.
        diff = dense_rows(Q, rows[s : s + step]).astype(np.float64, copy=False)
        diff -= dense_rows(X, cols[s : s + step])
        out[s : s + step] = values_of(diff)
    return out


def _largest_difference(diff):
    return np.abs(diff, out=diff).max(axis=1)


# Below this a sum of p-th powers may have lost terms to underflow (a term
# under 2^-1022 keeps less than full precision); above it the terms lost are
# at most n_features·2^-1022, a relative 2^-62·n_features of the sum.
_SMALLEST_EXACT_RANK = 2.0**-960


def _rank_out_of_range(Q, X, rows, cols, metric, exact) -> bool:
    """Whether a sum of powers overflowed, or underflowed for distinct points."""
    if metric.power is None:
        return False  # sums and maxima of |differences| keep their range
    if not np.isfinite(exact).all():
        return True
    small = exact < _SMALLEST_EXACT_RANK
    if not small.any():
        return False
    largest = _pair_values(Q, X, rows[small], cols[small], _largest_difference)
    return bool((largest > 0).any())


def _refine(Q, X, rows, cols, metric, k):
    """Distances and indices of the k nearest of the candidate pairs
    (Q[rows], X[cols]), by exact float64 values; every query has k at least."""
    # Powers of coordinates near 1e150 (1e-150) overflow (underflow): that is
    # detected right below, and the candidates are then compared by distances
    # computed in a scaled form instead.
    with np.errstate(over="ignore"):
        exact = _pair_values(Q, X, rows, cols, metric.exact_rank)
    scaled = _rank_out_of_range(Q, X, rows, cols, metric, exact)
    if scaled:
        exact = _pair_values(Q, X, rows, cols, metric.scaled_distance)
    order = _tie_rule_order(rows, exact, cols, Q.shape[0])
    first = np.searchsorted(rows[order], np.arange(Q.shape[0]))
    take = order[first[:, None] + np.arange(k)]
    values = exact[take]
    return values if scaled else metric.to_distance(values), cols[take]


def _tie_rule_order(rows, exact, cols, n_rows: int) -> np.ndarray:
    """The order of the pairs by row, then exact value, then training index
    (the tie rule). A three-key ``np.lexsort`` is the reference; where no
    two pairs of a row have equal values, a quicksort of the values and a
    stable radix sort of the (16-bit) rows give the same order 5x faster."""
    if n_rows > 2**16:
        return np.lexsort((cols, exact, rows))
    order = np.argsort(exact)
    order = order[np.argsort(rows[order].astype(np.uint16), kind="stable")]
    sorted_rows, sorted_values = rows[order], exact[order]
    tied = (sorted_rows[1:] == sorted_rows[:-1]) & (
        sorted_values[1:] == sorted_values[:-1]
    )
    return np.lexsort((cols, exact, rows)) if tied.any() else order


def _group_size(n_train: int, k: int) -> int:
    """Training columns per group of the group-minimum pre-selection.

    Smaller groups list fewer candidate pairs, larger ones leave fewer group
    minima to select from: measured fastest near √(n_train / 2k) (13 columns
    for 1797 training points and k=5, 22 for 5000, 64 from 40000 on).
    """
    return min(64, max(1, int(math.sqrt(n_train / (2 * k)))))


def _candidates(R, k, rel, abs_tol, exclude_start, limit=None):
    """The (row, column) pairs of the block R whose rank value could, within
    the error bound ``rel``, ``abs_tol``, belong to the row's k smallest.

    ``exclude_start`` is the training index of the first row when each row
    is a training point excluded from its own neighbours, else None. Returns
    None, before listing them, if the pairs of the groups that qualify are
    more than ``limit`` (None: no limit).
    """
    m, n_train = R.shape
    dtype = R.dtype
    # Pre-selection: the minimum of each group of g columns (strided groups,
    # so the reduction is a vectorised minimum of g contiguous rows); the
    # columns past the last full group stay single-column groups.
    g = _group_size(n_train, k)
    n_groups = n_train // g
    n_full = g * n_groups
    gm = np.minimum.reduce(R[:, :n_full].reshape(m, g, n_groups), axis=1)
    if n_full < n_train:
        gm = np.concatenate([gm, R[:, n_full:]], axis=1)
    # k distinct points lie at or below the k-th smallest group minimum, so the
    # true k-th rank value is at most it plus the error bound; any true
    # neighbour's computed value then lies within twice the bound.
    kth = np.partition(gm, k - 1, axis=1)[:, k - 1].astype(np.float64)
    if rel >= 0.25:
        threshold = np.full(m, np.inf)
    else:
        # The bounds above are rigorous (and padded); 2 is all the proof needs.
        # An overflowed kth (inf, and 0·inf = nan when rel = 0) marks its row
        # bad just below.
        with np.errstate(invalid="ignore", over="ignore"):
            threshold = kth + 2 * (rel * np.abs(kth) / (1 - rel) + abs_tol)
    # Overflow (inf/nan) leaves no usable bound: those rows check every point.
    bad = ~np.isfinite(gm).all(axis=1) | ~np.isfinite(threshold)
    thr = np.full(m, np.inf, dtype=dtype)
    with np.errstate(over="ignore"):
        # Rounded up, never down, into the block's dtype.
        thr[~bad] = np.nextafter(threshold[~bad].astype(dtype), thr[:1])

    grp_rows, grps = np.nonzero((gm <= thr[:, None]) | bad[:, None])
    full = grps < n_groups
    # A pass that leaves a quarter of the block in play has failed: stop
    # before listing its pairs (8 bytes of index and more per pair).
    if limit is not None and g * np.count_nonzero(full) > max(limit, R.size // 4):
        return None
    fr, fg = grp_rows[full], grps[full]
    rows = np.concatenate([np.repeat(fr, g), grp_rows[~full]])
    cols = np.concatenate(
        [
            (fg[:, None] + n_groups * np.arange(g)).ravel(),
            grps[~full] - n_groups + n_full,
        ]
    )
    keep = (R[rows, cols] <= thr[rows]) | bad[rows]
    if exclude_start is not None:
        keep &= cols != exclude_start + rows
    return rows[keep], cols[keep]


def _chunk_kneighbors(Q, start, index, metric, k, exclude_self, block, pass_="data"):
    """The k nearest training points of the queries Q (rows start..).

    ``block`` is scratch of at least ``Q.shape[0]`` rows, one per training
    point, in the dtype of the rank pass. ``pass_`` is the rank pass: 'grid'
    (the metric's integer grid, a float32 block), 'narrow' (the metric's
    rank in the narrower dtype of ``block``) or 'data' (in the data's dtype).
    Returns None if the error bound of a 'grid' or 'narrow' pass proved too
    loose for these data.
    """
    X = index.points
    m, n_train = Q.shape[0], X.shape[0]
    R = block[:m]
    if metric.exact_block:
        metric.rank(Q, index, R)
        return _pairwise.smallest_in_block(R, k, start if exclude_self else None)
    # Overflow is allowed here: rows it touches are searched exhaustively below.
    with np.errstate(over="ignore", invalid="ignore"):
        exact_grid = False
        if pass_ == "grid":
            abs_tol, exact_grid = metric.grid_rank(Q, index, R)
            rel = 0.0
        else:
            rel, abs_tol = metric.rank(Q, index, R)
    if exclude_self:
        # Excluded, not pushed to inf: inf would look like overflow below.
        local = np.arange(m)
        R[local, start + local] = np.finfo(R.dtype).max
    # Refining costs ~6x a float pass per pair, so beyond 1/16 of the pairs
    # (a grid too coarse for these data, e.g. stretched by outliers, or a
    # narrow dtype too coarse for their offset) the data's own pass is
    # cheaper. If every point is on the grid, the candidates are exact ties,
    # which that pass would find just the same.
    limit = m * max(4 * k, n_train // 16)
    cheap = pass_ != "data" and not exact_grid
    found = _candidates(
        R, k, rel, abs_tol, start if exclude_self else None, limit if cheap else None
    )
    if found is None or (cheap and found[0].size > limit):
        return None
    return _refine(Q, X, *found, metric, k)


def _n_threads(n_jobs: int | None) -> int:
    """Threads of this process that ``n_jobs`` asks for (None: 1, -1: every CPU).

    The chunks share memory (one scratch block per thread, the grid flag), so
    they always run on threads here, whatever joblib backend is active: under
    ``parallel_config(backend="dask")`` (set around every task on a Dask
    worker) joblib would count the cluster's cores and ship the chunks there.
    An ``n_jobs`` set by the caller's ``parallel_config`` still applies.
    """
    with parallel_config(backend="threading"):
        return effective_n_jobs(n_jobs)


def kneighbors(Q, index, k, *, exclude_self=False, n_jobs=None, working_memory=None):
    """Distances (float64) and indices of the k nearest training points.

    ``Q`` is None to query the training set itself, each point excluded from
    its own neighbours. Queries are cut into chunks whose rank block fits the
    ``working_memory`` budget (MiB, split among the ``n_jobs`` threads).
    """
    X = index.points
    if sp.issparse(X):
        X.check_format(full_check=True)  # a loaded file's arrays, before C reads them
    metric = index.metric_strategy
    Q = X if Q is None else as_rows(Q)
    dtype = np.result_type(Q.dtype, X.dtype)
    block_dtype = metric.block_dtype(dtype)
    n_queries, n_train = Q.shape[0], X.shape[0]
    n_workers = max(1, min(_n_threads(n_jobs), n_queries))
    g = _group_size(n_train, k)
    row_bytes = block_dtype.itemsize * n_train * (1 + 1 / g) + 64 * k
    rows = get_chunk_n_rows(row_bytes * n_workers, working_memory=working_memory)
    rows = min(rows, max(_MIN_ROWS, int(_MAX_BLOCK_BYTES // row_bytes)))
    # As many chunks as workers at least, and a multiple of them, so that no
    # thread idles at the end.
    n_chunks = max(1, -(-n_queries // rows))
    n_chunks = n_workers * -(-n_chunks // n_workers)
    rows = -(-n_queries // n_chunks)
    starts = range(0, n_queries, rows)
    # The cheaper rank passes first, each until a chunk finds its error bound
    # too loose for these data: the integer grid, or a narrower float dtype;
    # then the data's own dtype.
    passes = [("data", block_dtype)]
    narrow = None if metric.exact_block else metric.narrow_dtype(index, dtype)
    # Each chunk casts the training set to the narrow dtype: for a few
    # queries that costs more than the narrower product saves.
    if narrow is not None and rows >= _NARROW_MIN_ROWS:
        passes.insert(0, ("narrow", narrow))
    if getattr(index, "grid", None) is not None:
        passes.insert(0, ("grid", np.dtype(np.float32)))
    first_pass = [0]  # shared: the first pass that no chunk has given up on
    # One block per thread and pass, reused by all its chunks: a fresh one
    # would be paged in by the kernel again for every chunk (~20 ms per 64 MiB).
    scratch = threading.local()

    def run(s):
        args = (Q[s : s + rows], s, index, metric, k, exclude_self)
        level = first_pass[0]
        while True:
            name, block_dtype_ = passes[level]
            blocks = vars(scratch).setdefault("blocks", {})
            if name not in blocks:
                blocks.clear()  # the passes before are given up
                blocks[name] = np.empty((rows, n_train), dtype=block_dtype_)
            result = _chunk_kneighbors(*args, blocks[name], name)
            if result is not None:
                return result
            level += 1
            first_pass[0] = max(first_pass[0], level)

    if n_workers == 1 or len(starts) == 1:
        results = [run(s) for s in starts]
    else:
        # The threads share the cores; BLAS threads on top would oversubscribe.
        with single_blas_thread():
            results = Parallel(n_jobs=n_workers, backend="threading")(
                delayed(run)(s) for s in starts
            )
    distances = np.concatenate([r[0] for r in results])
    indices = np.concatenate([r[1] for r in results])
    return distances.astype(dtype, copy=False), indices
