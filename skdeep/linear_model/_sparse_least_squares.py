"""Least squares on sparse X with an intercept, without centering X.

Centering subtracts the column means from every entry, implicit zeros
included: a sparse X would become dense. :class:`~skdeep.LeastSquaresRegressor`
eliminates the intercept by centering, so for a CSR or CSC matrix the centering
stays implicit:

* the normal equations of the centered problem are formed from sparse
  products, ``Σᵢ sᵢ(xᵢ − x̄)(xᵢ − x̄)ᵀ = XᵀDX − S·x̄x̄ᵀ`` (a p × p matrix, so
  only for few features: ``GRAM_MAX_FEATURES`` for "auto");
* :class:`CenteredOperator` applies ``A = D^½(X − 1x̄ᵀ)`` and its transpose
  with sparse products, for LSQR ("lstsq") and gradient descent ("gd").

scikit-learn's ``LinearRegression`` solves sparse problems with LSQR on such an
operator as well.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

# "auto" forms the normal equations of sparse X only up to this many features:
# their p × p matrix is then at most 32 MiB (float64), its Cholesky factor takes
# well under a second, and the sparse product XᵀDX costs at most Σᵢ nnz(xᵢ)².
# Beyond it (text features number tens of thousands) the matrix would be large
# and dense; LSQR needs memory linear in nnz(X) + n + p.
GRAM_MAX_FEATURES = 2048
# solver="cholesky" on sparse X refuses a p × p matrix larger than this.
GRAM_MAX_BYTES = 256 * 2**20


def _dense_row(reduced) -> np.ndarray:
    """A column reduction of a sparse matrix (sparse or dense, 2-D) as a 1-D array."""
    if scipy.sparse.issparse(reduced):
        reduced = reduced.toarray()
    return np.asarray(reduced).ravel()


def column_means(X, sample_weight, total: float) -> tuple[np.ndarray, np.ndarray]:
    """Weighted column means ``Xᵀs / S`` of sparse X, in its dtype, and a mask.

    A column whose entries (implicit zeros included) are all equal is
    constant: its mean is that value exactly, as in the dense path (a mean off
    by a rounding would leave a column of noise after centering, which the
    solvers fit like signal). The mask of these columns is returned too.
    """
    weights = np.ones(X.shape[0], X.dtype) if sample_weight is None else sample_weight
    means = np.asarray((X.T @ weights) / X.dtype.type(total), dtype=X.dtype)
    largest, smallest = _dense_row(X.max(axis=0)), _dense_row(X.min(axis=0))
    constant = largest == smallest
    means[constant] = largest[constant]
    return means, constant


def centered_normal_equations(X, Y, sample_weight, means, constant, total):
    """``AᵀA`` and ``AᵀB`` for ``A = √s⊙(X − x̄)``, ``B = √s⊙(Y − ȳ)``, X sparse.

    ``means`` is ``(x̄, ȳ)``, ``constant`` the mask of :func:`column_means`.
    ``XᵀDX − S·x̄x̄ᵀ`` and ``XᵀDY − S·x̄ȳᵀ`` come from sparse products. The
    subtraction cancels digits when a column's mean is large next to its
    spread (a column stored nearly everywhere); the caller's condition test
    then sends the problem to LSQR. Constant columns are exactly zero after
    centering: their rows and columns are set to zero, as the dense path finds.
    """
    x_mean, y_mean = means
    XD = X if sample_weight is None else scipy.sparse.diags_array(sample_weight) @ X
    scale = X.dtype.type(total)
    G = (X.T @ XD).toarray()
    G -= scale * np.outer(x_mean, x_mean)
    r = np.asarray(XD.T @ Y, dtype=X.dtype) - scale * np.outer(x_mean, y_mean)
    G[constant] = 0.0
    G[:, constant] = 0.0
    r[constant] = 0.0
    return G, r


def check_gram_size(n_features: int, dtype) -> None:
    """Refuse solver='cholesky' on sparse X when its p × p matrix is too large."""
    needed = n_features * n_features * np.dtype(dtype).itemsize
    if needed > GRAM_MAX_BYTES:
        raise ValueError(
            f"solver='cholesky' on sparse X forms a dense {n_features} by "
            f"{n_features} matrix ({needed / 2**20:.0f} MiB, more than the "
            f"{GRAM_MAX_BYTES / 2**20:.0f} MiB budget). Use solver='lstsq' (LSQR, "
            "memory linear in the stored entries) or 'auto', which picks it."
        )


class CenteredOperator(scipy.sparse.linalg.LinearOperator):
    """``A = D^½(X − 1x̄ᵀ)`` for sparse X, applied without forming it.

    ``A·W = √s ⊙ (X·W − 1(x̄ᵀW))`` and ``Aᵀ·R = Xᵀ(√s ⊙ R) − x̄(1ᵀ(√s ⊙ R))``:
    two sparse products, in the dtype of X (float32 data is multiplied in
    float32 whatever the dtype of the vectors it is given).
    """

    def __init__(self, X, x_mean, sqrt_w):
        super().__init__(dtype=X.dtype, shape=X.shape)
        self.X, self.x_mean, self.sqrt_w = X, x_mean, sqrt_w

    def _matmat(self, W):
        W = np.asarray(W, dtype=self.dtype)
        Z = np.asarray(self.X @ W)
        Z -= self.x_mean @ W
        if self.sqrt_w is not None:
            Z *= self.sqrt_w if Z.ndim == 1 else self.sqrt_w[:, None]
        return Z

    def _rmatmat(self, R):
        R = np.asarray(R, dtype=self.dtype)
        if self.sqrt_w is not None:
            R = R * (self.sqrt_w if R.ndim == 1 else self.sqrt_w[:, None])
        out = np.asarray(self.X.T @ R)
        out -= np.multiply.outer(self.x_mean, R.sum(axis=0))
        return out

    _matvec = _matmat
    _rmatvec = _rmatmat

    def largest_entry_bound(self) -> float:
        """An upper bound of ``max |Aᵢⱼ|``: ``max √s · (max |x| + max |x̄|)``."""
        largest_x = float(np.max(np.abs(self.X.data), initial=0.0))
        largest_mean = float(np.max(np.abs(self.x_mean), initial=0.0))
        largest_w = 1.0 if self.sqrt_w is None else float(np.max(self.sqrt_w))
        return largest_w * (largest_x + largest_mean)


def lsqr_least_squares(A, B, alpha):
    """``min ‖AW − B‖² + α‖W‖²`` by LSQR, one target column at a time.

    Started from zero, LSQR's iterates stay in the row space of A, so it
    converges to the minimum-norm solution, as the SVD of the dense path. The
    stopping tolerances are the machine precision of the data's dtype (the
    products run in it), the condition limit its reciprocal.

    Returns
    -------
    coef : ndarray of shape (n_features, n_targets)
    n_iter : int
        The most LSQR iterations any target took.
    converged : bool
        False when some target reached the iteration limit.
    """
    n, p = A.shape
    eps = float(np.finfo(A.dtype).eps)
    coef = np.zeros((p, B.shape[1]), dtype=A.dtype)
    n_iter, converged = 0, True
    for j in range(B.shape[1]):
        if min(n, p) == 0 or not np.any(B[:, j]):
            continue
        x, istop, itn = scipy.sparse.linalg.lsqr(
            A, B[:, j].astype(np.float64), damp=math.sqrt(alpha), atol=eps,
            btol=eps, conlim=1.0 / eps, iter_lim=max(10 * min(n, p), 100),
        )[:3]  # fmt: skip
        coef[:, j] = x
        n_iter = max(n_iter, int(itn))
        converged = converged and istop != 7
    return coef, n_iter, converged
