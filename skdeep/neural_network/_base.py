"""What the network estimators share: validate → build → train → store.

:class:`BaseNetwork` turns scikit-learn's MLP parameters into a
:class:`skdeep.nn.Sequential`, an optimizer and a learning-rate schedule, hands
them to :func:`skdeep.nn.train` (see :mod:`._stochastic`) or to scipy's L-BFGS-B
for ``solver="lbfgs"`` (see :mod:`._lbfgs`) and stores scikit-learn's fitted
attributes. The subclasses only say how the training data is validated and
encoded, which loss is used, how the validation data is scored and how
predictions are decoded.
"""

from __future__ import annotations

import copy
import functools
import math
import types
from abc import abstractmethod
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import scipy.sparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, Options, StrOptions

from .. import nn
from .._fit_state import all_or_nothing
from .._validation import (
    as_generator,
    check_castable,
    check_fitted,
    check_float32_predictions,
    validate_data,
)
from .._warnings import warn
from ..nn.training import TrainingDivergedError
from ._architecture import (
    apply_training_options,
    check_same_architecture,
    continued_loss,
)
from ._fitted_state import check_network_state
from ._lbfgs import refresh_running_statistics, run_lbfgs
from ._learning_rate import (
    EPOCH_SCHEDULES,
    SKLEARN_SCHEDULES,
    epoch_schedule,
    take_from_legacy_optimizer,
    with_budget_period,
)
from ._split import split_validation
from ._stochastic import (
    Epochs,
    Run,
    better,
    check_call_did_not_blow_up,
    make_optimizer,
    restart_generators,
    train_run,
    usable_after_interrupt,
)

# scikit-learn's words for a fit whose weights stopped being finite.
NON_FINITE = (
    "Solver produced non-finite parameter weights. The input data may contain "
    "large values and need to be preprocessed."
)

# The solver and activation names are the core registries' own: an optimizer or
# an activation added to skdeep.nn is an option of the estimators at once.
STOCHASTIC_SOLVERS = tuple(nn.optimizers.OPTIMIZERS)
SOLVERS = ("lbfgs", *STOCHASTIC_SOLVERS)
HIDDEN_ACTIVATIONS = tuple(nn.activations.ACTIVATIONS)
# Activations of one layer for one prediction chunk stay under this size.
_PREDICT_CHUNK_BYTES = 32 * 2**20


def _is_positive_whole(size) -> bool:
    """Whether ``size`` is a finite real number, whole and > 0."""
    if not isinstance(size, Real):
        return False
    return math.isfinite(size) and size > 0 and int(size) == size


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
    def _validate_training_data(
        self, X, y, sample_weight, *, reset, incremental, classes=None
    ):
        """Validated ``X``, targets ``Y`` in the loss's encoding (2-D, X's dtype)
        and training weights (None, or one per row)."""

    @abstractmethod
    def _make_loss(self) -> nn.losses.Loss:
        """The output loss (which also fixes the output link)."""

    def _strata(self, Y):
        """The class of each row, which early stopping's split stratifies by
        (None: no strata)."""
        return None

    @abstractmethod
    def _validation_score(self, Y_val, output, sample_weight) -> float:
        """Score (higher is better) of ``output = link(z_val)`` for early stopping."""

    # ------------------------------------------------------------------- fit
    def _fit(self, X, y, sample_weight=None, *, incremental=False, classes=None):
        # A warm start or partial_fit continues the fitted network; else a new one.
        continuing = hasattr(self, "network_") and (self.warm_start or incremental)
        hidden = self._hidden_layers()
        if continuing:
            check_same_architecture(self, self.network_, hidden)
        try:
            with all_or_nothing(self):  # a failed call leaves the previous model
                X, Y, sample_weight = self._validate_training_data(
                    X, y, sample_weight, reset=not continuing,
                    incremental=incremental, classes=classes,
                )  # fmt: skip
                if scipy.sparse.issparse(X):
                    X = X.tocsr()
                rng = as_generator(self.random_state)
                if self.solver == "lbfgs":
                    self._fit_lbfgs(X, Y, sample_weight, rng, continuing, hidden)
                else:
                    self._fit_stochastic(
                        X, Y, sample_weight, rng, continuing, incremental, hidden
                    )
        except TrainingDivergedError as error:
            advice = (
                ""
                if self.solver == "lbfgs"
                else f" Set learning_rate_init lower than {self.learning_rate_init:g}."
            )
            raise TrainingDivergedError(
                f"{NON_FINITE} {type(self).__name__} diverged: {error}{advice}"
            ) from error
        return self

    def _hidden_layers(self) -> list[tuple[int, float]]:
        """``(units, dropout rate)`` of each hidden layer, checked."""
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if not hasattr(sizes, "__iter__") else list(sizes)
        # Checked before int(): int(inf) raises OverflowError, int(nan) an
        # unrelated "cannot convert float NaN" message.
        if not all(_is_positive_whole(size) for size in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be positive whole numbers, got {sizes}."
            )
        rates = self._dropout_rates(len(sizes))
        solvers = ", ".join(repr(name) for name in STOCHASTIC_SOLVERS)
        if self.solver == "lbfgs" and any(rates):
            raise ValueError(
                f"dropout needs a stochastic solver (solver in {solvers}); L-BFGS "
                "minimises a deterministic objective."
            )
        if self.solver == "lbfgs" and self.max_norm is not None:
            # A projection after each step would break L-BFGS's line search and
            # curvature pairs; it would otherwise be silently ignored.
            raise ValueError(
                f"max_norm needs a stochastic solver (solver in {solvers}); "
                "solver='lbfgs' takes no steps to project the weights after."
            )
        return [(int(size), rate) for size, rate in zip(sizes, rates, strict=True)]

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

    def _build_network(self, n_features, n_outputs, hidden, rng, dtype):
        norm = {"batch": nn.BatchNorm, "layer": nn.LayerNorm, None: None}
        init = self._initializers()
        layers = []
        for units, rate in hidden:
            layers.append(nn.Dense(units, **init, max_norm=self.max_norm))
            if self.normalization is not None:
                layers.append(norm[self.normalization]())
            layers.append(nn.Activation(self.activation))
            if rate > 0:
                layers.append(nn.Dropout(rate))
        layers.append(nn.Dense(n_outputs, **init, max_norm=self.max_norm))
        network = nn.Sequential(layers)
        network.build(n_features, rng, dtype)
        return network

    def _initializers(self) -> dict[str, str]:
        """The Dense layers' ``init`` and ``bias_init`` for ``weight_init``.

        'auto' is scikit-learn's rule for every layer, the output layer
        included: kernels and biases from U(-a, a), a = √(f / (fan_in +
        fan_out)), f = 2 for logistic hidden units, else 6 (Glorot uniform).
        Our other activations take f = 6 as scikit-learn's non-logistic ones
        do; He or LeCun are one ``weight_init`` away. A named initializer
        draws the kernels, and the biases start at zero.
        """
        if self.weight_init != "auto":
            return {"init": self.weight_init, "bias_init": "zeros"}
        logistic = nn.activations.ACTIVATIONS[self.activation] is nn.activations.Sigmoid
        name = "sklearn_logistic_uniform" if logistic else "glorot_uniform"
        return {"init": name, "bias_init": name}

    def _set_penalties(self, network, rows: float) -> None:
        # ½·alpha‖W‖² (and l1‖W‖₁) divided by the nominal weighted batch size, as
        # scikit-learn divides by each batch's own weighted rows: alpha means the
        # same, except on an epoch's last, smaller batch and unevenly weighted ones.
        for layer in _dense_layers(network):
            layer.l2 = self.alpha / rows
            layer.l1 = self.l1 / rows

    # ------------------------------------------------------------ stochastic
    def _fit_stochastic(
        self, X, Y, sample_weight, rng, continuing, incremental, hidden
    ):
        """Start the runs, train them, keep the best, warn, store."""
        loss = continued_loss(self, self._loss) if continuing else self._make_loss()
        epochs = self._epochs(X, Y, sample_weight, rng, incremental)
        restarts = 1 if continuing or incremental else self.n_init
        best, interrupted = None, False
        for restart, run_rng in enumerate(restart_generators(rng, restarts)):
            if continuing:
                run = self._continued_run(incremental)
                apply_training_options(self, run.network, hidden)
            else:
                run = self._new_run(X.shape[1], Y.shape[1], hidden, run_rng, X.dtype)
            self._set_penalties(run.network, epochs.penalty_rows)
            label = f"restart {restart + 1}/{restarts}" if restarts > 1 else None
            try:
                train_run(self, run, epochs, loss, run_rng, label)
            except KeyboardInterrupt:
                # Like scikit-learn: Ctrl-C ends the fit, keeping what was learned.
                if usable_after_interrupt(run):
                    best = better(run, best, epochs.early_stopping)
                elif best is None:
                    raise  # nothing learned: the fit fails, the model stays
                warn("Training interrupted by user.")
                interrupted = True
                break
            best = better(run, best, epochs.early_stopping)
        if not interrupted:
            if continuing:
                check_call_did_not_blow_up(self.network_, best, epochs, loss)
            self._warn_if_not_converged(best, epochs)
        self._store_run(best, loss, epochs)

    def _epochs(self, X, Y, sample_weight, rng, incremental) -> Epochs:
        """What every run trains on (the validation rows held out), and how long."""
        # partial_fit refuses early stopping (see _check_solver).
        train, validation = (X, Y, sample_weight), None
        if self.early_stopping and not incremental:
            train, validation = split_validation(
                X, Y, sample_weight, self._strata(Y), self.validation_fraction, rng
            )
        X_train, Y_train, w_train = train
        batch_size = self._batch_size(X_train.shape[0])
        self._check_batch_norm_rows(X_train.shape[0], batch_size)
        return Epochs(
            X_train, Y_train, w_train, validation,
            batch_size=batch_size,
            n_epochs=1 if incremental else self.max_iter, incremental=incremental,
        )  # fmt: skip

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

    def _check_batch_norm_rows(self, n_rows: int, batch_size: int | None) -> None:
        """Refuse what batch norm cannot train on: one row has no variance.

        A one-row batch would standardise every value to 0 and pull the running
        variance towards 0 (a one-row last batch is joined to the one before by
        :func:`skdeep.nn.train`).
        """
        if self.normalization != "batch":
            return
        least = nn.BatchNorm.min_training_rows
        if n_rows < least:
            raise ValueError(
                f"normalization='batch' needs at least {least} training samples, "
                f"got n_samples={n_rows}: one row has no variance to standardise "
                "by. Use normalization='layer' or None, or more samples."
            )
        if batch_size is not None and batch_size < least:
            raise ValueError(
                f"batch_size={self.batch_size!r} is too small for "
                f"normalization='batch': a batch of one row has no variance to "
                f"standardise by. Use batch_size >= {least}, or normalization="
                "'layer' or None."
            )

    def _new_run(self, n_features, n_outputs, hidden, rng, dtype) -> Run:
        # The network (initial weights, then dropout draws) gets a stream of its
        # own: how many numbers shuffling takes depends on the number of rows,
        # and dropout must not depend on it.
        network_rng = np.random.default_rng(rng.integers(np.iinfo(np.int64).max))
        network = self._build_network(n_features, n_outputs, hidden, network_rng, dtype)
        optimizer, schedule = make_optimizer(self), epoch_schedule(self, 0)
        return Run(network, optimizer, nn.History(), schedule, samples_seen=0)

    def _continued_run(self, incremental: bool) -> Run:
        """Copies of the fitted network and history; partial_fit continues the
        fitted optimizer (a copy), a warm start gets a new one."""
        network, history = copy.deepcopy((self.network_, self._history))
        if "learning_rate" not in history.epochs:
            history = nn.History()  # the last fit was L-BFGS: it counted iterations
        if incremental and hasattr(self, "_optimizer"):
            optimizer = copy.deepcopy(self._optimizer)
            schedule = with_budget_period(
                self._schedule
                if hasattr(self, "_schedule")
                else take_from_legacy_optimizer(optimizer),
                self,
            )
        else:
            optimizer, schedule = make_optimizer(self), epoch_schedule(self, self.t_)
        return Run(network, optimizer, history, schedule, samples_seen=self.t_)

    def _warn_if_not_converged(self, run: Run, epochs: Epochs) -> None:
        if run.history.stopped or epochs.incremental or run.n_iter < self.max_iter:
            return
        warn(
            f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
            "reached and the optimization hasn't converged yet.",
            ConvergenceWarning,
        )

    def _store_run(self, run: Run, loss, epochs: Epochs) -> None:
        history, n_iter = run.history, run.n_iter
        self._store(run.network, loss, history, n_iter)
        self._optimizer = run.optimizer
        self._schedule = (
            None
            if run.schedule is None
            else run.schedule.after(n_iter, epochs.n_samples)
        )
        self.t_ = run.samples_seen + n_iter * epochs.n_samples
        early_stopping = epochs.early_stopping
        self.best_loss_ = None if early_stopping else history.best_loss
        self.validation_scores_ = (
            list(history.epochs["val_score"]) if early_stopping else None
        )
        self.best_validation_score_ = history.best_score if early_stopping else None

    # ----------------------------------------------------------------- lbfgs
    def _fit_lbfgs(self, X, Y, sample_weight, rng, continuing, hidden):
        self._check_batch_norm_rows(X.shape[0], batch_size=None)
        loss = continued_loss(self, self._loss) if continuing else self._make_loss()
        rows = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        best = None
        for run_rng in restart_generators(rng, 1 if continuing else self.n_init):
            if continuing:  # a copy: the fitted network stays if the fit fails
                network = copy.deepcopy(self.network_)
            else:
                network = self._build_network(
                    X.shape[1], Y.shape[1], hidden, run_rng, X.dtype
                )
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
        refresh_running_statistics(network, X, sample_weight)
        self._store(network, loss, history, int(result.nit))
        self.loss_ = float(result.fun)
        self.best_loss_ = self.loss_
        # As in scikit-learn, only the stochastic solvers count samples seen.
        self.t_ = getattr(self, "t_", 0) if continuing else 0

    def _check_fitted_state(self) -> None:
        """Raise ``ValueError`` unless the fitted attributes are consistent
        (read by :func:`skdeep.load`, which fills them from a file)."""
        check_network_state(self)

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
        check_fitted(self, "network_")
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
        """Whether ``partial_fit`` is available: raises if not."""
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        if self.early_stopping:
            raise PartialFitUnavailableError(
                "partial_fit does not support early_stopping=True: one epoch on "
                "the data given leaves nothing to hold out. Set "
                "early_stopping=False and stop in your own loop."
            )
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def stochastic_partial_fit(method):
    """Make ``method`` (``partial_fit``) an attribute only where
    :meth:`BaseNetwork._check_solver` allows it.

    Like scikit-learn's ``available_if``, which would turn the
    :class:`PartialFitUnavailableError` into a bare ``AttributeError``.
    """

    class Available:
        def __get__(self, obj, owner=None):
            if obj is None:
                return method
            obj._check_solver()
            return types.MethodType(method, obj)

    return functools.update_wrapper(Available(), method)


class PartialFitUnavailableError(AttributeError, ValueError):
    """``partial_fit`` with ``early_stopping=True``.

    A :class:`ValueError`, as scikit-learn raises, and an :class:`AttributeError`,
    so that ``hasattr(estimator, "partial_fit")`` says it is not available (as it
    does for 'lbfgs') and scikit-learn's checks do not call it.
    """


def _dense_layers(network) -> list:
    return [layer for layer in network.layers if isinstance(layer, nn.Dense)]
