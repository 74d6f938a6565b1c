"""Learning-rate schedules: callables ``step -> learning rate``.

``step`` counts from 0, in the unit of whoever calls the schedule: an
optimizer given one as its ``learning_rate`` calls it with the updates made so
far; :func:`skdeep.nn.train` given one as ``epoch_schedule`` calls it once per
epoch with the epoch's index, and every step of the epoch uses that rate. A
schedule is stateless, so the same step always gives the same rate (restarting
training restarts the schedule).

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
    """Base class of the schedules: a callable ``step -> learning rate``.

    Subclasses implement ``__call__(step)``; a schedule holds no state, so the
    same step always gives the same rate.

    Parameters
    ----------
    learning_rate : float
        The initial rate η₀ (> 0).

    Examples
    --------
    >>> from skdeep.nn import schedules
    >>> sched = schedules.get("cosine", learning_rate=0.1, T_max=10)
    >>> isinstance(sched, schedules.Schedule), sched(0), sched(10)
    (True, 0.1, 0.0)
    """

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = _positive("learning_rate", learning_rate)

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """Constant rate: η(t) = η₀.

    Parameters
    ----------
    learning_rate : float
        The initial rate η₀ (> 0).

    Examples
    --------
    >>> from skdeep.nn.schedules import Constant
    >>> [Constant(0.1)(t) for t in (0, 1000)]
    [0.1, 0.1]
    """

    def __call__(self, step):
        return self.learning_rate


class StepDecay(Schedule):
    """Step decay: η(t) = η₀ · γ^⌊t / step_size⌋, times γ every ``step_size`` steps.

    Parameters
    ----------
    learning_rate : float
        The initial rate η₀ (> 0).
    step_size : int
        Steps between two decays (> 0).
    gamma : float, default=0.1
        Factor applied at each decay.

    Examples
    --------
    >>> from skdeep.nn.schedules import StepDecay
    >>> sched = StepDecay(1.0, step_size=10, gamma=0.5)
    >>> [sched(t) for t in (0, 9, 10, 25)]
    [1.0, 1.0, 0.5, 0.25]
    """

    def __init__(self, learning_rate: float, step_size: int, gamma: float = 0.1):
        super().__init__(learning_rate)
        self.step_size = _positive("step_size", step_size, integer=True)
        self.gamma = _positive("gamma", gamma)

    def __call__(self, step):
        return self.learning_rate * self.gamma ** (step // self.step_size)


class ExponentialDecay(Schedule):
    """Exponential decay: η(t) = η₀ · γᵗ.

    Parameters
    ----------
    learning_rate : float
        The initial rate η₀ (> 0).
    gamma : float
        Factor applied at every step (> 0; below 1 to decay).

    Examples
    --------
    >>> from skdeep.nn.schedules import ExponentialDecay
    >>> [ExponentialDecay(1.0, gamma=0.5)(t) for t in (0, 1, 2)]
    [1.0, 0.5, 0.25]
    """

    def __init__(self, learning_rate: float, gamma: float):
        super().__init__(learning_rate)
        self.gamma = _positive("gamma", gamma)

    def __call__(self, step):
        return self.learning_rate * self.gamma**step


class InverseTimeDecay(Schedule):
    """Inverse-time decay: η(t) = η₀ / (1 + decay · t), the "1/t" schedule.

    Parameters
    ----------
    learning_rate : float
        The initial rate η₀ (> 0).
    decay : float
        Decay rate (>= 0; 0 keeps the rate constant).

    Examples
    --------
    >>> from skdeep.nn.schedules import InverseTimeDecay
    >>> [InverseTimeDecay(1.0, decay=1.0)(t) for t in (0, 1, 3)]
    [1.0, 0.5, 0.25]
    """

    def __init__(self, learning_rate: float, decay: float):
        super().__init__(learning_rate)
        if not decay >= 0:
            raise ValueError(f"decay must be >= 0, got {decay!r}.")
        self.decay = float(decay)

    def __call__(self, step):
        return self.learning_rate / (1.0 + self.decay * step)


class InvScaling(Schedule):
    """Inverse scaling: η(t) = η₀ / (t + 1)^power_t.

    This is scikit-learn's ``learning_rate='invscaling'``.

    Parameters
    ----------
    learning_rate : float
        The initial rate η₀ (> 0).
    power_t : float, default=0.5
        Exponent of the decay (>= 0).

    Examples
    --------
    >>> from skdeep.nn.schedules import InvScaling
    >>> [InvScaling(1.0, power_t=0.5)(t) for t in (0, 3, 15)]
    [1.0, 0.5, 0.25]
    """

    def __init__(self, learning_rate: float, power_t: float = 0.5):
        super().__init__(learning_rate)
        if not power_t >= 0:
            raise ValueError(f"power_t must be >= 0, got {power_t!r}.")
        self.power_t = float(power_t)

    def __call__(self, step):
        return self.learning_rate / (step + 1) ** self.power_t


class CosineAnnealing(Schedule):
    """Half a cosine from η₀ down to η_min over ``T_max`` steps, then η_min.

    Parameters
    ----------
    learning_rate : float
        The initial rate η₀ (> 0).
    T_max : int
        Length of the half cosine, in steps (> 0).
    eta_min : float, default=0.0
        Final rate, in ``[0, learning_rate]``.

    Notes
    -----
    η(t) = η_min + ½(η₀ − η_min)(1 + cos(π · min(t, T_max) / T_max)).

    References
    ----------
    Loshchilov & Hutter (2017), "SGDR: Stochastic Gradient Descent with Warm
    Restarts".

    Examples
    --------
    >>> from skdeep.nn.schedules import CosineAnnealing
    >>> sched = CosineAnnealing(1.0, T_max=10)
    >>> [sched(t) for t in (0, 5, 10, 20)]
    [1.0, 0.5, 0.0, 0.0]
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

    Parameters
    ----------
    learning_rate : float
        The initial rate η₀ (> 0).
    T_0 : int
        Length of the first cycle, in steps (> 0).
    T_mult : int, default=1
        Factor by which each cycle is longer than the previous one (>= 1).
    eta_min : float, default=0.0
        Rate at the end of every cycle, in ``[0, learning_rate]``.

    References
    ----------
    Loshchilov & Hutter (2017), "SGDR: Stochastic Gradient Descent with Warm
    Restarts".

    Examples
    --------
    With T_mult = 2 the cycles last 10, 20, 40, ... steps; step 10 restarts at
    η₀ and step 20 is half-way through the second cycle:

    >>> from skdeep.nn.schedules import CosineWarmRestarts
    >>> sched = CosineWarmRestarts(1.0, T_0=10, T_mult=2)
    >>> [sched(t) for t in (0, 5, 10, 20, 30)]
    [1.0, 0.5, 1.0, 0.5, 1.0]
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

    Parameters
    ----------
    name : str
        One of the keys of ``SCHEDULES``.
    learning_rate : float
        The initial rate η₀.
    **kwargs
        The schedule's other options (``step_size``, ``gamma``, ``T_max``, ...).

    Returns
    -------
    Schedule
        A callable ``step -> learning rate``.

    Examples
    --------
    >>> from skdeep.nn import schedules
    >>> sched = schedules.get("step", learning_rate=0.1, step_size=10, gamma=0.5)
    >>> [sched(t) for t in (0, 9, 10, 25)]
    [0.1, 0.1, 0.05, 0.025]
    """
    return lookup("schedule", name, SCHEDULES)(learning_rate, **kwargs)
