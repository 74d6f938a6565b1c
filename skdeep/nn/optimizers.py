"""First-order optimizers: update parameters in place from their gradients.

An optimizer is configured in ``__init__`` and keeps its state (velocities,
moment estimates) per parameter *position*, so ``step(params, grads)`` must
always be called with the same list of arrays, in the same order; ``reset()``
forgets the state. ``learning_rate`` is a float or a schedule (any callable
``step -> rate``, see :mod:`skdeep.nn.schedules`) evaluated at the number of
updates made so far. Stopping decisions belong to the training loop, not here.

With gradient g and learning rate η, for each parameter θ:

SGD
    v ← μv − ηg;  θ ← θ + v  (plain SGD when μ = 0).
    Nesterov: θ ← θ + μv − ηg with the updated v (Sutskever et al., 2013).
AdaGrad
    r ← r + g⊙g;  θ ← θ − ηg / (√r + ε)  (Duchi et al., 2011).
RMSProp
    r ← ρr + (1 − ρ)g⊙g;  s = ηg / (√r + ε);
    θ ← θ − s, or with momentum v ← μv − s, θ ← θ + v (Hinton, 2012).
Adam
    m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g⊙g;
    m̂ = m / (1 − β₁ᵗ);  v̂ = v / (1 − β₂ᵗ);  θ ← θ − η m̂ / (√v̂ + ε)
    (Kingma & Ba, 2015). AMSGrad uses the running maximum of v in place of v
    (Reddi et al., 2018).

Every rule is elementwise, so ``step`` hands ``update`` a large parameter in
blocks of ``BLOCK_SIZE`` elements (views, updated in place): each block's
parameter, gradient, state and scratch stay in the CPU's L2 cache across the
update's several passes, instead of every pass streaming megabytes from
memory. The result is the same, element for element.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ._registry import lookup

LearningRate = float | Callable[[int], float]

# Elements per block: 64 Ki float32 is 256 KiB, so the five arrays an update
# touches (parameter, gradient, two moments, scratch) fit in a 2 MiB L2 cache.
# Much smaller blocks pay more in per-call overhead than they save in memory
# traffic (the (784, 512) kernel of an MLP gives 7 blocks).
BLOCK_SIZE = 1 << 16


class Optimizer:
    """Base class: handles the learning rate, the step count and per-slot state.

    Subclasses define ``slots()`` (names of the state arrays each parameter
    gets, created as zeros of its shape and dtype, plus a ``"scratch"`` array
    that spares the update its temporaries) and ``update(param, grad, state,
    lr)``, which changes ``param`` in place. ``update`` must be elementwise:
    ``step`` may call it on matching flat blocks of ``param``, ``grad`` and the
    state arrays instead of the whole arrays.

    Parameters
    ----------
    learning_rate : float or callable, default=0.01
        A positive rate, or a schedule ``step -> rate`` evaluated at the number
        of updates made so far (:attr:`iterations`).

    Examples
    --------
    A schedule halving the rate at every step: 1 − 0.1 − 0.05 = 0.85.

    >>> import numpy as np
    >>> from skdeep.nn import optimizers, schedules
    >>> halving = schedules.get("exponential", learning_rate=0.1, gamma=0.5)
    >>> opt = optimizers.SGD(learning_rate=halving)
    >>> w, g = np.array([1.0]), np.array([1.0])
    >>> opt.step([w], [g])
    >>> opt.step([w], [g])
    >>> w, opt.iterations, opt.current_learning_rate()
    (array([0.85]), 2, 0.025)
    """

    def __init__(self, learning_rate: LearningRate = 0.01) -> None:
        if not callable(learning_rate) and not learning_rate > 0:
            raise ValueError(
                f"learning_rate must be > 0 or a schedule, got {learning_rate!r}."
            )
        self.learning_rate = learning_rate
        self.reset()

    def reset(self) -> None:
        """Forget all state: the next step is the first one."""
        self.iterations = 0
        self._state: list[dict[str, np.ndarray]] | None = None
        # Per parameter: (start, stop, state views) of each block, built with
        # the state (whose arrays the optimizer owns, so the views stay valid).
        self._blocks: list[list[tuple[int, int, dict[str, np.ndarray]]]] = []

    def __getstate__(self) -> dict:
        # The blocks are views of the state arrays, a link that copying or
        # pickling does not keep: a copy would update its blocks while its
        # state arrays went stale. It rebuilds them from its own state instead.
        state = dict(vars(self))
        state["_blocks"] = []
        return state

    def current_learning_rate(self) -> float:
        """Learning rate the next ``step`` will use."""
        lr = self.learning_rate
        return float(lr(self.iterations)) if callable(lr) else float(lr)

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update every ``params[i]`` in place from ``grads[i]``."""
        if self._state is None:
            self._state = [self._new_state(p) for p in params]
        if not self._blocks:
            self._blocks = [
                _state_blocks(state, p.size)
                for state, p in zip(self._state, params, strict=True)
            ]
        if len(params) != len(self._state) or len(grads) != len(params):
            raise ValueError(
                f"{type(self).__name__}.step got {len(params)} parameters and "
                f"{len(grads)} gradients but holds state for {len(self._state)}; "
                "call reset() before optimizing a different network."
            )
        lr = self.current_learning_rate()
        self.iterations += 1
        for param, grad, state, blocks in zip(
            params, grads, self._state, self._blocks, strict=True
        ):
            if len(blocks) == 1:
                self.update(param, grad, state, lr)
                continue
            if not (param.flags.c_contiguous and grad.flags.c_contiguous):
                # reshape would copy: update the arrays whole (a rare layout).
                whole = {**state, "scratch": np.empty(param.shape, param.dtype)}
                self.update(param, grad, whole, lr)
                continue
            flat_param, flat_grad = param.reshape(-1), grad.reshape(-1)
            for start, stop, views in blocks:
                self.update(flat_param[start:stop], flat_grad[start:stop], views, lr)

    def slots(self) -> tuple[str, ...]:
        """Names of the per-parameter state arrays this configuration needs."""
        return ()

    def _new_state(self, param: np.ndarray) -> dict[str, np.ndarray]:
        # C order whatever the parameter's layout, so that the state flattens
        # into views that can be cut into blocks. A parameter updated in blocks
        # needs a scratch array of one block only, which stays in cache.
        state = {name: np.zeros(param.shape, param.dtype) for name in self.slots()}
        scratch_shape = param.shape if param.size <= BLOCK_SIZE else (BLOCK_SIZE,)
        state["scratch"] = np.zeros(scratch_shape, param.dtype)
        return state

    def update(self, param, grad, state, lr) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(
            f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_")
        )
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    Parameters
    ----------
    learning_rate : float or callable, default=0.01
        Step size η, fixed or a schedule.
    momentum : float in [0, 1), default=0
        Momentum μ; 0 is plain SGD.
    nesterov : bool, default=False
        Nesterov's look-ahead form. Needs ``momentum > 0``.

    Examples
    --------
    With η = 0.1, μ = 0.9 and g = 0.5: v = −0.05 after one step, then
    v = 0.9·(−0.05) − 0.05 = −0.095.

    >>> import numpy as np
    >>> from skdeep.nn.optimizers import SGD
    >>> opt, w, g = SGD(0.1, momentum=0.9), np.array([1.0]), np.array([0.5])
    >>> opt.step([w], [g])
    >>> w
    array([0.95])
    >>> opt.step([w], [g])
    >>> w
    array([0.855])

    Nesterov's first step adds μv to the plain step: 1 − 0.05 − 0.045.

    >>> w = np.array([1.0])
    >>> SGD(0.1, momentum=0.9, nesterov=True).step([w], [g])
    >>> w
    array([0.905])
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}.")
        if nesterov and momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0.")
        self.momentum = momentum
        self.nesterov = nesterov
        super().__init__(learning_rate)

    def slots(self):
        return ("velocity",) if self.momentum else ()

    def update(self, param, grad, state, lr):
        step = np.multiply(grad, lr, out=state["scratch"])  # ηg
        if not self.momentum:
            param -= step
            return
        velocity = state["velocity"]
        velocity *= self.momentum
        velocity -= step  # v ← μv − ηg
        if self.nesterov:
            param -= step
            step = np.multiply(velocity, self.momentum, out=step)
            param += step  # θ ← θ + μv − ηg
        else:
            param += velocity


class AdaGrad(Optimizer):
    """AdaGrad: per-coordinate rates shrinking with the sum of squared gradients.

    Parameters
    ----------
    learning_rate : float or callable, default=0.01
        Step size η, fixed or a schedule.
    epsilon : float, default=1e-8
        Added to √r so that a zero gradient history does not divide by zero.

    Examples
    --------
    The first step is η·g/|g| ≈ η whatever the gradient's scale:

    >>> import numpy as np
    >>> from skdeep.nn.optimizers import AdaGrad
    >>> w, g = np.array([1.0, 1.0]), np.array([0.5, 100.0])
    >>> AdaGrad(0.1).step([w], [g])
    >>> w
    array([0.9, 0.9])
    """

    def __init__(self, learning_rate=0.01, epsilon=1e-8):
        self.epsilon = _positive_epsilon(epsilon)
        super().__init__(learning_rate)

    def slots(self):
        return ("accumulator",)

    def update(self, param, grad, state, lr):
        acc, tmp = state["accumulator"], state["scratch"]
        np.multiply(grad, grad, out=tmp)
        acc += tmp  # r ← r + g⊙g
        np.sqrt(acc, out=tmp)
        tmp += self.epsilon
        np.divide(grad, tmp, out=tmp)
        tmp *= lr
        param -= tmp


class RMSProp(Optimizer):
    """RMSProp, optionally with momentum.

    Parameters
    ----------
    learning_rate : float or callable, default=0.001
        Step size η, fixed or a schedule.
    rho : float in [0, 1), default=0.9
        Decay of the running average of squared gradients.
    momentum : float in [0, 1), default=0
        Momentum μ applied to the scaled step; 0 disables it.
    epsilon : float, default=1e-8
        Added to √r so that a zero gradient history does not divide by zero.

    Examples
    --------
    The first average is r = (1 − ρ)g², so the first step is η/√(1 − ρ) ≈ 3.16η:

    >>> import numpy as np
    >>> from skdeep.nn.optimizers import RMSProp
    >>> w, g = np.array([1.0]), np.array([0.5])
    >>> RMSProp(0.01, rho=0.9).step([w], [g])
    >>> bool(np.isclose(w[0], 1 - 0.01 / np.sqrt(0.1)))
    True
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-8):
        if not 0.0 <= rho < 1.0:
            raise ValueError(f"rho must be in [0, 1), got {rho!r}.")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}.")
        self.rho = rho
        self.momentum = momentum
        self.epsilon = _positive_epsilon(epsilon)
        super().__init__(learning_rate)

    def slots(self):
        return ("mean_square", "velocity") if self.momentum else ("mean_square",)

    def update(self, param, grad, state, lr):
        ms, tmp = state["mean_square"], state["scratch"]
        np.multiply(grad, grad, out=tmp)
        tmp *= 1.0 - self.rho
        ms *= self.rho
        ms += tmp  # r ← ρr + (1 − ρ)g⊙g
        np.sqrt(ms, out=tmp)
        tmp += self.epsilon
        np.divide(grad, tmp, out=tmp)
        tmp *= lr  # s = ηg / (√r + ε)
        if not self.momentum:
            param -= tmp
            return
        velocity = state["velocity"]
        velocity *= self.momentum
        velocity -= tmp
        param += velocity


class Adam(Optimizer):
    """Adam with bias correction, optionally AMSGrad.

    Parameters
    ----------
    learning_rate : float or callable, default=0.001
        Step size η, fixed or a schedule.
    beta_1, beta_2 : float in [0, 1), default=0.9, 0.999
        Decay rates of the first and second moment estimates.
    epsilon : float, default=1e-8
        Added to √v̂ so that a zero gradient history does not divide by zero.
    amsgrad : bool, default=False
        Divide by the running maximum of the second moment (Reddi et al., 2018).
    bias_correction : bool, default=True
        Divide the moments by (1 − βᵗ). Switch off only to see why it exists: both
        moments start biased towards 0, and with the default betas the first step
        is then (1 − β₁)/√(1 − β₂) ≈ 3.2 times too large.

    Examples
    --------
    With bias correction m̂ = g and v̂ = g² after one step, so the first step is
    η·g/|g| = η whatever the gradient's scale; without it, 3.16 times that:

    >>> import numpy as np
    >>> from skdeep.nn.optimizers import Adam
    >>> w, g = np.array([1.0, 1.0]), np.array([0.5, 1000.0])
    >>> Adam(0.001).step([w], [g])
    >>> w
    array([0.999, 0.999])
    >>> w = np.array([1.0])
    >>> Adam(0.001, bias_correction=False).step([w], [np.array([0.5])])
    >>> bool(np.isclose(1 - w[0], 0.001 * 0.1 / np.sqrt(0.001)))
    True
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        amsgrad=False,
        bias_correction=True,
    ):
        for name, beta in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {beta!r}.")
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = _positive_epsilon(epsilon)
        self.amsgrad = amsgrad
        self.bias_correction = bias_correction
        super().__init__(learning_rate)

    def slots(self):
        return ("m", "v", "v_max") if self.amsgrad else ("m", "v")

    def update(self, param, grad, state, lr):
        # The state holds the moments without their (1 − β) factors,
        # m̃ = m / (1 − β₁) and ṽ = v / (1 − β₂): then m̃ ← β₁m̃ + g and
        # ṽ ← β₂ṽ + g⊙g need no scaling pass, and the constant factors join the
        # bias corrections cᵢ = 1 − βᵢᵗ in two scalars. With k = √((1 − β₂)/c₂),
        # η m̂ / (√v̂ + ε) = η (1 − β₁) / (c₁ k) · m̃ / (√ṽ + ε / k), exactly.
        m, v, tmp = state["m"], state["v"], state["scratch"]
        t = self.iterations  # already counts this step: t = 1 on the first update
        m *= self.beta_1
        m += grad
        np.square(grad, out=tmp)
        v *= self.beta_2
        v += tmp
        if self.amsgrad:  # the maximum commutes with the constant factor 1 − β₂
            v = np.maximum(state["v_max"], v, out=state["v_max"])
        if self.bias_correction:
            correction_1 = 1.0 - self.beta_1**t
            correction_2 = 1.0 - self.beta_2**t
        else:
            correction_1 = correction_2 = 1.0
        k = math.sqrt((1.0 - self.beta_2) / correction_2)
        np.sqrt(v, out=tmp)
        tmp += self.epsilon / k
        np.divide(m, tmp, out=tmp)
        tmp *= lr * (1.0 - self.beta_1) / (correction_1 * k)
        param -= tmp


def _state_blocks(state: dict[str, np.ndarray], size: int):
    """Per block of at most ``BLOCK_SIZE`` elements: ``(start, stop, views)``.

    The views are flat slices of the state arrays; every block shares the
    block-sized scratch array.
    """
    scratch = state["scratch"].reshape(-1)
    flat = {name: a.reshape(-1) for name, a in state.items() if name != "scratch"}
    blocks = []
    for start in range(0, max(size, 1), BLOCK_SIZE):
        stop = min(start + BLOCK_SIZE, size)
        views = {name: a[start:stop] for name, a in flat.items()}
        views["scratch"] = scratch[: stop - start]
        blocks.append((start, stop, views))
    return blocks


def _positive_epsilon(epsilon):
    if not epsilon > 0:
        raise ValueError(f"epsilon must be > 0, got {epsilon!r}.")
    return epsilon


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adagrad": AdaGrad,
    "rmsprop": RMSProp,
    "adam": Adam,
}


def get(name: str, learning_rate: LearningRate = None, **kwargs) -> Optimizer:
    """Return a new optimizer called ``name``.

    Parameters
    ----------
    name : str
        One of ``"sgd"``, ``"adagrad"``, ``"rmsprop"``, ``"adam"``.
    learning_rate : float or callable, optional
        The optimizer's default when omitted.
    **kwargs
        The optimizer's other options (``momentum``, ``beta_1``, ...).

    Returns
    -------
    Optimizer
        A new instance with empty state.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn import optimizers
    >>> w, g = np.array([1.0]), np.array([0.5])
    >>> optimizers.get("sgd", learning_rate=0.1).step([w], [g])
    >>> w
    array([0.95])
    """
    cls = lookup("optimizer", name, OPTIMIZERS)
    if learning_rate is not None:
        kwargs["learning_rate"] = learning_rate
    return cls(**kwargs)
