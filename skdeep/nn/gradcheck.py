"""Finite-difference gradient checking."""

from __future__ import annotations

import copy
import math

import numpy as np

from .layers import Layer
from .losses import Loss
from .rows import Rows


def check_gradients(
    network: Layer,
    loss: Loss,
    X: np.ndarray,
    y: np.ndarray,
    eps: float = 1e-6,
    *,
    sample_weight: np.ndarray | None = None,
    training: bool = True,
    check_input: bool = True,
) -> float:
    """Compare backpropagation with central finite differences.

    The objective is ``loss.value(y, network.forward(X, training), sample_weight)
    + network.penalty()``. Each parameter entry θⱼ (and, with ``check_input``,
    each input entry) is moved by ±eps and the derivative estimated as
    ``(J(θⱼ + eps) − J(θⱼ − eps)) / (2·eps)``, whose error is O(eps²).

    Parameters
    ----------
    network : Layer
        A built layer or :class:`~skdeep.nn.Sequential`, in float64 (float32 has
        too few digits for finite differences to mean anything).
    loss : Loss
    X, y : ndarray
        A small batch: the cost is two forward passes per checked entry.
    eps : float, default=1e-6
    sample_weight : ndarray, optional
    training : bool, default=True
        Check the training-mode forward pass (batch statistics, dropout).
        Random dropout masks are replayed identically in every evaluation.
        ``False`` checks the prediction function (running statistics, no
        dropout): backpropagation then follows
        ``network.forward(X, False, rows, keep_for_backward=True)``, a keyword
        the network's layers must accept (see :class:`~skdeep.nn.Layer`).
    check_input : bool, default=True
        Also check ∂J/∂X, which covers parameter-free layers such as activations
        (and, with an empty Sequential, the loss itself).

    Returns
    -------
    float
        ``max_k ‖a_k − n_k‖ / (‖a‖ + ‖n‖)``: for each parameter array k (and
        the input), the distance between backpropagation ``a_k`` and the
        numerical estimate ``n_k``, relative to the norm of the whole gradient
        (all arrays together); the largest over the arrays. Below about 1e-7
        the gradients agree; around 1e-2 or above they do not. The whole
        gradient is the yardstick because an array whose true gradient is zero
        (a bias followed by batch norm) holds only rounding noise on both
        sides, which a per-array relative error would report as 100% wrong.

    Notes
    -----
    The network is deep-copied first, so its weights, running statistics and
    random generator are left exactly as they were.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep import nn
    >>> rng = np.random.default_rng(0)
    >>> net = nn.Sequential([nn.Dense(5), nn.Activation("tanh"), nn.Dense(3)])
    >>> _ = net.build(4, rng, np.float64)
    >>> X, y = rng.normal(size=(6, 4)), np.eye(3)[rng.integers(0, 3, size=6)]
    >>> nn.check_gradients(net, nn.losses.get("softmax_cross_entropy"), X, y) < 1e-7
    True
    """
    network = copy.deepcopy(network)
    X = np.array(X, dtype=np.float64)  # our own copy: its entries get perturbed
    if any(p.dtype != np.float64 for p in network.params):
        raise ValueError(
            "check_gradients needs a float64 network: float32 has too few digits "
            "for finite differences. Build the network with dtype=np.float64."
        )
    generators = _generators(network)
    start_states = [g.bit_generator.state for g in generators]

    def replay_randomness() -> None:
        # Every evaluation then draws the same dropout masks.
        for generator, state in zip(generators, start_states, strict=True):
            generator.bit_generator.state = state

    # Weighted batch statistics are checked too; dropout is keyed by position
    # here, since perturbing X must not change the masks.
    rows = Rows(weights=None if sample_weight is None else np.asarray(sample_weight))

    def objective() -> float:
        replay_randomness()
        scores = network.forward(X, training, rows)
        return loss.value(y, scores, sample_weight) + network.penalty()

    replay_randomness()
    # In prediction mode too, backward needs what forward keeps: ask for it
    # (only then, so that a layer written without the keyword can be checked
    # in training mode).
    extra = {} if training else {"keep_for_backward": True}
    scores = network.forward(X, training, rows, **extra)
    d_scores = loss.gradient(y, scores, sample_weight)
    d_input = network.backward(d_scores, input_grad=check_input)
    analytic = [g.copy() for g in network.grads]
    arrays = list(network.params)
    if check_input:
        analytic.append(np.array(d_input, dtype=np.float64))
        arrays.append(X)

    numeric = [_central_differences(array, objective, eps) for array in arrays]
    # Each array's error is measured against the whole gradient, not its own:
    # an array whose true gradient is zero (a bias followed by batch norm) holds
    # only rounding noise on both sides, which no relative measure could match.
    scale = _norm_of_all(analytic) + _norm_of_all(numeric)
    if scale == 0.0:
        return 0.0
    return max(
        float(np.linalg.norm(exact - approx)) / scale
        for exact, approx in zip(analytic, numeric, strict=True)
    )


def _norm_of_all(arrays: list[np.ndarray]) -> float:
    return math.sqrt(sum(float(np.vdot(a, a)) for a in arrays))


def _central_differences(array: np.ndarray, objective, eps: float) -> np.ndarray:
    """(J(θ + eps) − J(θ − eps)) / (2 eps) for every entry θ of ``array``."""
    numeric = np.empty_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + eps
        plus = objective()
        array[index] = original - eps
        minus = objective()
        array[index] = original
        numeric[index] = (plus - minus) / (2.0 * eps)
    return numeric


def _generators(network) -> list[np.random.Generator]:
    """The distinct random generators held by the network's layers (dropout)."""
    found: dict[int, np.random.Generator] = {}
    stack = [network]
    while stack:
        layer = stack.pop()
        stack.extend(getattr(layer, "layers", []))
        rng = getattr(layer, "rng", None)
        if isinstance(rng, np.random.Generator):
            found[id(rng)] = rng
    return list(found.values())
