"""Rows of dense arrays and of CSR matrices alike, for the neighbour search.

The search never densifies a sparse training set: it reads rows in bounded
batches (:func:`dense_rows`) and squared norms from the stored values
(:func:`row_sqnorms`); products of sparse and dense blocks come back dense
(:func:`dense_product`) because a distance block is dense anyway.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def as_rows(A):
    """A dense array as it is, any sparse matrix as a CSR array (no copy if CSR)."""
    return sp.csr_array(A) if sp.issparse(A) else A


def dense_rows(A, index) -> np.ndarray:
    """The rows ``A[index]`` (a slice or integer array) as a dense array."""
    rows = A[index]
    return rows.toarray() if sp.issparse(rows) else rows


def row_sqnorms(A) -> np.ndarray:
    """float64 squared Euclidean norm of each row (the sum rounded once per term)."""
    if not sp.issparse(A):
        return np.einsum("ij,ij->i", A, A, dtype=np.float64)
    A = sp.csr_array(A)
    squares = np.square(A.data, dtype=np.float64)
    sums = np.zeros(A.shape[0])
    np.add.at(sums, np.repeat(np.arange(A.shape[0]), np.diff(A.indptr)), squares)
    return sums


def dense_product(A, B) -> np.ndarray:
    """``A @ B`` as a dense array, either operand dense or sparse."""
    product = A @ B
    return product.toarray() if sp.issparse(product) else np.asarray(product)
