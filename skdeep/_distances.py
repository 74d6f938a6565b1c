"""Exact brute-force k-nearest-neighbour search, chunked and memory-bounded.

The search runs in two passes per chunk of queries:

1. a fast *rank pass* fills an ``(n_queries_chunk, n_train)`` block with a
   value that orders the training points like the distance does, in the
   working dtype (float32 stays float32): the Euclidean block is one GEMM,
   ``‖x‖² − 2 q·x`` (``‖q‖²`` is the same along a row, so it is left out);
   Manhattan, Chebyshev and general Minkowski blocks are accumulated feature
   by feature in cache-sized tiles;
2. a *refinement*: every training point whose rank value could, within a
   rigorous bound on the rounding error of pass 1, belong to the k nearest
   is a candidate; its distance is recomputed exactly in float64 from the
   raw coordinates, and the k smallest are kept, sorted by (distance,
   training index).

So rounding in pass 1 (float32, or the cancellation of the GEMM identity)
never changes which neighbours come back or in which order: only the
number of candidates grows when the bound is loose.
"""

from __future__ import annotations

import numpy as np
from joblib import effective_n_jobs
from sklearn.utils._chunking import get_chunk_n_rows
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import threadpool_limits

# Tile of the blocked kernels: 32 x 4096 float32 (512 KiB for the block and as
# much for its scratch) stays in a core's L2 cache, which is what limits them;
# measured fastest among 16..128 x 1024..8192 tiles on 784 features.
_TILE_ELEMENTS = 32 * 4096
_TILE_ROWS = 32
# Exact recomputation gathers (pairs, n_features) float64 rows; this bounds it.
_REFINE_BYTES = 16 * 2**20
# Upper bound on a chunk's block: beyond it the block no longer stays in a
# large last-level cache and nothing is gained (measured on 60000 x 784).
_MAX_BLOCK_BYTES = 64 * 2**20

METRICS = ("euclidean", "manhattan", "chebyshev", "minkowski")


def effective_metric(metric: str, p: float) -> tuple[str, float | None]:
    """Map ``minkowski`` with p = 1, 2, inf onto its dedicated kernel."""
    if metric == "minkowski":
        if p == 1:
            return "manhattan", None
        if p == 2:
            return "euclidean", None
        if np.isinf(p):
            return "chebyshev", None
        return "minkowski", float(p)
    return metric, None


class FittedIndex:
    """The training set and what every query reuses (Euclidean norms)."""

    def __init__(self, X: np.ndarray, metric: str, p: float | None):
        self.X = X
        self.metric = metric
        self.p = p
        if metric == "euclidean":
            # Norms in float64 (then rounded) so pass 1 adds one rounding only.
            self.sqnorms = np.einsum("ij,ij->i", X, X, dtype=np.float64)
            self.max_sqnorm = float(self.sqnorms.max())


def _gamma(n: int, dtype: np.dtype) -> float:
    """Higham's γ_n = n·u / (1 − n·u): the relative error bound of n roundings."""
    u = np.finfo(dtype).eps / 2
    nu = n * u
    return nu / (1 - nu) if nu < 0.5 else np.inf


def _euclidean_rank(Q: np.ndarray, index: FittedIndex, dtype, out: np.ndarray):
    """out = ‖x‖² − 2 q·x; returns the per-row error bound of that block."""
    X = index.X
    # Scaling by −2 is exact, so it costs nothing in accuracy to fold it in.
    Qm2 = np.multiply(Q, -2, dtype=dtype)
    if X.dtype == dtype:
        np.matmul(Qm2, X.T, out=out)
    else:  # float32 training set, float64 queries: upcast tile by tile.
        step = max(1, _REFINE_BYTES // (8 * X.shape[1]))
        for t0 in range(0, X.shape[0], step):
            out[:, t0 : t0 + step] = Qm2 @ X[t0 : t0 + step].T.astype(dtype)
    out += index.sqnorms.astype(dtype)
    # |error| <= γ·(‖x‖² + 2‖q‖‖x‖) from the dot products (γ_d Σ|q_m x_m|),
    # the rounded norm and the final addition; doubled for safety margin.
    q_norm = np.sqrt(np.einsum("ij,ij->i", Q, Q, dtype=np.float64))
    M = index.max_sqnorm
    return 2 * _gamma(Q.shape[1] + 3, dtype) * (M + 2 * q_norm * np.sqrt(M))


def _blocked_rank(Q: np.ndarray, index: FittedIndex, dtype, out: np.ndarray):
    """Manhattan, Chebyshev or Σ|q − x|^p, accumulated one feature at a time.

    Each feature costs three NumPy passes over a tile that stays in cache:
    subtract (as an outer difference), absolute value (power), accumulate.
    """
    X, metric, p = index.X, index.metric, index.p
    n_train, n_features = X.shape
    m = Q.shape[0]
    QT = np.ascontiguousarray(Q.T, dtype=dtype)
    ct = min(n_train, max(1, _TILE_ELEMENTS // min(m, _TILE_ROWS)))
    cq = min(m, max(1, _TILE_ELEMENTS // ct))
    tmp_full = np.empty((cq, ct), dtype=dtype)
    accumulate = np.maximum if metric == "chebyshev" else np.add
    for t0 in range(0, n_train, ct):
        XT = np.ascontiguousarray(X[t0 : t0 + ct].T, dtype=dtype)
        width = XT.shape[1]
        for q0 in range(0, m, cq):
            acc = out[q0 : q0 + cq, t0 : t0 + width]
            tmp = tmp_full[: acc.shape[0], :width]
            a = QT[:, q0 : q0 + cq, None]
            for f in range(n_features):
                target = acc if f == 0 else tmp
                np.subtract(a[f], XT[f], out=target)
                np.abs(target, out=target)
                if p is not None:
                    np.power(target, p, out=target)
                if f:
                    accumulate(acc, tmp, out=acc)
    # Sequential sums of d non-negative terms, each rounded a few times: a
    # relative bound (plus underflow of |.|^p terms); max is exact.
    if metric == "chebyshev":
        rel = _gamma(2, dtype)
    else:
        extra = 0 if p is None else int(np.ceil(p)) + 3
        rel = _gamma(n_features + extra + 2, dtype)
    return rel


def _exact_rank(Q, X, rows, cols, metric, p):
    """float64 rank values of the pairs (Q[rows], X[cols]), in bounded batches."""
    out = np.empty(rows.shape[0], dtype=np.float64)
    step = max(1, _REFINE_BYTES // (8 * X.shape[1]))
    for s in range(0, rows.shape[0], step):
        diff = Q[rows[s : s + step]].astype(np.float64)
        diff -= X[cols[s : s + step]]
        if metric == "euclidean":
            out[s : s + step] = np.einsum("ij,ij->i", diff, diff)
        else:
            np.abs(diff, out=diff)
            if metric == "manhattan":
                out[s : s + step] = diff.sum(axis=1)
            elif metric == "chebyshev":
                out[s : s + step] = diff.max(axis=1)
            else:
                out[s : s + step] = np.power(diff, p, out=diff).sum(axis=1)
    return out


def rank_to_distance(values: np.ndarray, metric: str, p: float | None):
    if metric == "euclidean":
        return np.sqrt(values)
    if metric == "minkowski":
        return np.power(values, 1 / p)
    return values


def _group_size(n_train: int, k: int) -> int:
    """Training columns per group of the group-minimum pre-selection."""
    return int(np.clip(n_train // (8 * k), 1, 64))


def _chunk_kneighbors(Q, start, index, k, exclude_self, dtype):
    """The k nearest training points of the queries Q (rows start..)."""
    X, metric, p = index.X, index.metric, index.p
    m, n_train = Q.shape[0], X.shape[0]
    R = np.empty((m, n_train), dtype=dtype)
    # Overflow is allowed here: rows it touches are searched exhaustively below.
    with np.errstate(over="ignore", invalid="ignore"):
        if metric == "euclidean":
            abs_tol = _euclidean_rank(Q, index, dtype, R)
            rel = 0.0
        else:
            rel = _blocked_rank(Q, index, dtype, R)
            # Subnormal |.|^p terms lose absolute accuracy, at most this much.
            abs_tol = np.full(m, 4 * n_train * np.finfo(dtype).tiny)
    local = np.arange(m)
    if exclude_self:
        # Excluded, not pushed to inf: inf would look like overflow below.
        R[local, start + local] = np.finfo(dtype).max

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
        threshold = kth + 3 * (rel * np.abs(kth) / (1 - rel) + abs_tol)
    # Overflow (inf/nan) leaves no usable bound: those rows check every point.
    bad = ~np.isfinite(gm).all(axis=1) | ~np.isfinite(threshold)
    thr = np.full(m, np.inf, dtype=dtype)
    with np.errstate(over="ignore"):
        # Rounded up, never down, into the block's dtype.
        thr[~bad] = np.nextafter(threshold[~bad].astype(dtype), thr[:1])

    grp_rows, grps = np.nonzero((gm <= thr[:, None]) | bad[:, None])
    full = grps < n_groups
    fr, fg = grp_rows[full], grps[full]
    rows = np.concatenate([np.repeat(fr, g), grp_rows[~full]])
    cols = np.concatenate(
        [
            (fg[:, None] + n_groups * np.arange(g)).ravel(),
            grps[~full] - n_groups + n_full,
        ]
    )
    keep = (R[rows, cols] <= thr[rows]) | bad[rows]
    if exclude_self:
        keep &= cols != start + rows
    rows, cols = rows[keep], cols[keep]
    del R

    exact = _exact_rank(Q, X, rows, cols, metric, p)
    # Rows ascending, then exact value, then training index: the tie rule.
    order = np.lexsort((cols, exact, rows))
    first = np.searchsorted(rows[order], local)
    take = order[first[:, None] + np.arange(k)]
    return exact[take], cols[take]


def kneighbors(Q, index, k, *, exclude_self=False, n_jobs=None, working_memory=None):
    """Distances (float64) and indices of the k nearest training points.

    ``Q`` is None to query the training set itself, each point excluded from
    its own neighbours. Queries are cut into chunks whose rank block fits the
    ``working_memory`` budget (MiB, split among the ``n_jobs`` threads).
    """
    X = index.X
    if Q is None:
        Q = X
    dtype = np.result_type(Q.dtype, X.dtype)
    n_queries, n_train = Q.shape[0], X.shape[0]
    n_workers = max(1, min(effective_n_jobs(n_jobs), n_queries))
    g = _group_size(n_train, k)
    row_bytes = dtype.itemsize * n_train * (1 + 1 / g) + 64 * k
    rows = get_chunk_n_rows(row_bytes * n_workers, working_memory=working_memory)
    rows = min(rows, max(1, int(_MAX_BLOCK_BYTES // row_bytes)))
    # As many chunks as workers at least, and a multiple of them, so that no
    # thread idles at the end.
    n_chunks = max(1, -(-n_queries // rows))
    n_chunks = n_workers * -(-n_chunks // n_workers)
    rows = -(-n_queries // n_chunks)
    starts = range(0, n_queries, rows)

    def run(s):
        return _chunk_kneighbors(Q[s : s + rows], s, index, k, exclude_self, dtype)

    if n_workers == 1 or len(starts) == 1:
        results = [run(s) for s in starts]
    else:
        # The threads share the cores; BLAS threads on top would oversubscribe.
        with threadpool_limits(limits=1, user_api="blas"):
            results = Parallel(n_jobs=n_workers, prefer="threads")(
                delayed(run)(s) for s in starts
            )
    values = np.concatenate([r[0] for r in results])
    indices = np.concatenate([r[1] for r in results])
    distances = rank_to_distance(values, index.metric, index.p)
    return distances.astype(dtype, copy=False), indices
