"""Learning-rate schedules: callables ``step -> learning rate``.

``step`` counts optimizer updates from 0. A schedule is stateless, so the same
step always gives the same rate (restarting training restarts the schedule).

===============  ========================================================
name             η(t)
===============  ========================================================
constant         η₀
step             η₀ · γ^⌊t / step_size⌋
exponential      η₀ · γᵗ
inverse_time     η₀ / (1 + decay · t)
invscaling       η₀ / (t + 1)^power_t              (scikit-learn's MLP)
cosine           η_min + ½(η₀ − η_min)(1 + cos(π · min(t, T_max) / T_max))
cosine_restarts  the cosine within each cycle; cycle i lasts T_0 · T_multⁱ
===============  ========================================================

Plateau-based reduction is not a schedule: it depends on the validation history,
so it belongs to the training loop.
"""

from __future__ import annotations

import math

from ._registry import lookup


def _positive(name: str, value, *, integer: bool = False):
    if integer and (int(value) != value):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}.")
    return int(value) if integer else float(value)


class Schedule:
    """Base class: ``learning_rate`` is the initial rate η₀."""

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = _positive("learning_rate", learning_rate)

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """η(t) = η₀."""

    def __call__(self, step):
        return self.learning_rate


class StepDecay(Schedule):
    """η(t) = η₀ · γ^⌊t / step_size⌋: multiply by γ every ``step_size`` steps."""

    def __init__(self, learning_rate: float, step_size: int, gamma: float = 0.1):
        super().__init__(learning_rate)
        self.step_size = _positive("step_size", step_size, integer=True)
        self.gamma = _positive("gamma", gamma)

    def __call__(self, step):
        return self.learning_rate * self.gamma ** (step // self.step_size)


class ExponentialDecay(Schedule):
    """η(t) = η₀ · γᵗ."""

    def __init__(self, learning_rate: float, gamma: float):
        super().__init__(learning_rate)
        self.gamma = _positive("gamma", gamma)

    def __call__(self, step):
        return self.learning_rate * self.gamma**step


class InverseTimeDecay(Schedule):
    """η(t) = η₀ / (1 + decay · t), the "1/t" schedule."""

    def __init__(self, learning_rate: float, decay: float):
        super().__init__(learning_rate)
        if not decay >= 0:
            raise ValueError(f"decay must be >= 0, got {decay!r}.")
        self.decay = float(decay)

    def __call__(self, step):
        return self.learning_rate / (1.0 + self.decay * step)


class InvScaling(Schedule):
    """η(t) = η₀ / (t + 1)^power_t, as scikit-learn's ``learning_rate='invscaling'``."""

    def __init__(self, learning_rate: float, power_t: float = 0.5):
        super().__init__(learning_rate)
        if not power_t >= 0:
            raise ValueError(f"power_t must be >= 0, got {power_t!r}.")
        self.power_t = float(power_t)

    def __call__(self, step):
        return self.learning_rate / (step + 1) ** self.power_t


class CosineAnnealing(Schedule):
    """Half a cosine from η₀ down to η_min over ``T_max`` steps, then η_min.

    References
    ----------
    Loshchilov & Hutter (2017), "SGDR: Stochastic Gradient Descent with Warm
    Restarts".
    """

    def __init__(self, learning_rate: float, T_max: int, eta_min: float = 0.0):
        super().__init__(learning_rate)
        self.T_max = _positive("T_max", T_max, integer=True)
        self.eta_min = _eta_min(eta_min, self.learning_rate)

    def __call__(self, step):
        return _cosine(
            self.learning_rate, self.eta_min, min(step, self.T_max), self.T_max
        )


class CosineWarmRestarts(Schedule):
    """SGDR: cosine annealing restarted every cycle; cycle i lasts T_0 · T_multⁱ steps.

    References
    ----------
    Loshchilov & Hutter (2017), "SGDR: Stochastic Gradient Descent with Warm
    Restarts".
    """

    def __init__(
        self, learning_rate: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0
    ):
        super().__init__(learning_rate)
        self.T_0 = _positive("T_0", T_0, integer=True)
        self.T_mult = _positive("T_mult", T_mult, integer=True)
        self.eta_min = _eta_min(eta_min, self.learning_rate)

    def __call__(self, step):
        # Walk the cycles in integers: exact, and O(log t) when T_mult > 1.
        t_cur, period = step, self.T_0
        if self.T_mult == 1:
            t_cur %= period
        else:
            while t_cur >= period:
                t_cur -= period
                period *= self.T_mult
        return _cosine(self.learning_rate, self.eta_min, t_cur, period)


def _eta_min(eta_min, learning_rate):
    if not 0.0 <= eta_min <= learning_rate:
        raise ValueError(f"eta_min must be in [0, learning_rate], got {eta_min!r}.")
    return float(eta_min)


def _cosine(eta_max: float, eta_min: float, t: int, period: int) -> float:
    return eta_min + 0.5 * (eta_max - eta_min) * (1.0 + math.cos(math.pi * t / period))


SCHEDULES: dict[str, type[Schedule]] = {
    "constant": Constant,
    "step": StepDecay,
    "exponential": ExponentialDecay,
    "inverse_time": InverseTimeDecay,
    "invscaling": InvScaling,
    "cosine": CosineAnnealing,
    "cosine_restarts": CosineWarmRestarts,
}


def get(name: str, learning_rate: float, **kwargs) -> Schedule:
    """Return the schedule called ``name`` starting at ``learning_rate``.

    Examples
    --------
    >>> from skdeep.nn import schedules
    >>> sched = schedules.get("step", learning_rate=0.1, step_size=10, gamma=0.5)
    >>> [sched(t) for t in (0, 9, 10, 25)]
    [0.1, 0.1, 0.05, 0.025]
    """
    return lookup("schedule", name, SCHEDULES)(learning_rate, **kwargs)
