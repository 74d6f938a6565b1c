"""Row identity: keys computed from a row's content, and random bits keyed by them.

A sample weight must mean repetition: a row of weight 3 has to train exactly
like three copies of it, and a row of weight 0 like no row at all. Randomness
drawn per row — dropout masks, which rows are held out for validation — is
therefore keyed by what a row contains, not by where it sits: copies of a row
get the same mask and land on the same side of a split (so a duplicate can
never leak from the training rows into the validation rows), and removing a
row changes nothing for the others.

The hashing is splitmix64's finalizer (Steele, Lea & Flood, 2014) on unsigned
64-bit integers; NumPy's unsigned array arithmetic wraps modulo 2⁶⁴ as the
mixing needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_BLOCK_ROWS = 256  # bounds the temporary integer copy of X while hashing (~1.6 MB)


@dataclass(frozen=True)
class Rows:
    """What a layer may know about the rows of the batch it is given.

    Parameters
    ----------
    keys : ndarray of uint64, shape (n_rows,), or None
        Content keys from :func:`row_keys` (dropout masks are keyed by them);
        None keys rows by position.
    weights : ndarray of shape (n_rows,) or None
        Sample weights (batch normalization then uses weighted statistics).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.rows import Rows, row_keys
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> rows = Rows(keys=row_keys(X), weights=np.array([1.0, 3.0]))
    >>> rows.keys.dtype, Rows().weights is None
    (dtype('uint64'), True)
    """

    keys: np.ndarray | None = None
    weights: np.ndarray | None = None


def mix(h: np.ndarray) -> np.ndarray:
    """Apply splitmix64's finalizer in place: every input bit affects every output bit.

    Parameters
    ----------
    h : ndarray of uint64
        Overwritten with the mixed values.

    Returns
    -------
    ndarray of uint64
        ``h`` itself.

    Examples
    --------
    The finalizer is a bijection that fixes 0; neighbouring inputs land far
    apart:

    >>> import numpy as np
    >>> from skdeep.nn.rows import mix
    >>> h = mix(np.array([0, 1, 2], dtype=np.uint64))
    >>> int(h[0]), bool(h[1] > 2**40 and h[2] > 2**40 and h[1] != h[2])
    (0, True)
    """
    h ^= h >> np.uint64(30)
    h *= _MIX_1
    h ^= h >> np.uint64(27)
    h *= _MIX_2
    h ^= h >> np.uint64(31)
    return h


def row_keys(X) -> np.ndarray:
    """A 64-bit key per row that depends only on the row's values.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n_rows, n_features)
        Floating-point rows (the bit patterns are hashed, so ``0.0`` and
        ``-0.0`` differ).

    Returns
    -------
    ndarray of uint64, shape (n_rows,)
        Equal rows get equal keys; different rows collide with probability
        about 2⁻⁶⁴.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.rows import row_keys
    >>> keys = row_keys(np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0]]))
    >>> bool(keys[0] == keys[2]), bool(keys[0] == keys[1])
    (True, False)
    """
    if scipy.sparse.issparse(X):
        return _sparse_row_keys(X.tocsr())
    X = np.ascontiguousarray(X)
    words = X.view(np.uint32 if X.itemsize == 4 else np.uint64)
    # One odd multiplier per column makes the sum a hash of (column, value) pairs.
    multipliers = mix(np.arange(1, words.shape[1] + 1, dtype=np.uint64) * _GOLDEN)
    multipliers |= np.uint64(1)
    keys = np.empty(X.shape[0], dtype=np.uint64)
    for start in range(0, X.shape[0], _BLOCK_ROWS):
        block = words[start : start + _BLOCK_ROWS].astype(np.uint64)
        keys[start : start + _BLOCK_ROWS] = np.matmul(block, multipliers)
    return mix(keys)


def _sparse_row_keys(X) -> np.ndarray:
    data = np.ascontiguousarray(X.data)
    words = data.view(np.uint32 if data.itemsize == 4 else np.uint64).astype(np.uint64)
    columns = X.indices.astype(np.uint64)
    multipliers = mix((columns + np.uint64(1)) * _GOLDEN)
    multipliers |= np.uint64(1)
    terms = mix(words * multipliers)
    # Row sums from a wrapping cumulative sum: empty rows come out as 0.
    totals = np.concatenate([np.zeros(1, dtype=np.uint64), np.cumsum(terms)])
    return mix(totals[X.indptr[1:]] - totals[X.indptr[:-1]])


def keyed_bits(keys: np.ndarray, seed: np.uint64, n_columns: int) -> np.ndarray:
    """Uniform 53-bit integers, one per (row key, column), for one draw ``seed``.

    The same key, seed and column always give the same number; different
    seeds give independent-looking streams.

    Parameters
    ----------
    keys : ndarray of uint64, shape (n_rows,)
    seed : numpy.uint64
        Drawn once per call from the caller's generator.
    n_columns : int
        Numbers per row.

    Returns
    -------
    ndarray of uint64, shape (n_rows, n_columns)
        Values in ``[0, 2**53)``.

    Examples
    --------
    Rows with the same key get the same numbers:

    >>> import numpy as np
    >>> from skdeep.nn.rows import keyed_bits
    >>> keys = np.array([5, 5, 7], dtype=np.uint64)
    >>> bits = keyed_bits(keys, np.uint64(42), 4)
    >>> bits.shape, bool((bits[0] == bits[1]).all()), bool((bits[0] != bits[2]).all())
    ((3, 4), True, True)
    >>> bool(bits.max() < 2**53)
    True
    """
    columns = np.arange(1, n_columns + 1, dtype=np.uint64) * _GOLDEN + seed
    bits = mix(np.bitwise_xor.outer(mix(keys + seed), columns))
    bits >>= np.uint64(11)
    return bits
