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
"""

from __future__ import annotations

import threading

import numpy as np
from joblib import effective_n_jobs, parallel_config
from sklearn.utils._chunking import get_chunk_n_rows
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import threadpool_limits

# Tile of the blocked kernels: 512 KiB for the tile and as much for its
# scratch stay in a core's L2 cache, whose bandwidth is what limits these
# kernels (32 x 4096 float32 measured fastest among 16..128 x 1024..8192
# tiles on 784 features).
_TILE_BYTES = 512 * 2**10
_TILE_ROWS = 32
# Exact recomputation gathers (pairs, n_features) float64 rows; this bounds it.
_REFINE_BYTES = 16 * 2**20
# Chunks stop growing at this block size, or at _MIN_ROWS rows if that is
# more: single-threaded float32 GEMM throughput is flat from ~256 query rows
# on (measured with 60000 x 784 training points), so bigger chunks only cost
# memory.
_MAX_BLOCK_BYTES = 64 * 2**20
_MIN_ROWS = 256

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
    """The training set and what every query reuses (norms, integer grid)."""

    def __init__(self, X: np.ndarray, metric: str, p: float | None):
        self.X = X
        self.metric = metric
        self.p = p
        self.grid = None
        if metric == "euclidean":
            # Norms in float64 (then rounded) so pass 1 adds one rounding only.
            self.sqnorms = np.einsum("ij,ij->i", X, X, dtype=np.float64)
            self.max_sqnorm = float(self.sqnorms.max())
        elif metric in ("manhattan", "chebyshev"):
            self.grid = _Grid.fit(X, metric)


class _Grid:
    """Coordinates rounded to an integer grid, for a faster Manhattan or
    Chebyshev rank pass in int16 or int8.

    A coordinate x becomes v = rint((x − lo) / s), clipped to [0, L]. Writing
    x̂ = lo + s·v and ‖·‖ for the metric's norm, the triangle inequality gives
    |d(a, b) − s·d(v_a, v_b)| ≤ ‖a − â‖ + ‖b − b̂‖: the integer distance is
    off by at most the two rows' own rounding, which is measured. Integer
    data spanning at most L levels sit on the grid (s = 1) and lose nothing.
    """

    def __init__(self, metric, lo, scale, levels, dtype):
        self.metric, self.lo, self.scale = metric, lo, scale
        self.levels, self.dtype = levels, dtype

    @classmethod
    def fit(cls, X, metric):
        # int8 differences of 7-bit values cannot overflow, nor int16 sums of
        # up to 128 differences of 8-bit values (see _grid_rank).
        chebyshev = metric == "chebyshev"
        levels, dtype = (127, np.int8) if chebyshev else (255, np.int16)
        lo, hi = float(X.min()), float(X.max())
        span = hi - lo
        if not np.isfinite(span):
            return None
        exact = span <= levels and np.array_equal(X, np.rint(X))
        scale = 1.0 if exact or span == 0 else span / levels
        grid = cls(metric, lo, scale, levels, dtype)
        values, err = grid.quantize(X)
        grid.exact = not err.any()
        err = grid.bound(X, err)
        # Feature-major, as the tiles read it: no transpose per query chunk.
        grid.XT = np.ascontiguousarray(values.T)
        grid.max_err = float(err.max())
        return grid

    def quantize(self, A):
        """Grid values of the rows of A and each row's rounding (norm of the
        offsets to the grid, as computed; see ``bound``)."""
        values = np.empty(A.shape, dtype=self.dtype)
        err = np.empty(A.shape[0])
        step = max(1, _REFINE_BYTES // (8 * A.shape[1]))
        for s in range(0, A.shape[0], step):
            a = A[s : s + step].astype(np.float64)
            v = np.rint((a - self.lo) / self.scale)
            np.clip(v, 0, self.levels, out=v)
            values[s : s + step] = v
            off = np.abs(a - (self.lo + self.scale * v))
            norm = off.max if self.metric == "chebyshev" else off.sum
            err[s : s + step] = norm(axis=1)
        return values, err

    def bound(self, A, err):
        """Upper bound on the true rounding of the rows of A, given ``err``:
        the float64 rounding of the offsets themselves, generously bounded."""
        top = max(abs(self.lo), abs(self.lo + self.scale * self.levels))
        top = max(top, float(np.abs(A).max()))
        slack = 8 * A.shape[1] * np.finfo(np.float64).eps * top
        return err * (1 + 1e-9) + slack


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


def _tile_shape(m: int, n_train: int, dtype) -> tuple[int, int]:
    elements = _TILE_BYTES // np.dtype(dtype).itemsize
    ct = min(n_train, max(1, elements // min(m, _TILE_ROWS)))
    return min(m, max(1, elements // ct)), ct


def _grid_rank(Q: np.ndarray, index: FittedIndex, out: np.ndarray):
    """out = the integer Manhattan or Chebyshev distances on the grid.

    Same tiles as the float kernel, in int16 or int8: a half or a quarter of
    the bytes per pass. Returns the per-row error bound, in grid units, and
    whether every point is on the grid (integer distances then exact).
    """
    grid = index.grid
    V, err = grid.quantize(Q)
    exact = grid.exact and not err.any()
    err = grid.bound(Q, err)
    VT = np.ascontiguousarray(V.T)
    (m, n_features), n_train = V.shape, grid.XT.shape[1]
    cq, ct = _tile_shape(m, n_train, grid.dtype)
    tmp_full = np.empty((cq, ct), dtype=grid.dtype)
    acc_full = np.empty((cq, ct), dtype=grid.dtype)
    chebyshev = grid.metric == "chebyshev"
    accumulate = np.maximum if chebyshev else np.add
    # 128 differences of at most 255 still fit int16; their sums then go to
    # the float32 block, exact for integers below 2**24 (784 x 255 = 199920).
    span = n_features if chebyshev else 128
    subtract, absolute = np.subtract, np.absolute
    for t0 in range(0, n_train, ct):
        XT = grid.XT[:, t0 : t0 + ct]
        width = XT.shape[1]
        for q0 in range(0, m, cq):
            target = out[q0 : q0 + cq, t0 : t0 + width]
            acc = acc_full[: target.shape[0], :width]
            tmp = tmp_full[: target.shape[0], :width]
            # Row views made once per tile: the loop below runs 3 NumPy calls a
            # feature and little else, which also keeps the GIL free for the
            # other threads most of the time.
            pairs = list(zip(VT[:, q0 : q0 + cq, None], XT, strict=True))
            for f0 in range(0, n_features, span):
                (a, x), *rest = pairs[f0 : f0 + span]
                subtract(a, x, out=acc)
                absolute(acc, out=acc)
                for a, x in rest:
                    subtract(a, x, out=tmp)
                    absolute(tmp, out=tmp)
                    accumulate(acc, tmp, out=acc)
                if f0 == 0:
                    target[...] = acc
                else:
                    np.add(target, acc, out=target)
    return (err + grid.max_err) / grid.scale, exact


def _blocked_rank(Q: np.ndarray, index: FittedIndex, dtype, out: np.ndarray):
    """Manhattan, Chebyshev or Σ|q − x|^p, accumulated one feature at a time.

    Each feature costs three NumPy passes over a tile that stays in cache:
    subtract (as an outer difference), absolute value (power), accumulate.
    """
    X, metric, p = index.X, index.metric, index.p
    n_train, n_features = X.shape
    m = Q.shape[0]
    QT = np.ascontiguousarray(Q.T, dtype=dtype)
    cq, ct = _tile_shape(m, n_train, dtype)
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


# Below this a sum of p-th powers may have lost terms to underflow (a term
# under 2^-1022 keeps less than full precision); above it the terms lost are
# at most n_features·2^-1022, a relative 2^-62·n_features of the sum.
_SMALLEST_EXACT_RANK = 2.0**-960


def _rank_out_of_range(Q, X, rows, cols, metric, exact) -> bool:
    """Whether a sum of powers overflowed, or underflowed for distinct points."""
    if metric not in ("euclidean", "minkowski"):
        return False  # sums and maxima of |differences| keep their range
    if not np.isfinite(exact).all():
        return True
    small = exact < _SMALLEST_EXACT_RANK
    if not small.any():
        return False
    largest = _exact_rank(Q, X, rows[small], cols[small], "chebyshev", None)
    return bool((largest > 0).any())


def _scaled_distance(Q, X, rows, cols, metric, p):
    """float64 distances of the pairs, each difference scaled by its largest term.

    ``m·(Σ (|d_j|/m)^p)^(1/p)`` with ``m = max_j |d_j|`` sums terms in [0, 1],
    which neither overflow nor underflow wholesale: the form for coordinates
    near 1e150 or 1e-150 (whose p-th powers leave the float64 range).
    """
    power = 2.0 if metric == "euclidean" else p
    out = np.empty(rows.shape[0], dtype=np.float64)
    step = max(1, _REFINE_BYTES // (8 * X.shape[1]))
    for s in range(0, rows.shape[0], step):
        diff = Q[rows[s : s + step]].astype(np.float64)
        diff -= X[cols[s : s + step]]
        np.abs(diff, out=diff)
        largest = diff.max(axis=1)
        diff /= np.where(largest > 0, largest, 1.0)[:, None]
        with np.errstate(under="ignore"):  # terms far below the largest: ≈ 0
            sums = np.power(diff, power, out=diff).sum(axis=1)
        out[s : s + step] = largest * np.power(sums, 1.0 / power)
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


def _chunk_kneighbors(Q, start, index, k, exclude_self, block, on_grid=False):
    """The k nearest training points of the queries Q (rows start..).

    ``block`` is scratch of at least ``Q.shape[0]`` rows, one per training
    point, in the dtype of the rank pass (float32 for the integer grid).
    Returns None if the grid's error bound proved too loose for these data.
    """
    X, metric, p = index.X, index.metric, index.p
    m, n_train = Q.shape[0], X.shape[0]
    dtype = block.dtype
    R = block[:m]
    # Overflow is allowed here: rows it touches are searched exhaustively below.
    with np.errstate(over="ignore", invalid="ignore"):
        exact_grid = False
        if on_grid:
            abs_tol, exact_grid = _grid_rank(Q, index, R)
            rel = 0.0
        elif metric == "euclidean":
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
    # Refining costs ~6x a float pass per pair, so beyond 1/16 of the pairs
    # (a grid too coarse for these data, e.g. stretched by outliers) the float
    # kernel is cheaper. If every point is on the grid, the candidates are
    # exact ties, which the float kernel would find just the same.
    many = rows.size > m * max(4 * k, n_train // 16)
    if on_grid and many and not exact_grid:
        return None

    # Powers of coordinates near 1e150 (1e-150) overflow (underflow): that is
    # detected right below, and the candidates are then compared by distances
    # computed in a scaled form instead.
    with np.errstate(over="ignore"):
        exact = _exact_rank(Q, X, rows, cols, metric, p)
    scaled = _rank_out_of_range(Q, X, rows, cols, metric, exact)
    if scaled:
        exact = _scaled_distance(Q, X, rows, cols, metric, p)
    # Rows ascending, then exact value, then training index: the tie rule.
    order = np.lexsort((cols, exact, rows))
    first = np.searchsorted(rows[order], local)
    take = order[first[:, None] + np.arange(k)]
    values = exact[take]
    return values if scaled else rank_to_distance(values, metric, p), cols[take]


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
    X = index.X
    if Q is None:
        Q = X
    dtype = np.result_type(Q.dtype, X.dtype)
    n_queries, n_train = Q.shape[0], X.shape[0]
    n_workers = max(1, min(_n_threads(n_jobs), n_queries))
    g = _group_size(n_train, k)
    row_bytes = dtype.itemsize * n_train * (1 + 1 / g) + 64 * k
    rows = get_chunk_n_rows(row_bytes * n_workers, working_memory=working_memory)
    rows = min(rows, max(_MIN_ROWS, int(_MAX_BLOCK_BYTES // row_bytes)))
    # As many chunks as workers at least, and a multiple of them, so that no
    # thread idles at the end.
    n_chunks = max(1, -(-n_queries // rows))
    n_chunks = n_workers * -(-n_chunks // n_workers)
    rows = -(-n_queries // n_chunks)
    starts = range(0, n_queries, rows)
    # One block per thread, reused by all its chunks: a fresh one would be
    # paged in by the kernel again for every chunk (~20 ms per 64 MiB).
    scratch = threading.local()
    # The integer grid until a chunk finds its error bound too loose.
    use_grid = [index.grid is not None]

    def run(s):
        args = (Q[s : s + rows], s, index, k, exclude_self)
        if use_grid[0]:
            if getattr(scratch, "grid_block", None) is None:
                scratch.grid_block = np.empty((rows, n_train), dtype=np.float32)
            result = _chunk_kneighbors(*args, scratch.grid_block, on_grid=True)
            if result is not None:
                return result
            use_grid[0] = False
            scratch.grid_block = None
        if getattr(scratch, "block", None) is None:
            scratch.block = np.empty((rows, n_train), dtype=dtype)
        return _chunk_kneighbors(*args, scratch.block)

    if n_workers == 1 or len(starts) == 1:
        results = [run(s) for s in starts]
    else:
        # The threads share the cores; BLAS threads on top would oversubscribe.
        with threadpool_limits(limits=1, user_api="blas"):
            results = Parallel(n_jobs=n_workers, backend="threading")(
                delayed(run)(s) for s in starts
            )
    distances = np.concatenate([r[0] for r in results])
    indices = np.concatenate([r[1] for r in results])
    return distances.astype(dtype, copy=False), indices
