"""The stochastic solvers: runs of :func:`skdeep.nn.train`, and the best one kept.

A *run* trains one network with one optimizer. A first fit starts ``n_init``
runs from new networks and keeps the best; a warm start or ``partial_fit``
continues the fitted network in one run, on copies of the fitted network,
optimizer and history, which replace the fitted ones only if the fit succeeds
(see :func:`skdeep._fit_state.all_or_nothing`). Copying costs O(parameters +
epochs), as much as storing the fitted attributes does.
"""

from __future__ import annotations

import functools
import inspect
import math
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .. import nn
from .._warnings import warn
from ..nn.training import TrainingDivergedError
from ._learning_rate import EpochSchedule
from ._progress import EpochReporter


@dataclass
class Run:
    """One network trained with one optimizer: what a fit stores if it is the best.

    ``schedule`` and ``samples_seen`` say where the run started; ``n_iter``
    counts the epochs it completed.
    """

    network: nn.Sequential
    optimizer: nn.optimizers.Optimizer
    history: nn.History
    schedule: EpochSchedule | None
    samples_seen: int
    n_iter: int = 0


@dataclass(frozen=True)
class Epochs:
    """What every run of one fit trains on (validation rows held out), how long."""

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray | None
    validation: tuple | None  # (X_val, Y_val, w_val) under early stopping
    batch_size: int
    n_epochs: int
    incremental: bool  # partial_fit: one epoch on the data it is given

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def early_stopping(self) -> bool:
        return self.validation is not None

    @property
    def penalty_rows(self) -> float:
        """The nominal weighted rows of a batch, which the penalties are divided by."""
        mean_weight = 1.0 if self.sample_weight is None else np.mean(self.sample_weight)
        return self.batch_size * float(mean_weight)


def make_optimizer(estimator) -> nn.optimizers.Optimizer:
    """The optimizer named by ``solver`` in :data:`skdeep.nn.optimizers.OPTIMIZERS`.

    It starts at ``learning_rate_init`` and takes the estimator's ``beta_1``,
    ``beta_2`` and ``epsilon`` where its constructor has options of those names;
    ``momentum`` and ``nesterovs_momentum`` are, as in scikit-learn, options of
    'sgd' only.
    """
    solver = estimator.solver
    options = {
        "beta_1": estimator.beta_1,
        "beta_2": estimator.beta_2,
        "epsilon": estimator.epsilon,
    }
    if solver == "sgd":
        momentum = estimator.momentum
        options["momentum"] = momentum
        options["nesterov"] = estimator.nesterovs_momentum and momentum > 0
    accepted = inspect.signature(nn.optimizers.OPTIMIZERS[solver]).parameters
    options = {name: value for name, value in options.items() if name in accepted}
    return nn.optimizers.get(solver, estimator.learning_rate_init, **options)


def restart_generators(rng, restarts: int) -> list[np.random.Generator]:
    """The random generator of each run: ``rng`` itself for a single run."""
    seeds = rng.integers(np.iinfo(np.int64).max, size=restarts)
    if restarts == 1:
        return [rng]
    return [np.random.default_rng(seed) for seed in seeds]


def train_run(estimator, run: Run, epochs: Epochs, loss, rng, label) -> None:
    """Train ``run`` with :func:`skdeep.nn.train`, reporting progress.

    A ``KeyboardInterrupt`` passes through, with the run's history cut to the
    completed epochs (counted in ``n_iter``) by ``nn.train``.
    """
    history = run.history
    epochs_before = history.n_epochs
    rates = None
    if run.schedule is not None:
        rates = run.schedule.rates(epochs_before, epochs.n_samples)
    score = None
    if epochs.early_stopping:
        weights = epochs.validation[2]
        score = functools.partial(estimator._validation_score, sample_weight=weights)
    best = _BestWeights(run.network, history) if epochs.early_stopping else None
    with EpochReporter(estimator.verbose, epochs.n_epochs, label) as reporter:
        try:
            nn.train(
                run.network, loss, run.optimizer, epochs.X, epochs.Y, rng=rng,
                epochs=epochs.n_epochs, batch_size=epochs.batch_size,
                sample_weight=epochs.sample_weight, shuffle=estimator.shuffle,
                validation_data=epochs.validation, validation_score=score,
                early_stopping=epochs.early_stopping,
                n_iter_no_change=estimator.n_iter_no_change, tol=estimator.tol,
                callbacks=(reporter,) if best is None else (reporter, best),
                on_plateau=reduce_on_plateau(estimator, run.optimizer, reporter),
                epoch_schedule=rates, history=history,
            )  # fmt: skip
        except TrainingDivergedError as error:
            if best is None or best.weights is None:
                raise
            best.restore_after(error, epochs.X)
        finally:
            run.n_iter = history.n_epochs - epochs_before
        if history.stopped and not epochs.incremental:
            reporter.message(f"{stall_message(estimator)} Stopping.")


def check_call_did_not_blow_up(previous, run: Run, epochs: Epochs, loss) -> None:
    """Refuse a continued call that left the model far worse on its own data.

    A step far too large for the data (rows of a scale the model never saw)
    can leave huge but finite weights after a call of one step, which no later
    epoch loss of the call shows. The call's own rows judge it: their loss
    under the trained network against their loss under ``previous``, the
    network the call started from, both in prediction mode (batch norm's
    running statistics lag behind drifted data in both alike). Earlier calls'
    losses do not count: new data may fairly lose more (drift, noisy labels).
    The common case costs one forward pass over one batch of rows.
    """
    rows = slice(0, epochs.batch_size)
    X, Y = epochs.X[rows], epochs.Y[rows]
    weights = None if epochs.sample_weight is None else epochs.sample_weight[rows]
    after = _prediction_loss(run.network, loss, X, Y, weights)
    losses = run.history.epochs["loss"][len(run.history.epochs["loss"]) - run.n_iter :]
    if math.isfinite(after) and (not losses or after <= 10.0 * min(losses)):
        return
    before = _prediction_loss(previous, loss, X, Y, weights)
    if math.isfinite(after) and after <= 10.0 * before:
        return
    lr = run.optimizer.current_learning_rate()
    raise TrainingDivergedError(
        f"Training diverged: the loss on this call's data went from {before:.3g} "
        f"(the model it started from) to {after:.3g}. The learning rate ({lr:g}) "
        "is too high for this data: lower it, or standardise the input features."
    )


def _prediction_loss(network, loss, X, Y, weights) -> float:
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return float(loss.value(Y, network.forward(X, training=False), weights))


class _BestWeights:
    """A ``train`` callback keeping the weights of the best validation epoch, so
    that a run diverging under early stopping ends as scikit-learn's does: the
    diverged epoch scored NaN, the best weights kept, training stopped.
    """

    def __init__(self, network, history) -> None:
        self.network, self.history, self.weights = network, history, None

    def __call__(self, history) -> bool:
        if history.best_epoch == history.n_epochs - 1:
            self.weights = self.network.get_weights()
        return False

    def restore_after(self, error, X) -> None:
        """Keep the best epoch's weights, unless they overflow on the training
        rows ``X`` too (the epoch's end can overflow before its loss shows it):
        then ``error`` is raised."""
        self.network.set_weights(self.weights)
        with np.errstate(over="ignore", invalid="ignore"):
            overflows = not np.isfinite(self.network.forward(X)).all()
        if overflows:
            raise error
        epochs = self.history.epochs
        completed = len(epochs["time"])  # recorded last: the finished epochs
        for values in epochs.values():
            del values[completed:]
        for key in epochs:  # the diverged epoch, which has no finite value
            epochs[key].append(math.nan)
        self.history.stopped = True
        warn(
            f"{error} Kept the weights of the epoch with the best validation score.",
            ConvergenceWarning,
        )


def reduce_on_plateau(estimator, optimizer, reporter):
    """scikit-learn's ``learning_rate='adaptive'``: divide by 5 on a plateau."""
    if estimator.learning_rate != "adaptive" or estimator.solver != "sgd":
        return None

    def on_plateau(history) -> bool:
        if optimizer.learning_rate <= 1e-6:
            return False
        optimizer.learning_rate /= 5.0
        reporter.message(
            f"{stall_message(estimator)} Setting learning rate to "
            f"{optimizer.learning_rate:f}"
        )
        return True

    return on_plateau


def stall_message(estimator) -> str:
    watched = "Validation score" if estimator.early_stopping else "Training loss"
    return (
        f"{watched} did not improve more than tol={estimator.tol:f} for "
        f"{estimator.n_iter_no_change} consecutive epochs."
    )


def usable_after_interrupt(run: Run) -> bool:
    """Whether a run whose training the user interrupted is worth keeping.

    scikit-learn's MLP warns and keeps its weights; so do we, provided there is
    a training curve to report (one epoch at least, earlier fits included) and
    the weights are finite (an interrupt may land in a diverging epoch, before
    the check at its end).
    """
    finite = all(np.isfinite(p).all() for p in run.network.params)
    return run.history.n_epochs > 0 and finite


def better(run: Run, best: Run | None, early_stopping: bool) -> Run:
    """Restart selection: validation score with early stopping, else final loss."""
    if best is None:
        return run
    history, best_history = run.history, best.history
    if early_stopping:
        improved = history.best_score > best_history.best_score
    else:
        improved = history.epochs["loss"][-1] < best_history.epochs["loss"][-1]
    return run if improved else best
