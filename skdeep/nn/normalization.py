"""Batch and layer normalization: ``y = γ ⊙ x̂ + β``, with ``x̂`` standardised per
feature over the batch (batch norm) or per sample over its features (layer norm).
"""

from __future__ import annotations

import numpy as np

from .layers import Layer


class _Normalization(Layer):
    """What batch and layer norm share: ``y = γ ⊙ x̂ + β`` with γ, β learned per feature.

    Subclasses compute ``x̂`` (cached as ``_X_hat`` for backward) and call
    :meth:`_scale_and_shift`; their backward starts with
    :meth:`_affine_gradients`, which fills ∂L/∂γ = Σ dY ⊙ x̂ and ∂L/∂β = Σ dY
    (sums over the batch).
    """

    cache_attributes = ("_X_hat",)
    param_attributes = ("gamma", "beta")
    grad_attributes = ("dgamma", "dbeta")

    def build(self, n_in, rng, dtype=np.float64):
        self.gamma = np.ones(n_in, dtype=dtype)
        self.beta = np.zeros(n_in, dtype=dtype)
        self.dgamma = np.zeros_like(self.gamma)
        self.dbeta = np.zeros_like(self.beta)
        return n_in

    def _built_shapes(self, n_in):
        names = (*self.param_attributes, *self.state_attributes)
        return n_in, dict.fromkeys(names, (n_in,))

    def _scale_and_shift(self, X_hat):
        return X_hat * self.gamma + self.beta

    def _affine_gradients(self, dY):
        dgamma, dbeta = self.dgamma, self.dbeta
        np.einsum("ij,ij->j", dY, self._X_hat, out=dgamma)
        np.sum(dY, axis=0, out=dbeta)
        return dgamma, dbeta


class BatchNorm(_Normalization):
    """Batch normalization over the samples of a batch, per feature.

    Parameters
    ----------
    momentum : float, default=0.9
        Weight of the old value in the running averages:
        ``running ← momentum·running + (1 − momentum)·batch``.
    epsilon : float, default=1e-5
        Added to the variance before the square root.

    Notes
    -----
    Training: ``x̂ = (x − μ_B) / √(σ²_B + ε)`` and ``y = γ ⊙ x̂ + β`` with the batch
    mean and (biased) variance. Prediction uses the running averages instead, so
    a prediction does not depend on the other rows predicted with it. A
    training batch needs at least two rows (``min_training_rows``): the
    variance of one row is 0, and ``forward`` refuses it with a ``ValueError``
    (:func:`~skdeep.nn.train` joins a one-row last minibatch to the previous one).

    Backward (training mode), with N rows:
    ``∂L/∂β = Σ dY``, ``∂L/∂γ = Σ dY ⊙ x̂`` and
    ``∂L/∂x = γ / (N √(σ²_B + ε)) ⊙ (N·dY − ∂L/∂β − x̂ ⊙ ∂L/∂γ)``.

    References
    ----------
    Ioffe & Szegedy (2015), "Batch Normalization: Accelerating Deep Network
    Training by Reducing Internal Covariate Shift".

    Examples
    --------
    Each column is standardised with the batch's statistics (up to ε), and the
    running mean moves a tenth of the way to the batch mean (2, 20):

    >>> import numpy as np
    >>> from skdeep import nn
    >>> layer = nn.BatchNorm()
    >>> layer.build(2, np.random.default_rng(0), np.float64)
    2
    >>> Y = layer.forward(np.array([[1.0, 10.0], [3.0, 30.0]]), training=True)
    >>> np.round(Y, 4), layer.running_mean
    (array([[-1., -1.],
           [ 1.,  1.]]), array([0.2, 2. ]))
    """

    cache_attributes = ("_training", "_weights", "_inv_std")
    state_attributes = ("running_mean", "running_var")
    # One row has no spread: its variance 0 would normalise it to β and pull
    # the running variance towards 0 (PyTorch refuses it too).
    min_training_rows = 2

    def __init__(self, momentum: float = 0.9, epsilon: float = 1e-5) -> None:
        super().__init__()
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"BatchNorm momentum must be in [0, 1), got {momentum!r}.")
        if not epsilon > 0:
            raise ValueError(f"BatchNorm epsilon must be > 0, got {epsilon!r}.")
        self.momentum = momentum
        self.epsilon = epsilon

    def check_built(self, n_in, dtype):
        n_out = super().check_built(n_in, dtype)
        if not self.running_var.min(initial=0.0) >= 0.0:
            raise ValueError("BatchNorm.running_var holds negative variances.")
        if type(self.epsilon) is not float or not self.epsilon > 0.0:
            raise ValueError(f"BatchNorm.epsilon must be > 0, got {self.epsilon!r}.")
        return n_out

    def build(self, n_in, rng, dtype=np.float64):
        self.running_mean = np.zeros(n_in, dtype=dtype)
        self.running_var = np.ones(n_in, dtype=dtype)
        return super().build(n_in, rng, dtype)

    def forward(self, X, training=False, rows=None, *, keep_for_backward=False):
        normalized_weights = None
        if training:
            if X.shape[0] < self.min_training_rows:
                raise ValueError(
                    f"BatchNorm expects more than 1 row per batch when training "
                    f"(got {X.shape[0]}): one row has no variance to standardise by."
                )
            mean, var, normalized_weights = self._batch_moments(X, rows)
            self.running_mean *= self.momentum
            self.running_mean += (1.0 - self.momentum) * mean
            self.running_var *= self.momentum
            self.running_var += (1.0 - self.momentum) * var
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + self.epsilon)
        X_hat = (X - mean) * inv_std
        if training or keep_for_backward:
            self._training, self._weights = training, normalized_weights
            self._inv_std, self._X_hat = inv_std, X_hat
        return self._scale_and_shift(X_hat)

    def set_running_statistics(self, X, rows=None) -> None:
        """Replace the running averages by the statistics of the batch ``X``.

        For full-batch training (L-BFGS), whose trial points would otherwise
        leave averages that mix the statistics of rejected weights.
        """
        mean, var, _ = self._batch_moments(X, rows)
        self.running_mean[...] = mean
        self.running_var[...] = var

    @staticmethod
    def _batch_moments(X, rows):
        """Mean and biased variance of ``X`` (weighted by ``rows.weights``), and
        the normalized weights (None when unweighted)."""
        weights = None if rows is None else rows.weights
        if weights is None or not weights.sum() > 0:
            return X.mean(axis=0), X.var(axis=0), None
        # Weighted moments: a weight of k counts the row k times.
        normalized_weights = (weights / weights.sum()).astype(X.dtype, copy=False)
        mean = normalized_weights @ X
        return mean, normalized_weights @ np.square(X - mean), normalized_weights

    def backward(self, dY, input_grad=True):
        dgamma, dbeta = self._affine_gradients(dY)
        if not input_grad:
            return None
        if not self._training:  # running statistics are constants
            return dY * (self.gamma * self._inv_std)
        if self._weights is None:
            n = dY.shape[0]
            return (self.gamma * self._inv_std / n) * (
                n * dY - dbeta - self._X_hat * dgamma
            )
        # With normalised weights pᵢ (Σp = 1) in the moments:
        # ∂L/∂xᵢ = γ/σ ⊙ (dYᵢ − pᵢ (∂L/∂β + x̂ᵢ ⊙ ∂L/∂γ)).
        shared = self._X_hat * dgamma
        shared += dbeta
        shared *= self._weights[:, None]
        return (self.gamma * self._inv_std) * (dY - shared)


class LayerNorm(_Normalization):
    """Layer normalization: each sample normalised over its own features.

    Parameters
    ----------
    epsilon : float, default=1e-5
        Added to the variance before the square root.

    Notes
    -----
    ``x̂ = (x − μ) / √(σ² + ε)`` with the mean and variance of the row's D
    features, then ``y = γ ⊙ x̂ + β``. It behaves the same in training and
    prediction. Backward, per row:
    ``∂L/∂x = 1 / (D √(σ² + ε)) ⊙ (D·g − Σ g − x̂ Σ g ⊙ x̂)`` with ``g = γ ⊙ dY``.

    References
    ----------
    Ba, Kiros & Hinton (2016), "Layer Normalization".

    Examples
    --------
    Each row is standardised over its own features (up to ε):

    >>> import numpy as np
    >>> from skdeep import nn
    >>> layer = nn.LayerNorm()
    >>> layer.build(2, np.random.default_rng(0), np.float64)
    2
    >>> np.round(layer.forward(np.array([[1.0, 3.0], [10.0, 30.0]])), 4)
    array([[-1.,  1.],
           [-1.,  1.]])
    """

    cache_attributes = ("_inv_std",)

    def __init__(self, epsilon: float = 1e-5) -> None:
        super().__init__()
        if not epsilon > 0:
            raise ValueError(f"LayerNorm epsilon must be > 0, got {epsilon!r}.")
        self.epsilon = epsilon

    def forward(self, X, training=False, rows=None, *, keep_for_backward=False):
        mean = X.mean(axis=1, keepdims=True)
        var = X.var(axis=1, keepdims=True)
        inv_std = 1.0 / np.sqrt(var + self.epsilon)
        X_hat = (X - mean) * inv_std
        if training or keep_for_backward:
            self._inv_std, self._X_hat = inv_std, X_hat
        return self._scale_and_shift(X_hat)

    def backward(self, dY, input_grad=True):
        self._affine_gradients(dY)
        if not input_grad:
            return None
        g = dY * self.gamma
        d = g.shape[1]
        return (self._inv_std / d) * (
            d * g
            - g.sum(axis=1, keepdims=True)
            - self._X_hat * np.einsum("ij,ij->i", g, self._X_hat)[:, None]
        )
