"""What the network estimators share: validate → build → train → store.

:class:`BaseNetwork` turns scikit-learn's MLP parameters into a
:class:`skdeep.nn.Sequential`, an optimizer and a learning-rate schedule, hands
them to :func:`skdeep.nn.train` (or to scipy's L-BFGS-B for ``solver="lbfgs"``)
and stores scikit-learn's fitted attributes. The subclasses only say how targets
are encoded, which loss is used and how predictions are decoded.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import scipy.optimize
import scipy.sparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from .. import nn
from .._fit_state import restore
from .._validation import (
    as_generator,
    check_castable,
    check_float32_predictions,
    validate_data,
)
from .._warnings import warn
from ..nn.training import TrainingDivergedError
from ._lbfgs import refresh_running_statistics, run_lbfgs
from ._progress import EpochReporter
from ._split import validation_rows

STOCHASTIC_SOLVERS = ("sgd", "adam", "adagrad", "rmsprop")
SOLVERS = ("lbfgs", *STOCHASTIC_SOLVERS)
# scikit-learn's three options keep scikit-learn's meaning (invscaling and adaptive
# only change 'sgd'); the others schedule every stochastic solver, per epoch.
SKLEARN_SCHEDULES = ("constant", "invscaling", "adaptive")
EPOCH_SCHEDULES = ("step", "exponential", "inverse_time", "cosine", "cosine_restarts")
# Activations of one layer for one prediction chunk stay under this size.
_PREDICT_CHUNK_BYTES = 32 * 2**20
HIDDEN_ACTIVATIONS = (
    "identity", "logistic", "sigmoid", "tanh", "relu", "leaky_relu", "prelu",
    "elu", "gelu", "swish", "mish", "softplus",
)  # fmt: skip


class _EpochSchedule:
    """An optimizer learning rate that changes between epochs, not between steps.

    The optimizer calls it with its step count; the answer depends only on the
    epochs completed (and, for scikit-learn's ``invscaling``, on the samples
    seen), which :meth:`advance` updates after each epoch.
    """

    def __init__(self, schedule, *, samples_seen: int = 0, use_samples=False):
        self.schedule = schedule
        self.epoch = 0
        self.samples_seen = samples_seen
        self.use_samples = use_samples

    def __call__(self, step: int) -> float:
        return float(
            self.schedule(self.samples_seen if self.use_samples else self.epoch)
        )

    def advance(self, samples: int) -> None:
        self.epoch += 1
        self.samples_seen += samples


class BaseNetwork(BaseEstimator):
    """Shared implementation of :class:`MLPClassifier` and :class:`MLPRegressor`."""

    _parameter_constraints: ClassVar[dict] = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "solver": [StrOptions(set(SOLVERS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [
            StrOptions({*SKLEARN_SCHEDULES, *EPOCH_SCHEDULES}),
            callable,
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "normalization": [StrOptions({"batch", "layer"}), None],
        "l1": [Interval(Real, 0, None, closed="left")],
        "max_norm": [Interval(Real, 0, None, closed="neither"), None],
        "weight_init": [StrOptions({"auto", *nn.initializers.INITIALIZERS})],
        "n_init": [Interval(Integral, 1, None, closed="left")],
    }

    # ----------------------------------------------------------------- hooks
    @abstractmethod
    def _validate_input(self, X, y, *, reset, incremental, classes=None):
        """Validated ``X`` and targets ``Y`` (2-D float, in the loss's encoding)."""

    @abstractmethod
    def _make_loss(self) -> nn.losses.Loss:
        """The output loss (which also fixes the output link)."""

    @abstractmethod
    def _validation_scorer(self, sample_weight):
        """``(Y_val, link(z_val)) -> score`` (higher is better) for early stopping."""

    def _training_weights(self, sample_weight, X, y, incremental):
        """Sample weights for training (the classifier folds class_weight in)."""
        if sample_weight is None:
            return None
        return _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )

    # ------------------------------------------------------------------- fit
    def _fit(self, X, y, sample_weight=None, *, incremental=False, classes=None):
        fitted = hasattr(self, "network_")
        first_pass = not fitted or (not self.warm_start and not incremental)
        hidden = self._hidden_sizes()
        dropout = self._dropout_rates(len(hidden))
        if self.solver == "lbfgs" and any(dropout):
            raise ValueError(
                "dropout needs a stochastic solver (solver='adam', 'sgd', "
                "'rmsprop' or 'adagrad'); L-BFGS minimises a deterministic objective."
            )
        # A failed call leaves the previous model whole (see skdeep._fit_state)
        # or, once training has changed the previous network in place (warm
        # start, partial_fit), no model at all; never a mix of old and new.
        before, training = dict(vars(self)), False
        try:
            X, Y = self._validate_input(
                X, y, reset=first_pass, incremental=incremental, classes=classes
            )
            sample_weight = self._training_weights(sample_weight, X, y, incremental)
            if scipy.sparse.issparse(X):
                X = X.tocsr()
            rng = as_generator(self.random_state)
            training = True
            if self.solver == "lbfgs":
                self._fit_lbfgs(X, Y, sample_weight, rng, first_pass, hidden)
            else:
                self._fit_stochastic(
                    X, Y, sample_weight, rng, first_pass, incremental, hidden, dropout
                )
        except BaseException as error:
            if first_pass or not training:
                restore(self, before)
            else:
                self._forget_fit()
            if not isinstance(error, TrainingDivergedError):
                raise
            advice = (
                ""
                if self.solver == "lbfgs"
                else f" Set learning_rate_init lower than {self.learning_rate_init:g}."
            )
            raise TrainingDivergedError(
                f"{type(self).__name__} diverged: {error}{advice}"
            ) from error
        return self

    def _forget_fit(self) -> None:
        """Leave the estimator unfitted: no half-trained weights survive a failure."""
        for name in list(vars(self)):
            if (name.endswith("_") and not name.startswith("__")) or name in (
                "_history",
                "_optimizer",
                "_loss",
            ):
                delattr(self, name)

    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if not hasattr(sizes, "__iter__") else list(sizes)
        if any(int(size) != size or size <= 0 for size in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(size) for size in sizes]

    def _dropout_rates(self, n_hidden: int) -> list[float]:
        if isinstance(self.dropout, Real):
            return [float(self.dropout)] * n_hidden
        rates = [float(rate) for rate in np.ravel(self.dropout)]
        if len(rates) != n_hidden or not all(0.0 <= rate < 1.0 for rate in rates):
            raise ValueError(
                f"dropout must be a float in [0, 1) or one such rate per hidden "
                f"layer ({n_hidden}), got {self.dropout!r}."
            )
        return rates

    def _build_network(self, n_features, n_outputs, hidden, dropout, rng, dtype):
        norm = {"batch": nn.BatchNorm, "layer": nn.LayerNorm, None: None}
        layers = []
        for units, rate in zip(hidden, dropout, strict=True):
            layers.append(
                nn.Dense(units, init=self.weight_init, max_norm=self.max_norm)
            )
            if self.normalization is not None:
                layers.append(norm[self.normalization]())
            layers.append(nn.Activation(self.activation))
            if rate > 0:
                layers.append(nn.Dropout(rate))
        layers.append(
            nn.Dense(n_outputs, init=self.weight_init, max_norm=self.max_norm)
        )
        network = nn.Sequential(layers)
        network.build(n_features, rng, dtype)
        return network

    def _set_penalties(self, network, rows: float) -> None:
        # ½·alpha‖W‖² (and l1‖W‖₁) divided by the nominal weighted batch size, as
        # scikit-learn divides by each batch's own weighted rows: alpha means the
        # same, except on an epoch's last, smaller batch and unevenly weighted ones.
        for layer in _dense_layers(network):
            layer.l2 = self.alpha / rows
            layer.l1 = self.l1 / rows

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warn(
                "Got `batch_size` less than 1 or larger than sample size. It is "
                "going to be clipped",
                UserWarning,
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    # ------------------------------------------------------------ stochastic
    def _make_optimizer(self, samples_seen: int):
        solver, lr = self.solver, self.learning_rate_init
        schedule = self._make_schedule(samples_seen)
        rate = lr if schedule is None else schedule
        if solver == "sgd":
            optimizer = nn.optimizers.SGD(
                rate,
                momentum=self.momentum,
                nesterov=self.nesterovs_momentum and self.momentum > 0,
            )
        elif solver == "adam":
            optimizer = nn.optimizers.Adam(
                rate, beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon
            )
        elif solver == "adagrad":
            optimizer = nn.optimizers.AdaGrad(rate, epsilon=self.epsilon)
        else:
            optimizer = nn.optimizers.RMSProp(rate, epsilon=self.epsilon)
        return optimizer

    def _make_schedule(self, samples_seen: int) -> _EpochSchedule | None:
        """The per-epoch learning-rate schedule, or None for a constant rate."""
        name, lr, budget = self.learning_rate, self.learning_rate_init, self.max_iter
        if callable(name):
            return _EpochSchedule(name)
        if name in ("constant", "adaptive") or (
            name == "invscaling" and self.solver != "sgd"
        ):
            return None
        if name == "invscaling":  # scikit-learn: lr / (samples seen + 1)^power_t
            schedule = nn.schedules.InvScaling(lr, power_t=self.power_t)
            return _EpochSchedule(schedule, samples_seen=samples_seen, use_samples=True)
        # The built-in schedules are scaled to the epoch budget, max_iter.
        schedule = {
            "step": lambda: nn.schedules.StepDecay(lr, max(1, budget // 3), gamma=0.1),
            "exponential": lambda: nn.schedules.ExponentialDecay(
                lr, gamma=0.01 ** (1.0 / budget)
            ),
            "inverse_time": lambda: nn.schedules.InverseTimeDecay(lr, 9.0 / budget),
            "cosine": lambda: nn.schedules.CosineAnnealing(lr, T_max=budget),
            "cosine_restarts": lambda: nn.schedules.CosineWarmRestarts(
                lr, T_0=max(1, budget // 7), T_mult=2
            ),
        }[name]()
        return _EpochSchedule(schedule)

    def _reduce_on_plateau(self, optimizer, reporter):
        """scikit-learn's learning_rate='adaptive': divide by 5 on a plateau."""
        if self.learning_rate != "adaptive" or self.solver != "sgd":
            return None

        def on_plateau(history) -> bool:
            if optimizer.learning_rate <= 1e-6:
                return False
            optimizer.learning_rate /= 5.0
            reporter.message(
                f"{self._stall_message()} Setting learning rate to "
                f"{optimizer.learning_rate:f}"
            )
            return True

        return on_plateau

    def _stall_message(self) -> str:
        watched = "Validation score" if self.early_stopping else "Training loss"
        return (
            f"{watched} did not improve more than tol={self.tol:f} for "
            f"{self.n_iter_no_change} consecutive epochs."
        )

    def _split_validation(self, X, Y, sample_weight, rng, early_stopping):
        """Hold out ``validation_fraction`` of the sample weight for early stopping.

        Rows are held out whole by content (see :func:`validation_rows`), so that
        sample weights keep meaning repetition and duplicates never straddle
        the split.
        """
        if not early_stopping:
            return X, Y, sample_weight, None
        groups = Y.argmax(axis=1) if self._stratify_validation(Y) else None
        held_out = validation_rows(
            nn.rows.row_keys(X),
            sample_weight,
            groups,
            self.validation_fraction,
            seed=rng.integers(np.iinfo(np.uint64).max, dtype=np.uint64),
        )
        train = ~held_out
        if sample_weight is None:
            w_train = w_val = None
        else:
            w_train, w_val = sample_weight[train], sample_weight[held_out]
        return X[train], Y[train], w_train, (X[held_out], Y[held_out], w_val)

    def _stratify_validation(self, Y) -> bool:
        return False

    def _fit_stochastic(
        self, X, Y, sample_weight, rng, first_pass, incremental, hidden, dropout
    ):
        # partial_fit is one epoch on the data it is given: like scikit-learn's
        # SGDClassifier, it leaves early stopping to the caller's loop.
        early_stopping = self.early_stopping and not incremental
        X_train, Y_train, w_train, validation = self._split_validation(
            X, Y, sample_weight, rng, early_stopping
        )
        n_samples = X_train.shape[0]
        batch_size = self._batch_size(n_samples)
        mean_weight = 1.0 if w_train is None else float(np.mean(w_train))
        restarts = self.n_init if first_pass and not incremental else 1
        seeds = rng.integers(np.iinfo(np.int64).max, size=restarts)
        loss = self._make_loss() if first_pass else self._loss
        scorer = None if validation is None else self._validation_scorer(validation[2])
        best = None
        for restart, seed in enumerate(seeds):
            run_rng = rng if restarts == 1 else np.random.default_rng(seed)
            if first_pass:
                # The network (initial weights, then dropout draws) gets a stream
                # of its own: how many numbers shuffling takes depends on the
                # number of rows, and dropout must not depend on it.
                network_rng = np.random.default_rng(
                    run_rng.integers(np.iinfo(np.int64).max)
                )
                network = self._build_network(
                    X.shape[1], Y.shape[1], hidden, dropout, network_rng, X.dtype
                )
                history, samples_seen = None, 0
            else:
                network, history, samples_seen = self.network_, self._history, self.t_
                if "learning_rate" not in history.epochs:
                    history = (
                        None  # the last fit was L-BFGS: its curve counts iterations
                    )
            # Made here, not by nn.train, so that an interrupt leaves it to us.
            history = nn.History() if history is None else history
            if incremental and hasattr(self, "_optimizer"):
                optimizer = self._optimizer
            else:
                optimizer = self._make_optimizer(samples_seen)
            self._set_penalties(network, batch_size * mean_weight)
            epochs_before = history.n_epochs
            interrupted = False
            label = f"restart {restart + 1}/{restarts}" if restarts > 1 else None
            with EpochReporter(
                self.verbose, 1 if incremental else self.max_iter, label
            ) as reporter:
                schedule = optimizer.learning_rate
                callbacks = [reporter]
                if isinstance(schedule, _EpochSchedule):
                    callbacks.insert(0, lambda h, s=schedule: s.advance(n_samples))
                try:
                    nn.train(
                        network, loss, optimizer, X_train, Y_train,
                        rng=run_rng, epochs=1 if incremental else self.max_iter,
                        batch_size=batch_size, sample_weight=w_train,
                        shuffle=self.shuffle, validation_data=validation,
                        validation_score=scorer, early_stopping=early_stopping,
                        n_iter_no_change=self.n_iter_no_change, tol=self.tol,
                        callbacks=tuple(callbacks),
                        on_plateau=self._reduce_on_plateau(optimizer, reporter),
                        history=history,
                    )  # fmt: skip
                except KeyboardInterrupt:
                    if not _usable_after_interrupt(network, history):
                        if best is None:
                            raise  # nothing learned: fit fails, model unchanged
                        network = None
                    interrupted = True
                    warn("Training interrupted by user.")
                if history.stopped and not (incremental or interrupted):
                    reporter.message(f"{self._stall_message()} Stopping.")
            if network is not None:
                n_iter = history.n_epochs - epochs_before
                run = (network, history, optimizer, n_iter, samples_seen)
                if best is None or _better(history, best[1], early_stopping):
                    best = run
            if interrupted:
                break  # like scikit-learn: Ctrl-C ends the fit, keeping the model
        network, history, optimizer, n_iter, samples_seen = best
        converged_or_cut = history.stopped or interrupted
        if not converged_or_cut and not incremental and n_iter == self.max_iter:
            warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                "reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )
        self._store(network, loss, history, n_iter)
        self._optimizer = optimizer
        self.t_ = samples_seen + n_iter * n_samples
        self.best_loss_ = None if early_stopping else history.best_loss
        if early_stopping:
            self.validation_scores_ = list(history.epochs["val_score"])
            self.best_validation_score_ = history.best_score
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None

    # ----------------------------------------------------------------- lbfgs
    def _fit_lbfgs(self, X, Y, sample_weight, rng, first_pass, hidden):
        restarts = self.n_init if first_pass else 1
        seeds = rng.integers(np.iinfo(np.int64).max, size=restarts)
        loss = self._make_loss() if first_pass else self._loss
        rows = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        best = None
        for seed in seeds:
            if first_pass:
                run_rng = rng if restarts == 1 else np.random.default_rng(seed)
                network = self._build_network(
                    X.shape[1],
                    Y.shape[1],
                    hidden,
                    [0.0] * len(hidden),
                    run_rng,
                    X.dtype,
                )
            else:
                network = self.network_
            self._set_penalties(network, rows)
            result, history = run_lbfgs(
                network, loss, X, Y, sample_weight, max_iter=self.max_iter,
                max_fun=self.max_fun, tol=self.tol, verbose=self.verbose,
            )  # fmt: skip
            if best is None or result.fun < best[1].fun:
                best = (network, result, history)
        network, result, history = best
        # An objective that overflows even at the start (float32 features near
        # 3.4e38) leaves L-BFGS nowhere to go: the network it returns is finite
        # but predicts inf or NaN.
        if not math.isfinite(result.fun) or not all(
            np.isfinite(p).all() for p in network.params
        ):
            raise TrainingDivergedError(
                "the L-BFGS objective or iterates stopped being finite; standardise "
                "the input features or increase alpha."
            )
        if result.status != 0:
            warn(
                f"lbfgs failed to converge after {result.nit} iterations "
                f"({result.message}). Increase max_iter or max_fun, or scale the data.",
                ConvergenceWarning,
            )
        refresh_running_statistics(network, X)
        self._store(network, loss, history, int(result.nit))
        self.loss_ = float(result.fun)
        self.best_loss_ = self.loss_
        # As in scikit-learn, only the stochastic solvers count samples seen.
        self.t_ = 0 if first_pass else getattr(self, "t_", 0)

    # ----------------------------------------------------------------- store
    def _store(self, network, loss, history, n_iter) -> None:
        dense = _dense_layers(network)
        self.network_ = network
        self._loss = loss
        self._history = history
        self.coefs_ = [layer.W for layer in dense]
        self.intercepts_ = [layer.b for layer in dense]
        self.n_layers_ = len(dense) + 1
        self.n_outputs_ = dense[-1].n_out
        self.n_iter_ = int(n_iter)
        self.loss_curve_ = list(history.epochs["loss"])
        if self.loss_curve_:
            self.loss_ = self.loss_curve_[-1]
        self.history_ = {key: list(values) for key, values in history.epochs.items()}

    # --------------------------------------------------------------- predict
    def _raw_output(self, X):
        """Output-layer activations ``link(z)`` in the training dtype."""
        X, scores = self._checked_scores(X)
        with np.errstate(over="ignore"):
            output = self._loss.link(scores)
        check_float32_predictions(output, X)  # exp (Poisson) can overflow too
        return output

    def _checked_scores(self, X):
        """Validated ``X`` and its raw scores; float32 scores that overflow are refused.

        float32 queries far larger than the training data overflow in the
        products with the weights: refused with advice. (float64 keeps numpy's
        warning for invalid values, as before.)
        """
        check_is_fitted(self)
        X = self._validate_predict_input(X)
        float32 = X.dtype == np.float32
        with np.errstate(over="ignore", invalid="ignore" if float32 else None):
            scores = self._scores(X)
        check_float32_predictions(scores, X)
        return X, scores

    def _scores(self, X):
        """Raw output scores, computed in row chunks so that memory stays bounded.

        Prediction mode is row by row (batch norm uses running statistics,
        dropout is off), so chunking does not change the result.
        """
        widest = max(
            [X.shape[1], *(layer.n_out for layer in _dense_layers(self.network_))]
        )
        rows = max(1, _PREDICT_CHUNK_BYTES // (X.dtype.itemsize * widest))
        if X.shape[0] <= rows:
            return self.network_.forward(X, training=False)
        return np.vstack(
            [
                self.network_.forward(X[start : start + rows], training=False)
                for start in range(0, X.shape[0], rows)
            ]
        )

    def _validate_predict_input(self, X):
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=False,
        )
        dtype = self.network_.dtype
        if X.dtype != dtype:  # float64 queries to a network fitted in float32
            check_castable(X, dtype)
        return X.astype(dtype, copy=False)

    def _check_solver(self) -> bool:
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _dense_layers(network) -> list:
    return [layer for layer in network.layers if isinstance(layer, nn.Dense)]


def _usable_after_interrupt(network, history) -> bool:
    """Whether a network whose training the user interrupted is worth keeping.

    scikit-learn's MLP warns and keeps its weights; so do we, provided there is
    a training curve to report (one epoch at least, earlier fits included) and
    the weights are finite (an interrupt may land in a diverging epoch, before
    the check at its end).
    """
    return history.n_epochs > 0 and all(np.isfinite(p).all() for p in network.params)


def _better(history, best_history, early_stopping: bool) -> bool:
    """Restart selection: validation score with early stopping, else final loss."""
    if early_stopping:
        return history.best_score > best_history.best_score
    return history.epochs["loss"][-1] < best_history.epochs["loss"][-1]
