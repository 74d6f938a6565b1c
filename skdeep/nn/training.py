"""The minibatch training loop, lifted out of the estimators.

One epoch is: shuffle → for each minibatch: forward → loss → backward
(regularization gradients are added by the layers) → optimizer step →
constraints; then evaluate on the validation data, record the history and
decide whether to stop. Each of those is a small function here, so the loop in
:func:`train` reads like the list above.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
import scipy.sparse

from .layers import Layer
from .losses import Loss
from .optimizers import Optimizer
from .rows import Rows, row_keys


class TrainingDivergedError(FloatingPointError, ValueError):
    """The loss or the parameters became infinite or NaN during training.

    A :class:`FloatingPointError` (what happened) and a :class:`ValueError`
    (what usually caused it: data or options the training cannot handle, such
    as unscaled features or too high a learning rate), so that code catching
    scikit-learn's ``ValueError`` for bad input catches it too.

    Examples
    --------
    Plain SGD with a step far beyond 2/L on unscaled features:

    >>> import numpy as np
    >>> from skdeep import nn
    >>> rng = np.random.default_rng(0)
    >>> net = nn.Sequential([nn.Dense(1)])
    >>> _ = net.build(1, rng, np.float64)
    >>> X = 100 * rng.normal(size=(50, 1))
    >>> sgd = nn.optimizers.get("sgd", learning_rate=1.0)
    >>> loss = nn.losses.get("squared_error")
    >>> nn.train(net, loss, sgd, X, X, rng=rng, epochs=100, tol=None)
    Traceback (most recent call last):
    ...
    skdeep.nn.training.TrainingDivergedError: Training diverged in epoch ...
    """


@dataclass
class History:
    """What happened during training.

    :func:`train` creates and fills it; every field below is both a
    constructor parameter and an attribute.

    Parameters
    ----------
    epochs : dict of str to list of float
        One entry per epoch under ``"loss"`` (mean minibatch objective, penalty
        included), ``"learning_rate"`` (at the epoch's first step), ``"time"``
        (seconds) and, with validation data, ``"val_loss"`` and ``"val_score"``.
    best_epoch : int or None
        Index of the best epoch by the monitored quantity.
    best_loss, best_score : float
        Lowest training loss seen; best validation score seen (``-inf`` when
        there is no validation data).
    best_val_loss : float
        Validation loss of the best epoch under early stopping (chooses among
        epochs whose validation scores are within ``tol`` of the best; never
        resets the count).
    no_improvement_count : int
        Consecutive epochs without an improvement larger than ``tol``.
    stopped : bool
        Whether training stopped before the epoch budget: the monitored quantity
        stalled, or a callback asked to stop.
    n_steps, n_samples_seen : int
        Optimizer updates made and training rows processed (over all epochs).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep import nn
    >>> rng = np.random.default_rng(0)
    >>> net = nn.Sequential([nn.Dense(1)])
    >>> _ = net.build(2, rng, np.float64)
    >>> X = rng.normal(size=(100, 2))
    >>> history = nn.train(net, nn.losses.get("squared_error"),
    ...                    nn.optimizers.get("adam"), X, X[:, :1], rng=rng,
    ...                    epochs=3, batch_size=25)
    >>> history.n_epochs, history.n_steps, history.n_samples_seen
    (3, 12, 300)
    >>> sorted(history.epochs)
    ['learning_rate', 'loss', 'time']
    """

    epochs: dict[str, list[float]] = field(
        default_factory=lambda: {"loss": [], "learning_rate": [], "time": []}
    )
    best_epoch: int | None = None
    best_loss: float = math.inf
    best_score: float = -math.inf
    best_val_loss: float = math.inf
    no_improvement_count: int = 0
    stopped: bool = False
    n_steps: int = 0
    n_samples_seen: int = 0

    @property
    def n_epochs(self) -> int:
        return len(self.epochs["loss"])


def train(
    network: Layer,
    loss: Loss,
    optimizer: Optimizer,
    X: np.ndarray,
    y: np.ndarray,
    *,
    rng: np.random.Generator,
    epochs: int = 200,
    batch_size: int = 32,
    sample_weight: np.ndarray | None = None,
    shuffle: bool = True,
    validation_data: tuple | None = None,
    validation_score: Callable[[np.ndarray, np.ndarray], float] | None = None,
    early_stopping: bool = False,
    n_iter_no_change: int = 10,
    tol: float | None = 1e-4,
    callbacks: tuple[Callable[[History], bool | None], ...] = (),
    on_plateau: Callable[[History], bool] | None = None,
    epoch_schedule: Callable[[int], float] | None = None,
    history: History | None = None,
) -> History:
    """Train a built network on ``(X, y)`` with minibatches.

    Parameters
    ----------
    network : Layer
        A built layer (usually :class:`~skdeep.nn.Sequential`) producing raw scores.
    loss : Loss
        Loss on raw scores, see :mod:`skdeep.nn.losses`.
    optimizer : Optimizer
        Updates ``network.params`` in place, see :mod:`skdeep.nn.optimizers`.
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
        Converted to the network's dtype once, before the first epoch (sparse
        input becomes CSR, whose row selection is cheap).
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Targets in the loss's encoding (one-hot for the softmax cross-entropy).
    rng : numpy.random.Generator
        The only source of randomness (shuffling; dropout draws from the
        generator given to ``build``).
    epochs : int, default=200
        Maximum number of passes over the data (>= 0).
    batch_size : int, default=32
        Rows per minibatch (>= 1; clipped to ``n_samples``).
    sample_weight : ndarray of shape (n_samples,), optional
        Each minibatch loss is the weighted mean over its rows.
    shuffle : bool, default=True
        Visit the rows in a new random order every epoch.
    validation_data : tuple ``(X_val, y_val[, sample_weight_val])``, optional
        Evaluated after every epoch (in prediction mode).
    validation_score : callable ``(y_val, loss.link(z_val)) -> float``, optional
        Higher is better. Without it the score is ``-val_loss``.
    early_stopping : bool, default=False
        Monitor the validation score, stop when it stalls and restore the
        weights of the best epoch. Needs ``validation_data``. Otherwise the
        training loss is monitored and the last weights are kept.
    n_iter_no_change : int, default=10
        Stop after more than this many consecutive epochs whose monitored value
        did not improve on the best by at least ``tol`` (scikit-learn's rule).
    tol : float or None, default=1e-4
        ``None`` never stops before ``epochs``.
    callbacks : tuple of callables ``history -> bool | None``
        Called after each epoch (progress bars, logging); returning ``True``
        stops training.
    on_plateau : callable ``history -> bool``, optional
        The policy when the monitored value has stalled: called instead of
        stopping; returning ``True`` continues training with the stall count
        reset (reduce-on-plateau: lower the optimizer's learning rate and go
        on), ``False`` stops. Without it a stall stops training.
    epoch_schedule : callable ``epoch -> learning rate``, optional
        A learning rate per epoch instead of per step: before each epoch the
        optimizer's ``learning_rate`` is set to ``epoch_schedule(e)``, with
        ``e`` the epoch's index in the history (0 for the first epoch; a
        continued ``history`` continues the count). Every step of the epoch
        uses that rate, ``history.epochs["learning_rate"][e]`` records it, and
        the optimizer keeps the last epoch's rate afterwards. Without it the
        optimizer's own learning rate applies (a float, or a schedule called
        with the optimizer's step count).
    history : History, optional
        Continue this history (warm starts) instead of starting a new one. The
        epochs and the best values carry over; the stall count starts again.

    Returns
    -------
    History
        Per-epoch losses, learning rates and times, and the best values seen
        (``history`` itself when one was given).

    Raises
    ------
    TrainingDivergedError
        When the loss or the parameters stop being finite; the message names
        the learning rate. The network's weights are then unusable.
    KeyboardInterrupt
        Passed on when the user interrupts training, after cutting ``history``
        (when given) back to the completed epochs and, with early stopping,
        restoring the best epoch's weights; the network keeps any other update
        made before the interrupt.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep import nn
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = (X[:, :1] * X[:, 1:] > 0).astype(float)  # XOR-like quadrants
    >>> net = nn.Sequential([nn.Dense(16), nn.Activation("tanh"), nn.Dense(1)])
    >>> _ = net.build(2, rng, np.float64)
    >>> loss = nn.losses.get("binary_cross_entropy")
    >>> opt = nn.optimizers.get("adam", learning_rate=0.05)
    >>> hist = nn.train(net, loss, opt, X, y, rng=rng, epochs=100, tol=None)
    >>> hist.n_epochs, hist.epochs["loss"][-1] < 0.2
    (100, True)
    """
    _check_loop_sizes(epochs, batch_size)
    if not isinstance(rng, np.random.Generator):
        # The core draws only from a generator it is given (reproducible runs).
        raise TypeError(
            f"rng must be a numpy.random.Generator, for example "
            f"np.random.default_rng(0); got {type(rng).__name__}."
        )
    dtype = _network_dtype(network)
    X, y, sample_weight = _as_training_arrays(X, y, sample_weight, dtype)
    if validation_data is not None:
        validation_data = _as_training_arrays(*validation_data, dtype=dtype)
    elif early_stopping:
        raise ValueError("early_stopping=True needs validation_data.")
    history = _history_for_this_call(history, validation_data is not None)
    # Divergence is judged on this call's epochs only: a warm start or a
    # streamed batch may have a higher loss than earlier calls (new data, drift).
    first_epoch = history.n_epochs
    batch_size = max(1, min(int(batch_size), X.shape[0]))
    _check_batch_rows(network, batch_size, X.shape[0])
    # Dropout masks follow row content (see skdeep.nn.rows); hashing X costs a
    # pass over it, so only networks whose layers read the keys get them.
    keys = row_keys(X) if getattr(network, "uses_row_keys", True) else None
    best_weights = None

    # Overflow inside a diverging step is reported by the divergence guard below
    # with a message that says what to change, not as a stray RuntimeWarning.
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for _ in range(epochs):
                if epoch_schedule is not None:
                    optimizer.learning_rate = float(epoch_schedule(history.n_epochs))
                _record_epoch(
                    network, loss, optimizer, X, y, sample_weight=sample_weight,
                    keys=keys, rng=rng, batch_size=batch_size, shuffle=shuffle,
                    validation_data=validation_data,
                    validation_score=validation_score, history=history,
                )  # fmt: skip
                improved = _update_best(history, early_stopping, tol)
                if improved and early_stopping:
                    best_weights = network.get_weights()
                if tol is not None and history.no_improvement_count > n_iter_no_change:
                    if on_plateau is not None and on_plateau(history):
                        history.no_improvement_count = 0
                    else:
                        history.stopped = True
                if any([bool(callback(history)) for callback in callbacks]):
                    history.stopped = True
                if history.stopped:
                    break
    except KeyboardInterrupt:
        # Stopped by the user (Ctrl-C): the history keeps the epochs that were
        # completed and the network the weights a finished run would hand back,
        # for a caller that keeps what was learned (as scikit-learn's MLP does).
        _drop_unfinished_epoch(history)
        history.stopped = True
        if early_stopping and best_weights is not None:
            network.set_weights(best_weights)
        raise

    if early_stopping and best_weights is not None:
        network.set_weights(best_weights)
    else:
        losses = history.epochs["loss"][first_epoch:]
        if losses and _blew_up(losses, min(losses)):
            grew = f"loss grew from {min(losses):.3g} to"
            _raise_diverged(optimizer, history, losses[-1], grew)
    return history


def _history_for_this_call(history: History | None, validating: bool) -> History:
    """``history``, or a new one, ready to record the epochs of a new call."""
    history = History() if history is None else history
    # A new call is a new request to train: the stall count starts again.
    history.stopped = False
    history.no_improvement_count = 0
    if validating:
        history.epochs.setdefault("val_loss", [])
        history.epochs.setdefault("val_score", [])
    return history


def _check_loop_sizes(epochs, batch_size) -> None:
    """Refuse what ``range`` and the batching would silently accept or misread."""
    for name, value, low in (("epochs", epochs, 0), ("batch_size", batch_size, 1)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")


def _record_epoch(
    network, loss, optimizer, X, y, *, sample_weight, keys, rng, batch_size, shuffle,
    validation_data, validation_score, history,
) -> None:  # fmt: skip
    """Train one epoch; append its learning rate, loss, validation values and time."""
    started = time.perf_counter()
    history.epochs["learning_rate"].append(optimizer.current_learning_rate())
    epoch_loss = _run_epoch(
        network, loss, optimizer, X, y, sample_weight=sample_weight, keys=keys,
        rng=rng, batch_size=batch_size, shuffle=shuffle, history=history,
    )  # fmt: skip
    history.epochs["loss"].append(epoch_loss)
    if validation_data is not None:
        val_loss, val_score = _evaluate(
            network, loss, validation_data, validation_score, optimizer, history
        )
        history.epochs["val_loss"].append(val_loss)
        history.epochs["val_score"].append(val_score)
    # Last, so that the number of times counts the completed epochs.
    history.epochs["time"].append(time.perf_counter() - started)


def _drop_unfinished_epoch(history: History) -> None:
    """Cut every per-epoch list to the epochs whose record is complete.

    An epoch's time is recorded last, so it counts the completed epochs.
    """
    completed = len(history.epochs["time"])
    for values in history.epochs.values():
        del values[completed:]


def _blew_up(losses: list[float], best: float) -> bool:
    """Whether the training loss ended far above both its best and its start.

    ``losses`` are the epochs of one call and ``best`` their minimum.
    A step too large for the problem makes the loss grow, geometrically or in
    swings (Adam on unscaled data). It may stay finite until the epochs run out
    or the stall rule stops training (growth is no improvement), which would
    otherwise hand back the large, finite, useless weights of the last epoch as
    a fitted model. A spike after a warm restart of the learning rate stays
    below the loss of the call's first epoch, so it does not count. Earlier
    calls do not count either: a warm start or ``partial_fit`` on new data
    (drift, noisy labels) may fairly lose more than the last fit did.
    """
    if len(losses) < 2:
        return False
    return losses[-1] > 10.0 * best and losses[-1] > losses[0]


def _network_dtype(network) -> np.dtype:
    """The dtype given to ``build`` (Sequential keeps it; a lone layer has params)."""
    if hasattr(network, "dtype"):
        return np.dtype(network.dtype)
    if network.params:
        return network.params[0].dtype
    raise ValueError("Build the network (network.build(n_in, rng, dtype)) first.")


def _as_training_arrays(X, y, sample_weight=None, dtype=np.float64):
    if scipy.sparse.issparse(X):
        X = X.tocsr().astype(dtype, copy=False)
    else:
        X = np.asarray(X, dtype=dtype)
    y = np.asarray(y, dtype=dtype)
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty 2-D array, got shape {X.shape}.")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}.")
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=dtype)
        if sample_weight.shape != (X.shape[0],):
            raise ValueError(
                f"sample_weight has shape {sample_weight.shape}, "
                f"expected ({X.shape[0]},)."
            )
    return X, y, sample_weight


def _check_batch_rows(network, batch_size: int, n: int) -> None:
    """Refuse batches smaller than the network can train on (batch norm: 2)."""
    least = getattr(network, "min_training_rows", 1)
    if batch_size < least:
        raise ValueError(
            f"This network trains on at least {least} rows per batch (batch "
            f"normalization), got batch_size={batch_size} with {n} training rows."
        )


def _batches(n: int, batch_size: int, rng, shuffle: bool, min_rows: int = 1):
    """Row selectors for one epoch: index arrays when shuffling, else slices (views).

    A last batch of fewer than ``min_rows`` rows joins the one before it, so
    that every batch has enough rows for batch statistics.
    """
    starts = list(range(0, n, batch_size))
    if len(starts) > 1 and n - starts[-1] < min_rows:
        del starts[-1]
    stops = [*starts[1:], n]
    if not shuffle:
        return [slice(start, stop) for start, stop in zip(starts, stops, strict=True)]
    order = rng.permutation(n)
    return [order[start:stop] for start, stop in zip(starts, stops, strict=True)]


class _BatchGatherer:
    """Copies the rows of a shuffled minibatch into buffers reused every step.

    ``np.take(..., out=buffer, mode="clip")`` writes the rows straight into the
    buffer: about twice as fast as ``X[rows]``, which allocates, and as
    ``mode="raise"``, which gathers into a temporary first so as to leave
    ``out`` untouched on a bad index. The indices come from a permutation of
    the rows, so clipping never changes one. Sparse input keeps ``X[rows]``.

    The batch handed out is a view of the buffer, valid until the next call:
    the training step is over by then (layers cache their input only until
    their ``backward``).
    """

    def __init__(self, array, batch_size: int) -> None:
        self.array = array
        self.buffer = None
        if isinstance(array, np.ndarray):
            self.buffer = np.empty((batch_size, *array.shape[1:]), dtype=array.dtype)

    def __call__(self, rows):
        if self.buffer is None or isinstance(rows, slice):
            return self.array[rows]
        out = self.buffer[: rows.shape[0]]
        return np.take(self.array, rows, axis=0, out=out, mode="clip")


def _run_epoch(
    network, loss, optimizer, X, y, *, sample_weight, keys, rng, batch_size, shuffle,
    history,
) -> float:  # fmt: skip
    total, n = 0.0, X.shape[0]
    # Gathered once: the layers keep their arrays for the whole epoch.
    params, grads = network.params, network.grads
    min_rows = getattr(network, "min_training_rows", 1)
    largest = batch_size + min_rows - 1  # a short last batch joins the one before
    gather_X, gather_y = _BatchGatherer(X, largest), _BatchGatherer(y, largest)
    for rows in _batches(n, batch_size, rng, shuffle, min_rows):
        X_batch, y_batch = gather_X(rows), gather_y(rows)
        w_batch = None if sample_weight is None else sample_weight[rows]
        batch = Rows(keys=None if keys is None else keys[rows], weights=w_batch)
        scores = network.forward(X_batch, training=True, rows=batch)
        value, d_scores = loss.value_and_gradient(y_batch, scores, w_batch)
        value += network.penalty()
        if not math.isfinite(value):
            _raise_diverged(optimizer, history, value)
        network.backward(d_scores, input_grad=False)
        optimizer.step(params, grads)
        network.apply_constraints()
        # The epoch loss weighs each batch by its share of the rows (or weights).
        share = X_batch.shape[0] / n if w_batch is None else w_batch.sum()
        total += value * float(share)
        history.n_steps += 1
        history.n_samples_seen += X_batch.shape[0]
    if sample_weight is not None:
        total /= float(sample_weight.sum())
    if not all(np.isfinite(p).all() for p in params):
        _raise_diverged(optimizer, history, math.nan)
    return total


def _raise_diverged(optimizer, history, value, what="loss") -> None:
    lr = optimizer.current_learning_rate()
    # Checks after an epoch's training loss is recorded name that epoch.
    epoch = history.n_epochs + (what == "loss")
    became = what if what.endswith(" to") else f"{what} became"
    raise TrainingDivergedError(
        f"Training diverged in epoch {epoch}: the {became} "
        f"{value}. The learning rate ({lr:g}) is too high for this problem: lower "
        f"it (for example to {lr / 10:g}), or standardise the input features."
    )


def _evaluate(network, loss, validation_data, validation_score, optimizer, history):
    X_val, y_val, w_val = validation_data
    scores = network.forward(X_val, training=False)
    val_loss = loss.value(y_val, scores, w_val) + network.penalty()
    # Finite weights can still overflow on the validation rows (huge inputs);
    # a score computed from such outputs would be garbage, or raise elsewhere.
    if not (math.isfinite(val_loss) and np.isfinite(scores).all()):
        _raise_diverged(optimizer, history, val_loss, what="validation loss")
    if validation_score is None:
        return val_loss, -val_loss
    return val_loss, float(validation_score(y_val, loss.link(scores)))


def _update_best(history: History, early_stopping: bool, tol: float | None) -> bool:
    """Count stalled epochs by scikit-learn's rule; True if this epoch is the best.

    scikit-learn's MLP, exactly: with early stopping the validation score is
    monitored, and an epoch whose score is below the best so far plus ``tol``
    adds one to the count; otherwise the training loss is, and an epoch whose
    loss is above the best minus ``tol`` adds one; any other epoch resets the
    count. The best epoch (whose weights early stopping keeps) is the one with
    the lowest validation loss among the epochs whose score is within ``tol`` of
    the best score so far: the rule that counts a smaller gain as no improvement
    also treats it as a tie. scikit-learn keeps the first epoch with the highest
    score; the two agree whenever scores move in steps of at least ``tol``
    (unweighted accuracy on fewer than ``1 / tol`` validation rows). Under
    weights that make the score saturate, the highest score may be reached by
    noise well below ``tol`` and keeping it would discard every later epoch. The
    loss chooses weights only: it never resets the count.
    """
    tol = 0.0 if tol is None else tol
    epoch = history.n_epochs - 1
    if early_stopping:
        score = history.epochs["val_score"][-1]
        val_loss = history.epochs["val_loss"][-1]
        stalled = score < history.best_score + tol
        improved = score > history.best_score + tol or (
            score >= history.best_score - tol and val_loss < history.best_val_loss
        )
        if improved:
            history.best_val_loss = val_loss
    else:
        loss = history.epochs["loss"][-1]
        stalled = loss > history.best_loss - tol
        improved = loss < history.best_loss
    history.no_improvement_count = history.no_improvement_count + 1 if stalled else 0
    if "val_score" in history.epochs:
        history.best_score = max(history.best_score, history.epochs["val_score"][-1])
    history.best_loss = min(history.best_loss, history.epochs["loss"][-1])
    if improved:
        history.best_epoch = epoch
    return improved
