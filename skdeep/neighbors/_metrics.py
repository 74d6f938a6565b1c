"""The metrics of the neighbour search: one strategy object per metric.

The search (:mod:`skdeep.neighbors._distances`) asks a metric for four
things, and knows nothing else about it:

- ``rank``: fill a block ``(queries, training points)`` with a cheap *rank
  value* that orders the training points like the distance does, and return
  a rigorous bound on its rounding error (relative, and absolute per query);
  metrics whose ``fit`` builds an integer grid also offer ``grid_rank``, the
  same on the grid;
- ``exact_rank``: the rank values of pairs of points in float64, from their
  coordinate differences;
- ``to_distance``: rank values to distances;
- ``power``: whether rank values are sums of powers, which may leave the
  float64 range (the search then compares ``scaled_distance`` instead).

:class:`Euclidean` ranks by one matrix product; :class:`Manhattan` and
:class:`Chebyshev` accumulate integer tiles of coordinates rounded to a grid
(:class:`_Grid`), and float tiles when the grid is too coarse;
:class:`Minkowski` accumulates float tiles of ``|q − x|^p`` (for 0 < p < 1
too: neither the ranking nor its error bound needs the triangle inequality);
:class:`NanEuclidean` and :class:`Haversine` fill their blocks exactly with
scikit-learn's pairwise functions. ``METRICS`` maps
the estimators' ``metric`` names to them: adding a metric is one class here
and its entry there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.metrics.pairwise import haversine_distances, nan_euclidean_distances

from .._validation import largest_magnitude
from ..nn._registry import lookup
from ._rows import dense_product, dense_rows, row_sqnorms

# Tile of the blocked kernels: 512 KiB for the tile and as much for its
# scratch stay in a core's L2 cache, whose bandwidth is what limits these
# kernels (32 x 4096 float32 measured fastest among 16..128 x 1024..8192
# tiles on 784 features).
_TILE_BYTES = 512 * 2**10
_TILE_ROWS = 32
# Rows gathered in float64 at a time (exact recomputation, grid rounding).
_REFINE_BYTES = 16 * 2**20


def reduce_rows(ufunc: np.ufunc, values: np.ndarray) -> np.ndarray:
    """``ufunc.reduce(values, axis=1)``, column by column where rows are short.

    NumPy pays per row when it reduces short rows (5x the time of a column
    loop for 2 features). The result is the same: NumPy adds fewer than 8
    terms in order, as the loop does, and a maximum does not round.
    """
    if values.shape[1] >= 8 or values.shape[1] == 0:
        return ufunc.reduce(values, axis=1)
    out = values[:, 0].copy()
    for j in range(1, values.shape[1]):
        ufunc(out, values[:, j], out=out)
    return out


def _gamma(n: int, dtype: np.dtype) -> float:
    """Higham's γ_n = n·u / (1 − n·u): the relative error bound of n roundings."""
    u = np.finfo(dtype).eps / 2
    nu = n * u
    return nu / (1 - nu) if nu < 0.5 else np.inf


def _tile_shape(m: int, n_train: int, dtype) -> tuple[int, int]:
    elements = _TILE_BYTES // np.dtype(dtype).itemsize
    ct = min(n_train, max(1, elements // min(m, _TILE_ROWS)))
    return min(m, max(1, elements // ct)), ct


class Metric:
    """A distance, as the neighbour search uses it.

    Subclasses set ``name`` (the estimators' ``metric`` value and
    ``effective_metric_``), implement ``rank`` and ``exact_rank``, and
    override the rest where their distance differs from the defaults.

    Parameters
    ----------
    p : float or None, default=None
        The estimator's Minkowski power; only :class:`Minkowski` keeps it.
    """

    name: ClassVar[str]
    #: The ``p`` for which ``metric='minkowski'`` is this metric, if any.
    minkowski_p: ClassVar[float | None] = None
    #: Exponent of the powers whose sums are the rank values; None when rank
    #: values are sums or maxima of |differences|, which keep their range.
    power: float | None = None
    p: float | None = None
    #: Whether ``rank`` fills the block with the exact distances themselves
    #: (no error bound, no refinement: the search keeps each row's k smallest).
    exact_block: ClassVar[bool] = False
    #: The ``algorithm`` values whose scikit-learn trees accept this metric.
    trees: ClassVar[frozenset] = frozenset({"ball_tree", "kd_tree"})
    #: Whether scikit-learn accepts sparse input with this metric.
    sparse: ClassVar[bool] = True
    #: Whether missing values (NaN) in X are allowed with this metric.
    allow_nan: ClassVar[bool] = False

    def __init__(self, p: float | None = None):
        pass

    @property
    def params(self) -> dict:
        """``effective_metric_params_``: ``{'p': p}`` if the metric keeps p."""
        return {} if self.p is None else {"p": self.p}

    def fit(self, X: np.ndarray) -> dict:
        """What the fitted index keeps for every query (norms, a grid), by name."""
        return {}

    def rank(self, Q, index, out) -> tuple[float, np.ndarray]:
        """Fill ``out`` with the rank values of the queries Q against ``index.X``.

        Returns the error bound ``(rel, abs_tol)``: each computed value v of a
        true value t has |v − t| ≤ rel·|t| + abs_tol[row].
        """
        raise NotImplementedError

    def block_dtype(self, dtype: np.dtype) -> np.dtype:
        """The dtype of the rank block for data of ``dtype`` (the data's own)."""
        return dtype

    def narrow_dtype(self, index, dtype: np.dtype) -> np.dtype | None:
        """A narrower block dtype for a first, cheaper rank pass on data of
        ``dtype`` (its looser bound only adds candidates), or None."""
        return None

    def exact_rank(self, diff: np.ndarray) -> np.ndarray:
        """float64 rank values of the pairs whose differences are the rows of
        ``diff`` (which may be overwritten)."""
        raise NotImplementedError

    def to_distance(self, values: np.ndarray) -> np.ndarray:
        return values

    def scaled_distance(self, diff: np.ndarray) -> np.ndarray:
        """float64 distances of the pairs, each difference scaled by its largest term.

        ``m·(Σ (|d_j|/m)^p)^(1/p)`` with ``m = max_j |d_j|`` sums terms in [0, 1],
        which neither overflow nor underflow wholesale: the form for coordinates
        near 1e150 or 1e-150 (whose p-th powers leave the float64 range).
        """
        np.abs(diff, out=diff)
        largest = diff.max(axis=1)
        diff /= np.where(largest > 0, largest, 1.0)[:, None]
        with np.errstate(under="ignore"):  # terms far below the largest: ≈ 0
            sums = np.power(diff, self.power, out=diff).sum(axis=1)
        return largest * np.power(sums, 1.0 / self.power)


class Euclidean(Metric):
    """L2, ranked by ``‖x‖² − 2 q·x``: one matrix product per block."""

    name = "euclidean"
    minkowski_p = 2
    power = 2.0

    def fit(self, X):
        # Norms in float64 (then rounded) so pass 1 adds one rounding only.
        sqnorms = row_sqnorms(X)
        return {"sqnorms": sqnorms, "max_sqnorm": float(sqnorms.max())}

    def rank(self, Q, index, out):
        """out = ‖x‖² − 2 q·x; returns the per-row error bound of that block.

        Sparse rows enter the same product (a sparse dot product sums fewer
        terms, so the dense bound holds for it).
        """
        X, dtype = index.points, out.dtype
        # Scaling by −2 is exact, so it costs nothing in accuracy to fold it in.
        Qm2 = (
            Q.astype(dtype) * -2 if sp.issparse(Q) else np.multiply(Q, -2, dtype=dtype)
        )
        if X.dtype == dtype and not (sp.issparse(Q) or sp.issparse(X)):
            np.matmul(Qm2, X.T, out=out)
        else:  # the training set cast to the block's dtype tile by tile
            step = max(1, _REFINE_BYTES // (8 * X.shape[1]))
            for t0 in range(0, X.shape[0], step):
                tile = X[t0 : t0 + step].T.astype(dtype)
                if sp.issparse(Q) or sp.issparse(X):
                    out[:, t0 : t0 + step] = dense_product(Qm2, tile)
                else:
                    np.matmul(Qm2, tile, out=out[:, t0 : t0 + step])
        out += index.sqnorms.astype(dtype)
        # |error| <= γ·(‖x‖² + 2‖q‖‖x‖) from the dot products (γ_d Σ|q_m x_m|),
        # the rounded norm and the final addition (two more roundings where
        # the coordinates were rounded to a narrower block); doubled for
        # safety margin.
        data_eps = np.finfo(np.result_type(Q.dtype, X.dtype)).eps
        n_roundings = Q.shape[1] + (5 if np.finfo(dtype).eps > data_eps else 3)
        q_norm = np.sqrt(row_sqnorms(Q))
        M = index.max_sqnorm
        return 0.0, 2 * _gamma(n_roundings, dtype) * (M + 2 * q_norm * np.sqrt(M))

    def narrow_dtype(self, index, dtype):
        # A float32 pass for float64 data: half the product's time and the
        # block's bytes. Only where squared norms sit well inside float32's
        # range; a query far outside it overflows, and the search falls back.
        if dtype != np.float64 or sp.issparse(index.points):
            return None
        return np.dtype(np.float32) if 1e-30 <= index.max_sqnorm <= 1e30 else None

    def exact_rank(self, diff):
        return np.einsum("ij,ij->i", diff, diff)

    def to_distance(self, values):
        return np.sqrt(values)


def _blocked_rank(Q, X, out, accumulate, power):
    """out = Σ|q − x|^power (or max|q − x|), accumulated one feature at a time.

    Each feature costs three NumPy passes over a tile that stays in cache:
    subtract (as an outer difference), absolute value (power), accumulate.
    ``power`` None leaves |q − x| as it is. Sparse queries or training points
    are densified one tile at a time, never whole.
    """
    dtype = out.dtype
    n_train, n_features = X.shape
    m = Q.shape[0]
    cq, ct = _tile_shape(m, n_train, dtype)
    if sp.issparse(X):  # a dense training tile of at most _REFINE_BYTES
        ct = min(ct, max(1, _REFINE_BYTES // (np.dtype(dtype).itemsize * n_features)))
    QT = None if sp.issparse(Q) else np.ascontiguousarray(Q.T, dtype=dtype)
    tmp_full = np.empty((cq, ct), dtype=dtype)
    for t0 in range(0, n_train, ct):
        XT = np.ascontiguousarray(dense_rows(X, slice(t0, t0 + ct)).T, dtype=dtype)
        width = XT.shape[1]
        for q0 in range(0, m, cq):
            acc = out[q0 : q0 + cq, t0 : t0 + width]
            tmp = tmp_full[: acc.shape[0], :width]
            if QT is None:
                rows = dense_rows(Q, slice(q0, q0 + cq))
                a = np.ascontiguousarray(rows.T, dtype=dtype)[:, :, None]
            else:
                a = QT[:, q0 : q0 + cq, None]
            for f in range(n_features):
                target = acc if f == 0 else tmp
                np.subtract(a[f], XT[f], out=target)
                np.abs(target, out=target)
                if power is not None:
                    np.power(target, power, out=target)
                if f:
                    accumulate(acc, tmp, out=acc)


class _Tiled(Metric):
    """A metric whose block is accumulated feature by feature in float tiles."""

    #: How the per-feature terms combine: np.add or np.maximum.
    accumulate: ClassVar[np.ufunc]

    def rank(self, Q, index, out):
        X = index.points
        _blocked_rank(Q, X, out, self.accumulate, self.power)
        # Subnormal |.|^p terms lose absolute accuracy, at most this much.
        abs_tol = np.full(Q.shape[0], 4 * X.shape[0] * np.finfo(out.dtype).tiny)
        return self.relative_error(Q.shape[1], out.dtype), abs_tol

    def relative_error(self, n_features: int, dtype) -> float:
        """Relative error bound of the tiled block of ``n_features`` features."""
        raise NotImplementedError


class Minkowski(_Tiled):
    """``(Σ|q − x|^p)^(1/p)`` for a p other than 1, 2 and inf, ranked by the sum."""

    name = "minkowski"
    accumulate = np.add

    def __init__(self, p: float):
        self.p = float(p)
        self.power = self.p

    def relative_error(self, n_features, dtype):
        # Sequential sums of d non-negative terms, each rounded a few times
        # (|.|^p costs ceil(p) + 3): a relative bound.
        return _gamma(n_features + int(np.ceil(self.p)) + 3 + 2, dtype)

    def exact_rank(self, diff):
        np.abs(diff, out=diff)
        return reduce_rows(np.add, np.power(diff, self.p, out=diff))

    def to_distance(self, values):
        return np.power(values, 1 / self.p)


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
    def fit(cls, X, metric: _OnGrid):
        levels, dtype = metric.grid_levels, metric.grid_dtype
        lo, hi = float(X.min()), float(X.max())
        span = hi - lo
        if not np.isfinite(span):
            return None
        exact = span <= levels and np.array_equal(X, np.rint(X))
        scale = 1.0 if exact or span == 0 else span / levels
        grid = cls(metric.name, lo, scale, levels, dtype)
        values, err = grid.quantize(X, metric.norm)
        grid.exact = not err.any()
        err = grid.bound(X, err)
        # Feature-major, as the tiles read it: no transpose per query chunk.
        grid.XT = np.ascontiguousarray(values.T)
        grid.max_err = float(err.max())
        return grid

    def quantize(self, A, norm):
        """Grid values of the rows of A and each row's rounding (``norm`` of the
        offsets to the grid, as computed; see ``bound``)."""
        values = np.empty(A.shape, dtype=self.dtype)
        err = np.empty(A.shape[0])
        step = max(1, _REFINE_BYTES // (8 * A.shape[1]))
        for s in range(0, A.shape[0], step):
            a = dense_rows(A, slice(s, s + step)).astype(np.float64)
            v = np.rint((a - self.lo) / self.scale)
            np.clip(v, 0, self.levels, out=v)
            values[s : s + step] = v
            err[s : s + step] = norm(np.abs(a - (self.lo + self.scale * v)))
        return values, err

    def bound(self, A, err):
        """Upper bound on the true rounding of the rows of A, given ``err``:
        the float64 rounding of the offsets themselves, generously bounded."""
        top = max(abs(self.lo), abs(self.lo + self.scale * self.levels))
        top = max(top, largest_magnitude(A))
        slack = 8 * A.shape[1] * np.finfo(np.float64).eps * top
        return err * (1 + 1e-9) + slack


def _grid_rank(Q, grid, metric, out):
    """out = the integer Manhattan or Chebyshev distances on the grid.

    Same tiles as the float kernel, in int16 or int8: a half or a quarter of
    the bytes per pass. Returns the per-row error bound, in grid units, and
    whether every point is on the grid (integer distances then exact).
    """
    V, err = grid.quantize(Q, metric.norm)
    exact = grid.exact and not err.any()
    err = grid.bound(Q, err)
    VT = np.ascontiguousarray(V.T)
    (m, n_features), n_train = V.shape, grid.XT.shape[1]
    cq, ct = _tile_shape(m, n_train, grid.dtype)
    tmp_full = np.empty((cq, ct), dtype=grid.dtype)
    acc_full = np.empty((cq, ct), dtype=grid.dtype)
    accumulate = metric.accumulate
    # Sums of `span` features stay in the grid's integer type; they then go
    # to the float32 block, exact for integers below 2**24 (784 x 255 = 199920).
    span = metric.grid_span or n_features
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


class _OnGrid(_Tiled):
    """A norm of |q − x| whose rank pass runs first on an integer grid.

    Subclasses give the grid's ``grid_levels`` and integer ``grid_dtype``,
    the features ``grid_span`` whose terms the integer accumulator holds
    without overflow (None: all), and ``norm``, the metric on rows of
    absolute differences.
    """

    grid_levels: ClassVar[int]
    grid_dtype: ClassVar[type]
    grid_span: ClassVar[int | None]

    def fit(self, X):
        # A sparse training set is never densified for the grid: float tiles.
        return {"grid": None if sp.issparse(X) else _Grid.fit(X, self)}

    def grid_rank(self, Q, index, out) -> tuple[np.ndarray, bool]:
        """Fill ``out`` (float32) with rank values on the grid, in grid units.

        Returns the absolute error bound per row and whether it is zero
        because every point lies on the grid.
        """
        return _grid_rank(Q, index.grid, self, out)

    def norm(self, absolute: np.ndarray) -> np.ndarray:
        """The metric on each row of ``absolute`` (non-negative differences)."""
        raise NotImplementedError

    def exact_rank(self, diff):
        return self.norm(np.abs(diff, out=diff))


class Manhattan(_OnGrid):
    """L1, ``Σ|q − x|``, on an int16 grid of 255 levels."""

    name = "manhattan"
    minkowski_p = 1
    accumulate = np.add
    # 128 differences of at most 255 still fit int16.
    grid_levels, grid_dtype, grid_span = 255, np.int16, 128

    def norm(self, absolute):
        return reduce_rows(np.add, absolute)

    def relative_error(self, n_features, dtype):
        # Sequential sums of d non-negative terms, each rounded a few times.
        return _gamma(n_features + 2, dtype)


class Chebyshev(_OnGrid):
    """L∞, ``max|q − x|``, on an int8 grid of 127 levels."""

    name = "chebyshev"
    minkowski_p = np.inf
    accumulate = np.maximum
    # int8 differences of 7-bit values cannot overflow, nor can their maxima.
    grid_levels, grid_dtype, grid_span = 127, np.int8, None

    def norm(self, absolute):
        return reduce_rows(np.maximum, absolute)

    def relative_error(self, n_features, dtype):
        return _gamma(2, dtype)  # a difference and its absolute value; max is exact


class _SklearnPairwise(Metric):
    """A metric whose block scikit-learn's public pairwise function computes
    exactly (``function(Q, X)``); slower than the ranked metrics."""

    exact_block = True
    sparse = False
    function: ClassVar[Callable]

    def rank(self, Q, index, out):
        out[...] = type(self).function(Q, index.points)
        return 0.0, np.zeros(Q.shape[0])


class NanEuclidean(_SklearnPairwise):
    """Euclidean over the coordinates present in both points, scaled up for
    the missing ones: ``√(n_features / n_present · Σ_present (q − x)²)``, as
    scikit-learn's ``nan_euclidean_distances`` (NaN marks a missing value)."""

    name = "nan_euclidean"
    trees = frozenset()
    allow_nan = True
    function = staticmethod(nan_euclidean_distances)


class Haversine(_SklearnPairwise):
    """The great-circle distance on the unit sphere between two points given
    as (latitude, longitude) in radians, as scikit-learn's
    ``haversine_distances`` (2 features only)."""

    name = "haversine"
    trees = frozenset({"ball_tree"})
    function = staticmethod(haversine_distances)


METRICS: dict[str, type[Metric]] = {
    "euclidean": Euclidean,
    "manhattan": Manhattan,
    "chebyshev": Chebyshev,
    "minkowski": Minkowski,
    "nan_euclidean": NanEuclidean,
    "haversine": Haversine,
}

#: scikit-learn's other names of the registered metrics: names, not classes.
#: ('p' is Minkowski with the power of ``metric_params``, as in scikit-learn.)
ALIASES: dict[str, str] = {
    "l1": "manhattan",
    "cityblock": "manhattan",
    "l2": "euclidean",
    "infinity": "chebyshev",
    "p": "minkowski",
}


def get_metric(name: str, p: float | None = None) -> Metric:
    """The metric that the estimators' ``metric`` and ``p`` ask for.

    An alias is the metric it names. ``'minkowski'`` with a p that a metric
    claims as its ``minkowski_p`` (1, 2, inf) is that metric, whose dedicated
    kernel is faster.
    """
    name = ALIASES.get(name, name)
    if name == "minkowski":
        for cls in METRICS.values():
            if cls.minkowski_p is not None and cls.minkowski_p == p:
                return cls()
    return lookup("metric", name, METRICS)(p)
