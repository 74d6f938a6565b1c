"""The ``learning_rate`` option of the stochastic solvers: a schedule per epoch.

scikit-learn's options keep scikit-learn's meaning and, as there, only change
'sgd': 'constant' and 'adaptive' (a policy of the training loop, see
:func:`~skdeep.neural_network._stochastic.reduce_on_plateau`) leave the
optimizer's rate to it, 'invscaling' is a schedule of the samples seen. The
others schedule every stochastic solver, per epoch, scaled to the epoch budget
``max_iter``; a callable is a schedule of the epoch.

``partial_fit`` has no budget: the calls go on as long as data comes. A
schedule scaled to ``max_iter`` epochs therefore starts again every
``max_iter`` epochs (a warm restart, as 'cosine_restarts' does within its
budget), so that streaming never reaches a rate of 0 ('cosine') or one that
decays for ever ('step', 'exponential', 'inverse_time'). A fit of ``max_iter``
epochs never gets that far: only a stream outlives the budget.

:func:`skdeep.nn.train` evaluates the schedule before each epoch
(``epoch_schedule``); an :class:`EpochSchedule` says where the schedule stands,
so that ``partial_fit`` continues it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from .. import nn

SKLEARN_SCHEDULES = ("constant", "invscaling", "adaptive")
# Each built-in schedule, given learning_rate_init and max_iter.
_SCALED_TO_BUDGET = {
    "step": lambda lr, budget: nn.schedules.StepDecay(
        lr, max(1, budget // 3), gamma=0.1
    ),
    "exponential": lambda lr, budget: nn.schedules.ExponentialDecay(
        lr, gamma=0.01 ** (1.0 / budget)
    ),
    "inverse_time": lambda lr, budget: nn.schedules.InverseTimeDecay(lr, 9.0 / budget),
    "cosine": lambda lr, budget: nn.schedules.CosineAnnealing(lr, T_max=budget),
    "cosine_restarts": lambda lr, budget: nn.schedules.CosineWarmRestarts(
        lr, T_0=max(1, budget // 7), T_mult=2
    ),
}
EPOCH_SCHEDULES = tuple(_SCALED_TO_BUDGET)


@dataclass(frozen=True)
class EpochSchedule:
    """A per-epoch learning-rate schedule and where it stands.

    ``schedule`` is evaluated at the epochs trained on it so far, or, for
    scikit-learn's ``invscaling`` (``use_samples``), at the samples seen so far.
    Immutable: training gives a new one (:meth:`after`).

    Files saved by skdeep 0.1.0.dev0 hold one, under the same attribute names,
    as their optimizer's learning rate (see :func:`take_from_legacy_optimizer`).

    Parameters
    ----------
    schedule : callable
        ``position -> learning rate``.
    epoch : int, default=0
        Epochs trained on the schedule.
    samples_seen : int, default=0
        Rows trained on it (``t_`` in scikit-learn's ``invscaling``).
    use_samples : bool, default=False
        Evaluate ``schedule`` at ``samples_seen`` instead of ``epoch``.
    period : int or None, default=None
        Epochs after which the schedule starts again (its budget); None: never.
    """

    schedule: Callable[[int], float]
    epoch: int = 0
    samples_seen: int = 0
    use_samples: bool = False
    period: int | None = None

    def rates(self, first_epoch: int, n_samples: int) -> Callable[[int], float]:
        """``epoch_schedule`` for :func:`skdeep.nn.train`: history epoch -> rate.

        ``first_epoch`` is the history's index of the next epoch and
        ``n_samples`` the rows of each epoch.
        """

        def rate(epoch: int) -> float:
            done = epoch - first_epoch
            if self.use_samples:
                return self.schedule(self.samples_seen + done * n_samples)
            if self.period is not None:
                return self.schedule((self.epoch + done) % self.period)
            return self.schedule(self.epoch + done)

        return rate

    def after(self, n_epochs: int, n_samples: int) -> EpochSchedule:
        """Where the schedule stands after ``n_epochs`` more epochs of ``n_samples``."""
        return replace(
            self,
            epoch=self.epoch + n_epochs,
            samples_seen=self.samples_seen + n_epochs * n_samples,
        )


def epoch_schedule(estimator, samples_seen: int) -> EpochSchedule | None:
    """The estimator's per-epoch schedule, or None where the optimizer's rate applies.

    ``samples_seen`` is where scikit-learn's ``invscaling`` starts (``t_``).
    """
    name, lr = estimator.learning_rate, estimator.learning_rate_init
    if callable(name):
        return EpochSchedule(name)
    if name in ("constant", "adaptive") or (
        name == "invscaling" and estimator.solver != "sgd"
    ):
        return None
    if name == "invscaling":  # scikit-learn: lr / (samples seen + 1)^power_t
        schedule = nn.schedules.InvScaling(lr, power_t=estimator.power_t)
        return EpochSchedule(schedule, samples_seen=samples_seen, use_samples=True)
    budget = estimator.max_iter
    return EpochSchedule(_SCALED_TO_BUDGET[name](lr, budget), period=budget)


def with_budget_period(
    schedule: EpochSchedule | None, estimator
) -> EpochSchedule | None:
    """``schedule`` restarting every ``max_iter`` epochs if it is scaled to them.

    For schedules saved before the period was recorded.
    """
    if schedule is None or schedule.use_samples or schedule.period is not None:
        return schedule
    if isinstance(estimator.learning_rate, str) and (
        estimator.learning_rate in EPOCH_SCHEDULES
    ):
        return replace(schedule, period=estimator.max_iter)
    return schedule


def take_from_legacy_optimizer(optimizer) -> EpochSchedule | None:
    """Move the schedule out of an optimizer saved by skdeep 0.1.0.dev0.

    That version gave the optimizer the :class:`EpochSchedule` itself as its
    learning rate (called with the step count, which it ignored). The
    optimizer gets the rate of the next epoch instead, and the schedule is
    returned (None when the optimizer's rate is a number: nothing to move).
    """
    schedule = optimizer.learning_rate
    if not isinstance(schedule, EpochSchedule):
        return None
    optimizer.learning_rate = float(schedule.rates(0, 0)(0))
    return schedule
