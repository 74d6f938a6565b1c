"""Sequential: a stack of layers that is itself a layer."""

from __future__ import annotations

import numpy as np

from .activations import Activation
from .layers import Dense, Layer


class Sequential(Layer):
    """Layers applied one after the other.

    ``params``, ``grads`` and ``state`` are the concatenation of the layers'
    lists, in layer order, which is all an optimizer needs to know.

    Parameters
    ----------
    layers : list of Layer

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep import nn
    >>> net = nn.Sequential([nn.Dense(8), nn.Activation("relu"), nn.Dense(3)])
    >>> net.build(4, np.random.default_rng(0), np.float32)
    3
    >>> Z = net.forward(np.ones((5, 4), dtype=np.float32), training=True)
    >>> dX = net.backward(np.ones_like(Z))
    >>> Z.dtype, dX.shape, [g.shape for g in net.grads]
    (dtype('float32'), (5, 4), [(4, 8), (8,), (8, 3), (3,)])
    """

    def __init__(self, layers: list[Layer]) -> None:
        super().__init__()
        for layer in layers:
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential takes Layer objects, got {layer!r}.")
        self.layers = list(layers)

    def build(self, n_in, rng, dtype=np.float64):
        self._mark_dense_feeding_rectifiers()
        self.n_in = int(n_in)
        self.dtype = np.dtype(dtype)
        n = self.n_in
        for layer in self.layers:
            n = layer.build(n, rng, self.dtype)
        return n

    def check_built(self, n_in, dtype):
        """Check that ``layers`` are layers whose arrays chain from ``n_in``
        features of ``dtype`` (see :meth:`Layer.check_built`); return ``n_out``."""
        layers = vars(self).get("layers")
        if type(layers) is not list:
            raise ValueError(f"Sequential.layers must be a list, got {layers!r:.80}.")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer) or isinstance(layer, Sequential):
                raise ValueError(
                    f"Sequential.layers[{i}] is a {type(layer).__name__}, not a "
                    "skdeep.nn layer."
                )
        own_dtype = vars(self).get("dtype")
        if vars(self).get("n_in") != n_in or not (
            isinstance(own_dtype, np.dtype) and own_dtype == dtype
        ):
            raise ValueError(
                f"Sequential.n_in and dtype must be {n_in} and {np.dtype(dtype)}, "
                f"got {vars(self).get('n_in')!r:.40} and {own_dtype!r:.40}."
            )
        n = n_in
        for i, layer in enumerate(layers):
            try:
                n = layer.check_built(n, dtype)
            # AttributeError: a layer lacking part of its configuration (n_out).
            except (ValueError, AttributeError) as error:
                raise ValueError(f"Sequential.layers[{i}]: {error}") from error
        return n

    # Gathered from the layers at each access, never cached: a cached list would
    # alias the layers' arrays (see skdeep.nn.layers).
    @property
    def params(self):
        return [p for layer in self.layers for p in layer.params]

    @property
    def grads(self):
        return [g for layer in self.layers for g in layer.grads]

    @property
    def state(self):
        return [s for layer in self.layers for s in layer.state]

    def _mark_dense_feeding_rectifiers(self) -> None:
        # For init="auto", a Dense layer needs to know which activation reads its
        # output; normalization and dropout in between do not change the answer.
        upcoming_rectifier = False
        for layer in reversed(self.layers):
            if isinstance(layer, Activation):
                upcoming_rectifier = layer.rectifier
            elif isinstance(layer, Dense):
                layer.feeds_rectifier = upcoming_rectifier
                upcoming_rectifier = False

    @property
    def uses_row_keys(self) -> bool:
        return any(layer.uses_row_keys for layer in self.layers)

    @property
    def min_training_rows(self) -> int:
        return max((layer.min_training_rows for layer in self.layers), default=1)

    def forward(self, X, training=False, rows=None, *, keep_for_backward=False):
        # The keyword only when asked for: a layer written for
        # forward(X, training, rows) keeps training and predicting.
        extra = {"keep_for_backward": True} if keep_for_backward else {}
        for layer in self.layers:
            X = layer.forward(X, training, rows, **extra)
        return X

    def backward(self, dY, input_grad=True):
        for i in range(len(self.layers) - 1, -1, -1):
            dY = self.layers[i].backward(dY, input_grad=input_grad or i > 0)
        return dY

    def penalty(self):
        return sum(layer.penalty() for layer in self.layers)

    def apply_constraints(self):
        for layer in self.layers:
            layer.apply_constraints()

    def get_weights(self) -> list[np.ndarray]:
        """Copies of all parameters and state (running statistics), in order."""
        return [a.copy() for a in (*self.params, *self.state)]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Copy ``weights`` (from :meth:`get_weights`) back, in place."""
        targets = (*self.params, *self.state)
        if len(weights) != len(targets):
            raise ValueError(f"Expected {len(targets)} arrays, got {len(weights)}.")
        for target, source in zip(targets, weights, strict=True):
            np.copyto(target, source)

    def __repr__(self):
        inner = ",\n".join(f"    {layer!r}" for layer in self.layers)
        return f"Sequential([\n{inner},\n])" if self.layers else "Sequential([])"
