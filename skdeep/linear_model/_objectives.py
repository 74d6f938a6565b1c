"""The penalised objectives behind :mod:`skdeep.linear_model`, fused and scaled.

Every classifier objective is scikit-learn's
``C·Σᵢ sᵢ ℓᵢ + ½(1 − ρ)‖W‖² + ρ‖W‖₁`` divided by ``C·S`` with ``S = Σᵢ sᵢ``:

    f(θ) = Σᵢ wᵢ ℓᵢ(zᵢ) + ½ λ₂ ‖W‖² + λ₁ ‖W‖₁,   wᵢ = sᵢ / S,
    λ₂ = (1 − ρ) / (C·S),   λ₁ = ρ / (C·S),

which has the same minimiser and keeps gradients of order one whatever the
number of samples, so that ``tol`` means the same on any data set. The
parameters live in one array ``θ`` of shape ``(n_features + fit_intercept,
n_outputs)``: the rows of ``W`` and, last, the intercepts (never penalised).

:class:`GLMObjective` evaluates the smooth part ``Σ wᵢ ℓᵢ + ½λ₂‖W‖²`` with its
gradient in one pass over the data (one ``X·W`` product, one ``Xᵀ·dZ``) and in
the dtype of ``X``, so float32 data is fitted with float32 products. ``X``
may be a CSR or CSC matrix: every product with it is then a sparse one
(scipy's), and nothing the size of X is densified.
:func:`classifier_objectives` sets up the binary, one-vs-rest or multinomial
objectives of a classifier.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse


def _row_max(z: np.ndarray) -> np.ndarray:
    """Maximum of each row, one column at a time.

    NumPy reduces a short contiguous axis one row at a time: for 20000 × 10
    scores ``z.max(axis=1)`` takes ~1 ms, this loop of elementwise maxima 0.07.
    """
    row_max = z[:, 0].copy()
    for column in range(1, z.shape[1]):
        np.maximum(row_max, z[:, column], out=row_max)
    return row_max


def _log1p_exp_and_sigmoid(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log(1 + exp(z))`` and ``σ(z)`` from one ``exp(−|z|)``: finite for any z."""
    e = np.exp(-np.abs(z))
    softplus = np.log1p(e)
    softplus += np.maximum(z, 0)
    # σ(z) = 1/(1 + e) for z ≥ 0 and e/(1 + e) for z < 0, both without overflow.
    sigma = np.where(z >= 0, 1.0, e)
    sigma /= 1.0 + e
    return softplus, sigma.astype(z.dtype, copy=False)


class GLMObjective:
    """Smooth part of a penalised binary-logistic, multinomial or squared loss.

    Parameters
    ----------
    X : ndarray or CSR/CSC matrix of shape (n_samples, n_features), float32 or float64
    y : ndarray of shape (n_samples,)
        ``{0, 1}`` for ``kind="binary"``, class indices ``0..K−1`` for
        ``kind="multinomial"``.
    weights : ndarray of shape (n_samples,)
        Normalised weights ``wᵢ = sᵢ / S`` summing to one.
    l2 : float
        λ₂ (the l1 part is handled by the solvers, not here).
    fit_intercept : bool
    kind : {"binary", "multinomial"}
    n_classes : int
        Number of score columns: 1 for binary, K for multinomial.
    """

    def __init__(self, X, y, weights, l2, fit_intercept, kind, n_classes):
        self.X = X
        self.sparse = scipy.sparse.issparse(X)
        self.dtype = X.dtype
        self.n_features = X.shape[1]
        self.fit_intercept = fit_intercept
        self.kind = kind
        self.n_outputs = 1 if kind == "binary" else n_classes
        self.weights = np.asarray(weights, dtype=self.dtype)
        self.l2 = self.dtype.type(l2)
        if kind == "binary":
            self.y = np.asarray(y, dtype=self.dtype)
        else:
            self.y = np.asarray(y, dtype=np.intp)
            self._rows = np.arange(X.shape[0])

    @property
    def shape(self) -> tuple[int, int]:
        """Shape of θ."""
        return (self.n_features + int(self.fit_intercept), self.n_outputs)

    def pack(self, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        """θ from coefficients (n_outputs, n_features) and intercepts (n_outputs,)."""
        theta = np.zeros(self.shape, self.dtype)
        theta[: self.n_features] = coef.T
        if self.fit_intercept:
            theta[-1] = intercept
        return theta

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients (n_outputs, n_features) and intercepts (zeros without) of θ."""
        if self.fit_intercept:
            intercept = theta[-1]
        else:
            intercept = np.zeros(theta.shape[1], self.dtype)
        return theta[: self.n_features].T, intercept

    def scores(self, theta: np.ndarray) -> np.ndarray:
        """Raw scores ``Z = X·W + b`` of shape (n_samples, n_outputs)."""
        theta = np.asarray(theta, dtype=self.dtype).reshape(self.shape)
        if self.n_outputs == 1:
            # Matrix-vector products (BLAS gemv) for one column: a matrix-matrix
            # product with a single column would pack X into buffers first.
            z = (self.X @ theta[: self.n_features, 0])[:, None]
        elif self.sparse:
            z = self.X @ theta[: self.n_features]
        elif self.dtype == np.float64:
            # Wᵀ·Xᵀ, transposed back: OpenBLAS's dgemm runs this layout ~1.7×
            # faster than X·W for few outputs (20000 × 784 × 10); its sgemm
            # gains nothing, so float32 keeps the direct product.
            z = np.ascontiguousarray((theta[: self.n_features].T @ self.X.T).T)
        else:
            z = self.X @ theta[: self.n_features]
        if self.fit_intercept:
            z += theta[-1]
        return z

    def _loss_and_dz(self, z: np.ndarray, need_dz: bool = True):
        """Σ wᵢ ℓᵢ and, if asked, ∂/∂Z of it (rows already multiplied by wᵢ)."""
        w = self.weights
        if self.kind == "binary":
            z1 = z[:, 0]
            softplus, sigma = _log1p_exp_and_sigmoid(z1)
            softplus -= self.y * z1  # ℓ = log(1 + eᶻ) − y z
            # Accumulate in float64: a float32 sum would round away what lbfgs
            # needs to see decrease near the optimum.
            value = float(np.dot(w.astype(np.float64), softplus))
            if not need_dz:
                return value, None
            sigma -= self.y
            sigma *= w
            return value, sigma[:, None]
        # Multinomial: ℓ = logsumexp(z) − z_y, shifted by the row maximum.
        shifted = z - _row_max(z)[:, None]
        p = np.exp(shifted)
        s = p @ np.ones(p.shape[1], dtype=p.dtype)  # row sums by gemv
        log_s = np.log(s)
        per_sample = log_s - shifted[self._rows, self.y]
        value = float(np.dot(w.astype(np.float64), per_sample))
        if not need_dz:
            return value, None
        p *= (w / s)[:, None]
        p[self._rows, self.y] -= w  # w·(softmax(z) − onehot(y))
        return value, p

    def value(self, theta: np.ndarray) -> float:
        """f(θ) without the l1 term."""
        theta = np.asarray(theta, dtype=self.dtype).reshape(self.shape)
        value, _ = self._loss_and_dz(self.scores(theta), need_dz=False)
        W = theta[: self.n_features]
        return value + 0.5 * float(self.l2) * float(np.vdot(W, W))

    def value_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """f(θ) without the l1 term and its gradient (shape of θ, dtype of X)."""
        theta = np.asarray(theta, dtype=self.dtype).reshape(self.shape)
        value, dz = self._loss_and_dz(self.scores(theta))
        W = theta[: self.n_features]
        grad = np.empty(self.shape, dtype=self.dtype)
        if self.sparse:
            grad[: self.n_features] = self.X.T @ dz
        elif self.n_outputs == 1:
            np.matmul(self.X.T, dz[:, 0], out=grad[: self.n_features, 0])
        else:
            # dzᵀ·X (outputs × features) then a tiny transpose: with few outputs
            # OpenBLAS runs this layout ~1.6× faster than Xᵀ·dz (measured on
            # 20000 × 784 × 10, float64 and float32).
            grad[: self.n_features] = (dz.T @ self.X).T
        if self.fit_intercept:
            grad[-1] = dz.sum(axis=0)
        if self.l2:
            grad[: self.n_features] += self.l2 * W
            value += 0.5 * float(self.l2) * float(np.vdot(W, W))
        return value, grad

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """Exact Hessian of the smooth part: (θ.size, θ.size), θ raveled in C order.

        Binary: ``Aᵀ diag(wᵢ σᵢ(1 − σᵢ)) A + λ₂·I_W`` with ``A = [X, 1]``.
        Multinomial: block (k, l) is ``Aᵀ diag(wᵢ pᵢₖ(δₖₗ − pᵢₗ)) A``, plus
        λ₂ on the diagonal of the W entries.
        """
        theta = np.asarray(theta, dtype=self.dtype).reshape(self.shape)
        z = self.scores(theta)
        d, k_out = self.shape
        p_feat = self.n_features
        H = np.zeros((d, k_out, d, k_out), dtype=self.dtype)
        if self.kind == "binary":
            _, sigma = _log1p_exp_and_sigmoid(z[:, 0])
            curvature = {(0, 0): self.weights * sigma * (1.0 - sigma)}
        else:
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            curvature = {}
            for k in range(k_out):
                for m in range(k, k_out):
                    v = -p[:, k] * p[:, m]
                    if k == m:
                        v += p[:, k]
                    curvature[k, m] = self.weights * v
        for (k, m), v in curvature.items():
            block = self._weighted_gram(v)
            H[:, k, :, m] = block
            if k != m:
                H[:, m, :, k] = block.T
        H = H.reshape(d * k_out, d * k_out)
        # λ₂ on the diagonal entries that belong to W (not the intercept row).
        diag = np.arange(p_feat * k_out)
        H[diag, diag] += self.l2
        return H

    def _weighted_gram(self, v: np.ndarray) -> np.ndarray:
        """``Aᵀ diag(v) A`` for ``A = [X, 1]`` (or X without an intercept).

        For sparse X, ``Xᵀ(diag(v)X)`` is a sparse product; only the
        (n_features × n_features) result is made dense.
        """
        X = self.X
        if self.sparse:
            top = (X.T @ (scipy.sparse.diags_array(v) @ X)).toarray()
        else:
            Xv = X * v[:, None]
            top = Xv.T @ X
        if not self.fit_intercept:
            return top
        p = X.shape[1]
        out = np.empty((p + 1, p + 1), dtype=self.dtype)
        out[:p, :p] = top
        col = X.T @ v if self.sparse else Xv.sum(axis=0)
        out[:p, p] = col
        out[p, :p] = col
        out[p, p] = v.sum()
        return out


def classifier_objectives(
    X, y_index, sample_weight, l2, fit_intercept, n_classes, multinomial
) -> list[tuple[GLMObjective, slice]]:
    """The objectives a linear classifier minimises, each with its rows of ``coef_``.

    One multinomial objective over the K classes; one binary objective for two
    classes; or, one-vs-rest, K independent binary objectives (class k against
    the rest), each fitting row k.
    """
    n = X.shape[0]
    weights = (
        np.full(n, 1.0 / n, X.dtype)
        if sample_weight is None
        else (sample_weight / float(sample_weight.sum())).astype(X.dtype)
    )
    if multinomial:
        problems = [(y_index, "multinomial", n_classes, slice(None))]
    elif n_classes == 2:
        problems = [(y_index.astype(X.dtype), "binary", 1, slice(None))]
    else:
        problems = [
            ((y_index == k).astype(X.dtype), "binary", 1, slice(k, k + 1))
            for k in range(n_classes)
        ]
    return [
        (GLMObjective(X, target, weights, l2, fit_intercept, kind, k), rows)
        for target, kind, k, rows in problems
    ]


def soft_threshold(theta: np.ndarray, threshold: float, n_features: int) -> np.ndarray:
    """Proximal map of ``threshold·‖W‖₁`` on the W rows of θ (the intercept is free)."""
    out = theta.copy()
    W = out[:n_features]
    np.copyto(W, np.sign(W) * np.maximum(np.abs(W) - threshold, 0.0))
    return out
