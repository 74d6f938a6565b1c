"""Row keys and keyed random bits: what makes sample weights mean repetition."""

import numpy as np
import scipy.sparse
from numpy.testing import assert_array_equal

from skdeep.nn.rows import keyed_bits, row_keys


def test_equal_rows_get_equal_keys_and_different_rows_different_keys(rng):
    X = rng.normal(size=(500, 7))
    X[400:] = X[:100]
    keys = row_keys(X)
    assert_array_equal(keys[400:], keys[:100])
    assert np.unique(keys).size == 400


def test_keys_depend_on_values_and_their_columns_not_on_position(rng):
    X = rng.normal(size=(50, 4))
    order = rng.permutation(50)
    assert_array_equal(row_keys(X)[order], row_keys(X[order]))
    swapped = X[:, [1, 0, 2, 3]]
    assert not np.any(row_keys(swapped) == row_keys(X))


def test_keys_of_float32_and_sparse_rows(rng):
    X = rng.normal(size=(300, 6))
    X[X < 0.5] = 0.0
    X[200:] = X[:100]
    for data in (X.astype(np.float32), scipy.sparse.csr_matrix(X)):
        keys = row_keys(data)
        assert_array_equal(keys[200:], keys[:100])
        assert np.unique(keys).size == np.unique(X[:200], axis=0).shape[0]
    # Hashing works in blocks: a block boundary changes nothing.
    big = rng.normal(size=(5000, 3))
    assert_array_equal(row_keys(big)[4096:], row_keys(big[4096:]))


def test_keyed_bits_are_uniform_and_reproducible():
    keys = np.arange(20000, dtype=np.uint64)
    bits = keyed_bits(keys, np.uint64(11), 30)
    u = bits / 2.0**53
    assert bits.max() < 2**53
    assert abs(u.mean() - 0.5) < 0.003 and abs(u.var() - 1 / 12) < 0.002
    # Neighbouring columns and neighbouring keys are uncorrelated.
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < 0.03
    assert abs(np.corrcoef(u[:-1, 0], u[1:, 0])[0, 1]) < 0.03
    assert_array_equal(bits, keyed_bits(keys, np.uint64(11), 30))
    other_seed = keyed_bits(keys, np.uint64(12), 30)
    assert (other_seed == bits).mean() < 1e-4
