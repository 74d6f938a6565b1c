"""The training loop: learning, stopping rules, weights, divergence and dtypes."""

import math
import pickle
from copy import deepcopy

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skdeep import nn


def _blobs(rng, n=300):
    centers = np.array([[0.0, 3.0], [3.0, 0.0], [-3.0, -3.0]])
    labels = rng.integers(0, 3, size=n)
    return centers[labels] + rng.normal(size=(n, 2)), np.eye(3)[labels]


def _net(seed=0, dtype=np.float64, layers=None):
    net = nn.Sequential(layers or [nn.Dense(16), nn.Activation("relu"), nn.Dense(3)])
    net.build(2, np.random.default_rng(seed), dtype)
    return net


CE = nn.losses.get("softmax_cross_entropy")


def _train(X, y, rng, *, net=None, optimizer=None, loss=CE, **kwargs):
    """``nn.train`` with this file's defaults: the small ReLU net, SGD, log-loss."""
    net = _net() if net is None else net
    optimizer = nn.optimizers.get("sgd") if optimizer is None else optimizer
    return nn.train(net, loss, optimizer, X, y, rng=rng, **kwargs)


def _stalled():
    """SGD with a learning rate so small the loss moves far less than any tol."""
    return nn.optimizers.get("sgd", learning_rate=1e-12)


def _accuracy(y, p):
    return float(np.mean(y.argmax(1) == p.argmax(1)))


def test_training_learns_separable_blobs(rng):
    X, y = _blobs(rng)
    net = _net()
    adam = nn.optimizers.get("adam", learning_rate=0.01)
    history = _train(X, y, rng, net=net, optimizer=adam, epochs=50)
    assert history.epochs["loss"][-1] < 0.1 * history.epochs["loss"][0]
    assert _accuracy(y, net.forward(X)) > 0.97


def test_history_has_one_entry_per_epoch_and_counts_steps(rng):
    X, y = _blobs(rng, n=100)
    history = _train(
        X, y, rng, epochs=7, batch_size=32, tol=None, validation_data=(X, y)
    )
    assert {len(v) for v in history.epochs.values()} == {7}
    assert set(history.epochs) == {
        "loss",
        "val_loss",
        "val_score",
        "learning_rate",
        "time",
    }
    assert history.n_steps == 7 * 4  # ceil(100 / 32) batches per epoch
    assert history.n_samples_seen == 700


def test_epoch_loss_is_the_row_weighted_mean_of_batch_losses(rng):
    X, y = _blobs(rng, n=10)
    net = _net()
    full_data_loss = CE.value(y, net.forward(X))
    # Batches of 4, 4 and 2 rows; a learning rate of 1e-300 leaves the weights as
    # they are, so the row-weighted mean of batch losses is the full-data loss.
    frozen = nn.optimizers.get("sgd", learning_rate=1e-300)
    history = _train(X, y, rng, net=net, optimizer=frozen, epochs=1, batch_size=4)
    assert_allclose(history.epochs["loss"][0], full_data_loss, rtol=1e-14)


def test_same_seed_gives_bit_identical_weights(rng):
    X, y = _blobs(rng)
    results = []
    for _ in range(2):
        net = _net(
            seed=3,
            layers=[nn.Dense(16), nn.Dropout(0.3), nn.Activation("relu"), nn.Dense(3)],
        )
        adam = nn.optimizers.get("adam")
        _train(X, y, np.random.default_rng(5), net=net, optimizer=adam, epochs=3)
        results.append(net.get_weights())
    for a, b in zip(*results, strict=True):
        assert_array_equal(a, b)


def test_training_loss_plateau_stops_after_n_iter_no_change(rng):
    X, y = _blobs(rng, n=60)
    history = _train(
        X, y, rng, optimizer=_stalled(), epochs=100, tol=1e-4, n_iter_no_change=3
    )
    # Epoch 1 sets the best loss; epochs 2..5 fail to improve: 4 > 3 stops.
    assert history.stopped and history.n_epochs == 5


def test_tol_none_trains_for_all_epochs(rng):
    X, y = _blobs(rng, n=60)
    history = _train(X, y, rng, optimizer=_stalled(), epochs=12, tol=None)
    assert not history.stopped and history.n_epochs == 12


def test_early_stopping_restores_the_weights_of_the_best_epoch(rng):
    X, y = _blobs(rng, n=200)
    X_val, y_val = X[:40], 1.0 - y[:40]  # misleading labels: validation gets worse
    net = _net()
    snapshots = []
    history = _train(
        X[40:],
        y[40:],
        rng,
        net=net,
        optimizer=nn.optimizers.get("adam", learning_rate=0.01),
        epochs=60,
        validation_data=(X_val, y_val),
        validation_score=None,
        early_stopping=True,
        n_iter_no_change=4,
        callbacks=(lambda h: snapshots.append(net.get_weights()),),
    )
    assert history.stopped and history.best_epoch < history.n_epochs - 1
    best_score = max(history.epochs["val_score"])
    assert history.epochs["val_score"][history.best_epoch] == best_score
    for now, best in zip(net.get_weights(), snapshots[history.best_epoch], strict=True):
        assert_array_equal(now, best)


def test_validation_score_callable_receives_linked_predictions(rng):
    X, y = _blobs(rng, n=90)
    seen = []

    def score(y_true, probabilities):
        seen.append(probabilities)
        return _accuracy(y_true, probabilities)

    history = _train(
        X,
        y,
        rng,
        optimizer=nn.optimizers.get("adam"),
        epochs=2,
        validation_data=(X, y),
        validation_score=score,
    )
    assert_allclose(seen[-1].sum(axis=1), 1.0)  # softmax probabilities, not scores
    assert history.epochs["val_score"][-1] == _accuracy(y, seen[-1])


def test_callback_returning_true_stops_training(rng):
    X, y = _blobs(rng, n=60)
    stop_after_3 = (lambda h: h.n_epochs == 3,)
    history = _train(X, y, rng, epochs=50, callbacks=stop_after_3)
    assert history.stopped and history.n_epochs == 3


def test_integer_sample_weights_equal_repeating_rows_in_full_batch_training(rng):
    X, y = _blobs(rng, n=30)
    counts = rng.integers(1, 4, size=30)
    repeated = np.repeat(np.arange(30), counts)
    weighted, duplicated = _net(), _net()
    common = dict(epochs=5, shuffle=False, tol=None)
    sgd = nn.optimizers.get("sgd", learning_rate=0.1)
    _train(
        X,
        y,
        rng,
        net=weighted,
        optimizer=sgd,
        batch_size=30,
        sample_weight=counts,
        **common,
    )
    sgd = nn.optimizers.get("sgd", learning_rate=0.1)
    _train(
        X[repeated],
        y[repeated],
        rng,
        net=duplicated,
        optimizer=sgd,
        batch_size=len(repeated),
        **common,
    )
    for a, b in zip(weighted.params, duplicated.params, strict=True):
        assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_divergence_stops_with_an_error_naming_the_learning_rate(rng):
    X, y = _blobs(rng, n=60)
    X *= 1e3
    with pytest.raises(nn.TrainingDivergedError, match=r"learning rate \(1e\+06\)"):
        sgd = nn.optimizers.get("sgd", learning_rate=1e6)
        _train(X, y, rng, optimizer=sgd, loss=nn.losses.get("squared_error"), epochs=20)


def test_divergence_is_caught_as_a_value_error_like_other_bad_input(rng):
    X, y = _blobs(rng, n=60)
    sgd = nn.optimizers.get("sgd", learning_rate=1e6)
    with pytest.raises(ValueError, match="Training diverged"):
        _train(X * 1e3, y, rng, optimizer=sgd, loss=nn.losses.get("squared_error"))
    assert issubclass(nn.TrainingDivergedError, FloatingPointError)


@pytest.mark.parametrize("tol", [1e-4, None])
def test_a_loss_that_grows_but_stays_finite_is_divergence_not_convergence(rng, tol):
    # Full-batch gradient descent on a least-squares problem of curvature L
    # multiplies the error by |1 − lr·L| per step: lr = 3/L doubles it, so the
    # loss grows fourfold an epoch and stays finite for these 20 epochs. Growth
    # counts as "no improvement", so the stall rule stops it after 11 epochs.
    X = rng.normal(size=(50, 1))
    y = 2.0 * X + 1.0
    A = np.hstack([X, np.ones_like(X)])
    curvature = np.linalg.eigvalsh(A.T @ A / len(A)).max()  # of ½·mean squared error
    net = nn.Sequential([nn.Dense(1)])
    net.build(1, np.random.default_rng(0), np.float64)
    sgd = nn.optimizers.get("sgd", learning_rate=3.0 / curvature)
    with pytest.raises(nn.TrainingDivergedError, match=r"the loss grew from .* to"):
        _train(X, y, rng, net=net, optimizer=sgd, loss=nn.losses.get("squared_error"),
               epochs=20, batch_size=50, tol=tol)  # fmt: skip


def test_a_loss_spike_below_the_untrained_loss_is_not_divergence():
    # The last epoch's loss is 100 times its best, as after a warm restart of
    # the learning rate, but below the first epoch's: not divergence. Ending
    # above the first epoch's loss too (Adam swinging on unscaled data) is.
    assert not nn.training._blew_up([1.0, 0.01, 0.005, 0.8, 0.5], best=0.005)
    assert nn.training._blew_up([1.0, 0.01, 0.005, 50.0, 20.0], best=0.005)


def test_a_continued_call_is_judged_on_its_own_epochs_not_earlier_ones(rng):
    # Trained to a low loss, then continued on relabelled data: its loss is far
    # above the earlier best from the first epoch on, and falls. Not divergence.
    X, y = _blobs(rng)
    net, adam = _net(), nn.optimizers.get("adam", learning_rate=0.01)
    history = _train(X, y, rng, net=net, optimizer=adam, epochs=30, tol=None)
    drifted = np.roll(y, 1, axis=1)
    _train(X, drifted, rng, net=net, optimizer=adam, epochs=5, tol=None,
           history=history)  # fmt: skip
    new_losses = history.epochs["loss"][30:]
    assert new_losses[0] > 10 * history.epochs["loss"][29]
    assert new_losses[-1] < new_losses[0]


def test_cosine_warm_restarts_at_a_high_rate_train_without_a_divergence_error(rng):
    X, y = _blobs(rng)
    schedule = nn.schedules.get("cosine_restarts", learning_rate=0.5, T_0=20)
    sgd = nn.optimizers.get("sgd", learning_rate=schedule, momentum=0.9)
    history = _train(X, y, rng, optimizer=sgd, epochs=60, batch_size=16, tol=None)
    assert history.n_epochs == 60


def test_overflowing_validation_outputs_stop_training_as_divergence(rng):
    # Finite weights, but the validation rows are so large that the outputs
    # overflow: the validation score would be computed from inf and NaN.
    X, y = _blobs(rng, n=60)
    with pytest.raises(nn.TrainingDivergedError, match="epoch 1: the validation loss"):
        _train(X, y, rng, validation_data=(np.full_like(X, 1e308), y), epochs=3)


def test_float32_training_keeps_float32_parameters_and_state(rng):
    X, y = _blobs(rng, n=60)
    net = _net(
        dtype=np.float32,
        layers=[nn.Dense(8), nn.BatchNorm(), nn.Activation("relu"), nn.Dense(3)],
    )
    opt = nn.optimizers.get("adam")
    _train(X, y, rng, net=net, optimizer=opt, epochs=2)
    assert all(a.dtype == np.float32 for a in (*net.params, *net.grads, *net.state))
    assert all(s.dtype == np.float32 for slots in opt._state for s in slots.values())


def test_max_norm_holds_after_training(rng):
    X, y = _blobs(rng, n=60)
    net = _net(layers=[nn.Dense(16, max_norm=0.5), nn.Activation("relu"), nn.Dense(3)])
    _train(
        X,
        y,
        rng,
        net=net,
        optimizer=nn.optimizers.get("sgd", learning_rate=0.5),
        epochs=5,
    )
    assert np.linalg.norm(net.layers[0].W, axis=0).max() <= 0.5 + 1e-12


def test_history_continues_across_calls_for_warm_starts(rng):
    X, y = _blobs(rng, n=60)
    net, opt = _net(), nn.optimizers.get("adam")
    history = _train(X, y, rng, net=net, optimizer=opt, epochs=3, tol=None)
    history = _train(
        X, y, rng, net=net, optimizer=opt, epochs=2, tol=None, history=history
    )
    assert history.n_epochs == 5 and opt.iterations == history.n_steps


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"early_stopping": True}, "needs validation_data"),
        ({"sample_weight": np.ones(3)}, "sample_weight has shape"),
    ],
)
def test_bad_training_arguments_are_clear_errors(kwargs, message, rng):
    X, y = _blobs(rng, n=20)
    with pytest.raises(ValueError, match=message):
        _train(X, y, rng, **kwargs)


def test_empty_data_is_a_clear_error(rng):
    with pytest.raises(ValueError, match="non-empty"):
        _train(np.empty((0, 2)), np.empty((0, 3)), rng)


def test_learning_rate_history_follows_the_schedule(rng):
    X, y = _blobs(rng, n=64)
    schedule = nn.schedules.get("exponential", learning_rate=0.1, gamma=0.5)
    sgd = nn.optimizers.get("sgd", learning_rate=schedule)
    history = _train(X, y, rng, optimizer=sgd, epochs=3, batch_size=32, tol=None)
    # Two updates per epoch: epochs start at steps 0, 2 and 4.
    assert_allclose(history.epochs["learning_rate"], [0.1, 0.1 * 0.25, 0.1 * 0.0625])
    assert math.isfinite(history.best_loss)


_rng = np.random.default_rng


class _RecordingSGD(nn.optimizers.SGD):
    """SGD that records the learning rate of every step."""

    def step(self, params, grads, *args, **kwargs):
        self.rates = [*getattr(self, "rates", []), self.current_learning_rate()]
        super().step(params, grads, *args, **kwargs)


def test_an_epoch_schedule_sets_the_rate_of_every_step_of_its_epoch(rng):
    X, y = _blobs(rng, n=64)
    sgd = _RecordingSGD(learning_rate=1.0)
    history = _train(
        X, y, rng, optimizer=sgd, epochs=3, batch_size=16, tol=None,
        epoch_schedule=lambda epoch: 0.1 / (epoch + 1),
    )  # fmt: skip
    rates = [0.1, 0.05, 0.1 / 3]
    assert history.epochs["learning_rate"] == rates
    assert sgd.rates == [rate for rate in rates for _ in range(4)]  # 4 steps each


def test_an_epoch_schedule_is_called_with_the_epoch_of_a_continued_history(rng):
    X, y = _blobs(rng, n=60)
    net, opt, called = _net(), nn.optimizers.get("sgd"), []

    def schedule(epoch):
        called.append(epoch)
        return 0.01 * 0.5**epoch

    history = _train(X, y, rng, net=net, optimizer=opt, epochs=2, tol=None,
                     epoch_schedule=schedule)  # fmt: skip
    _train(X, y, rng, net=net, optimizer=opt, epochs=3, tol=None,
           epoch_schedule=schedule, history=history)  # fmt: skip
    assert called == [0, 1, 2, 3, 4]
    assert history.epochs["learning_rate"] == [0.01 * 0.5**e for e in range(5)]
    assert opt.learning_rate == 0.01 * 0.5**4  # the last epoch's rate stays


def test_an_epoch_schedule_trains_as_one_epoch_per_call_at_that_rate(rng):
    X, y = _blobs(rng, n=90)
    schedule = nn.schedules.get("cosine", learning_rate=0.1, T_max=3)
    scheduled, by_hand = _net(), _net()
    _train(X, y, _rng(5), net=scheduled,
           optimizer=nn.optimizers.get("adam"), epochs=3, tol=None,
           epoch_schedule=schedule)  # fmt: skip
    adam, history, shuffle_rng = nn.optimizers.get("adam"), None, _rng(5)
    for epoch in range(3):
        adam.learning_rate = schedule(epoch)
        history = _train(X, y, shuffle_rng, net=by_hand, optimizer=adam, epochs=1,
                         tol=None, history=history)  # fmt: skip
    for a, b in zip(scheduled.params, by_hand.params, strict=True):
        assert_array_equal(a, b)


def test_continuing_a_stopped_history_trains_again(rng):
    X, y = _blobs(rng, n=60)
    net, opt = _net(), _stalled()
    kwargs = dict(net=net, optimizer=opt, epochs=50, n_iter_no_change=2)
    history = _train(X, y, rng, **kwargs)
    assert history.stopped and history.n_epochs == 4
    history = _train(X, y, rng, history=history, **kwargs)
    # A fresh stall count: three more non-improving epochs, not one.
    assert history.n_epochs == 7


def test_dropout_and_batchnorm_weights_equal_repeating_rows(rng):
    X, y = _blobs(rng, n=30)
    counts = rng.integers(0, 4, size=30)
    repeated = np.repeat(np.arange(30), counts)

    def layers():
        return [
            nn.Dense(16), nn.BatchNorm(), nn.Activation("relu"), nn.Dropout(0.3),
            nn.Dense(3),
        ]  # fmt: skip

    weighted, duplicated = _net(layers=layers()), _net(layers=layers())
    # SGD, not Adam: the bias before batch norm has a zero gradient, whose
    # rounding noise Adam would scale up to lr/epsilon.
    common = dict(epochs=5, tol=None, batch_size=1000)
    sgd = nn.optimizers.get("sgd", learning_rate=0.1)
    _train(X, y, np.random.default_rng(1), net=weighted, optimizer=sgd,
           sample_weight=counts * 1.0, **common)  # fmt: skip
    sgd = nn.optimizers.get("sgd", learning_rate=0.1)
    _train(X[repeated], y[repeated], np.random.default_rng(1), net=duplicated,
           optimizer=sgd, **common)  # fmt: skip
    for a, b in zip(weighted.get_weights(), duplicated.get_weights(), strict=True):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("layers", "hashed"),
    [
        ([nn.Dense(8), nn.Activation("relu"), nn.Dense(3)], False),
        ([nn.Dense(8), nn.Dropout(0.0), nn.Dense(3)], False),
        ([nn.Dense(8), nn.Dropout(0.2), nn.Dense(3)], True),
    ],
)
def test_rows_are_hashed_only_for_networks_that_read_the_keys(
    layers, hashed, rng, monkeypatch
):
    calls = []
    real = nn.training.row_keys
    monkeypatch.setattr(nn.training, "row_keys", lambda X: calls.append(1) or real(X))
    X, y = _blobs(rng, n=60)
    net = _net(layers=layers)
    assert net.uses_row_keys is hashed
    _train(X, y, np.random.default_rng(1), net=net, epochs=2, tol=None)
    assert len(calls) == (1 if hashed else 0)


def test_a_tied_score_with_a_better_validation_loss_keeps_its_weights_but_stalls():
    history = nn.History()
    history.epochs.update(val_loss=[], val_score=[])
    steps = [(0.9, 1.0), (0.9, 0.8), (0.9, 0.8), (0.95, 0.9)]
    improved, counts = [], []
    for score, val_loss in steps:
        history.epochs["loss"].append(1.0)
        history.epochs["val_score"].append(score)
        history.epochs["val_loss"].append(val_loss)
        improved.append(nn.training._update_best(history, True, tol=1e-4))
        counts.append(history.no_improvement_count)
    assert improved == [True, True, False, True]
    assert counts == [0, 1, 2, 0]
    assert history.best_epoch == 3 and history.best_val_loss == 0.9


def test_a_score_gain_below_tol_is_a_tie_that_the_validation_loss_breaks():
    # Scores that saturate (weighted accuracy under extreme class weights):
    # the noise-level maximum at epoch 1 does not hold the weights of the
    # epochs that go on lowering the validation loss, while a real gain does.
    history = nn.History()
    history.epochs.update(val_loss=[], val_score=[])
    steps = [(0.5, 2.0), (1.0, 1.0), (1.0 - 1e-7, 0.5), (1.0 - 2e-7, 0.25),
             (1.0 + 5e-5, 0.3), (1.0 - 2e-4, 0.1), (1.1, 0.9)]  # fmt: skip
    improved = []
    for score, val_loss in steps:
        history.epochs["loss"].append(1.0)
        history.epochs["val_score"].append(score)
        history.epochs["val_loss"].append(val_loss)
        improved.append(nn.training._update_best(history, True, tol=1e-4))
    assert improved == [True, True, True, True, False, False, True]
    assert history.best_epoch == 6 and history.best_val_loss == 0.9


def _scikit_learn_counts(values, tol, *, higher_is_better):
    """scikit-learn's _update_no_improvement_count, transcribed."""
    count, best, counts = 0, -np.inf if higher_is_better else np.inf, []
    for value in values:
        if higher_is_better:
            count = count + 1 if value < best + tol else 0
            best = max(best, value)
        else:
            count = count + 1 if value > best - tol else 0
            best = min(best, value)
        counts.append(count)
    return counts


# Steps below, at and above tol = 0.01, ties, and a NaN score (which
# scikit-learn's comparisons count as progress).
SCORES = [0.5, 0.5, 0.505, 0.516, 0.52, 0.52, 0.5, 0.529, np.nan, 0.53, 0.545]
VAL_LOSSES = [1.0, 1.1, 0.8, 0.7, 0.75, 0.6, 0.5, 0.65, 0.6, 0.6, 0.6]


def test_the_validation_stall_count_is_scikit_learns():
    history = nn.History()
    history.epochs.update(val_loss=[], val_score=[])
    counts, improved = [], []
    for score, val_loss in zip(SCORES, VAL_LOSSES, strict=True):
        history.epochs["loss"].append(1.0)
        history.epochs["val_score"].append(score)
        history.epochs["val_loss"].append(val_loss)
        improved.append(nn.training._update_best(history, True, tol=0.01))
        counts.append(history.no_improvement_count)
    assert counts == _scikit_learn_counts(SCORES, 0.01, higher_is_better=True)
    assert counts == [0, 1, 2, 0, 1, 2, 3, 4, 0, 1, 0]
    # Weights: the lowest validation loss among scores within tol of the best
    # (0.52 after 0.516 is a tie with a higher loss, 0.529 after 0.52 too).
    assert improved == [True, False, True, True, False, True, False, False, False,
                        False, True]  # fmt: skip
    assert history.best_epoch == 10


def test_the_training_loss_stall_count_is_scikit_learns():
    losses = [1.0, 0.995, 0.99, 0.978, 0.985, 0.97, 0.969, 0.955, 0.95]
    history = nn.History()
    counts = []
    for loss in losses:
        history.epochs["loss"].append(loss)
        nn.training._update_best(history, False, tol=0.01)
        counts.append(history.no_improvement_count)
    assert counts == _scikit_learn_counts(losses, 0.01, higher_is_better=False)
    assert counts == [0, 1, 2, 0, 1, 2, 3, 0, 1]


def test_early_stopping_stops_when_scikit_learns_count_passes_the_patience(rng):
    # Validation loss that keeps falling on a tied score no longer holds the
    # stop off: the count passes n_iter_no_change=2 at the 7th epoch.
    X, y = _blobs(rng, n=60)
    scores = iter([0.5, 0.5, 0.505, 0.52, 0.52, 0.52, 0.525, 0.525] + [0.9] * 10)
    adam = nn.optimizers.get("adam", learning_rate=0.01)
    history = _train(
        X, y, rng, optimizer=adam, epochs=20, validation_data=(X, y),
        validation_score=lambda y_val, p: next(scores), early_stopping=True,
        n_iter_no_change=2, tol=0.01,
    )  # fmt: skip
    assert history.stopped and history.n_epochs == 7
    assert history.no_improvement_count == 3


def test_on_plateau_can_continue_training(rng):
    X, y = _blobs(rng, n=60)
    calls = []

    def lower_and_continue(history):
        calls.append(history.n_epochs)
        return len(calls) < 3

    history = _train(X, y, rng, epochs=100, tol=1e6, n_iter_no_change=1,
                     on_plateau=lower_and_continue)  # fmt: skip
    # More than n_iter_no_change=1 stalled epochs: epoch 3, then every 2 epochs.
    assert calls == [3, 5, 7] and history.n_epochs == 7 and history.stopped


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_never_writes_into_the_callers_arrays(rng, shuffle, dtype):
    """Minibatches are gathered into reused buffers (or are views when not
    shuffling); neither the data nor the weights passed in may change."""
    X, y = _blobs(rng, n=100)
    X, y = X.astype(dtype), y.astype(dtype)
    w = rng.uniform(0.5, 2.0, size=100).astype(dtype)
    copies = [a.copy() for a in (X, y, w)]
    net = _net(dtype=dtype)
    adam = nn.optimizers.get("adam", learning_rate=0.01)
    _train(X, y, rng, net=net, optimizer=adam, epochs=3, batch_size=32,
           sample_weight=w, shuffle=shuffle, tol=None)  # fmt: skip
    for array, copy in zip((X, y, w), copies, strict=True):
        assert_array_equal(array, copy)


def test_gathered_minibatches_are_the_rows_of_the_permutation(rng):
    """The last (short) batch and the full ones hold exactly the rows asked for."""
    X = rng.normal(size=(10, 3)).astype(np.float32)
    gather = nn.training._BatchGatherer(X, batch_size=4)
    order = rng.permutation(10)
    for start in range(0, 10, 4):
        rows = order[start : start + 4]
        assert_array_equal(gather(rows), X[rows])
    assert_array_equal(gather(slice(4, 8)), X[4:8])


def test_an_interrupt_passes_through_with_completed_epochs_and_best_weights(
    rng, monkeypatch
):
    """Ctrl-C one step into epoch 4 of an early-stopping run: the interrupt
    reaches the caller, the history it passed holds epochs 1-3 in every list
    (epoch 4's learning rate was already recorded), and the network holds what
    a 3-epoch run ends with, the best epoch's weights."""
    X, y = _blobs(rng, n=120)
    X_val, y_val = _blobs(np.random.default_rng(5), n=60)

    def run(net, epochs, history=None):
        nn.train(
            net, CE, nn.optimizers.get("adam", 0.05), X, y,
            rng=np.random.default_rng(0), epochs=epochs, batch_size=40,
            validation_data=(X_val, y_val), early_stopping=True,
            n_iter_no_change=50, history=history,
        )  # fmt: skip

    finished = _net()
    run(finished, 3)
    real_step = nn.optimizers.Optimizer.step
    calls = {"n": 0}

    def interrupted(self, params, grads):
        real_step(self, params, grads)
        calls["n"] += 1
        if calls["n"] == 3 * 3 + 1:  # 120 rows in batches of 40: 3 steps an epoch
            raise KeyboardInterrupt

    monkeypatch.setattr(nn.optimizers.Optimizer, "step", interrupted)
    net, history = _net(), nn.History()
    with pytest.raises(KeyboardInterrupt):
        run(net, 10, history)
    assert {len(values) for values in history.epochs.values()} == {3}
    assert history.stopped
    for a, b in zip(net.params, finished.params, strict=True):
        assert_array_equal(a, b)


def test_a_copy_taken_during_training_adds_its_own_l2_gradient(rng):
    """A pickle or deep copy made from a callback has a backward that adds
    ``l2·W`` to the kernel's gradient."""
    X, y = _blobs(rng, n=60)
    net = _net(layers=[nn.Dense(16, l2=0.1), nn.Activation("relu"), nn.Dense(3)])
    copies = []

    def take_copies(history):
        copies.append(pickle.loads(pickle.dumps(net)))
        copies.append(deepcopy(net))

    _train(X, y, rng, net=net, epochs=1, callbacks=(take_copies,))
    for taken in copies:
        layer = taken.layers[0]
        taken.forward(X, training=True)
        taken.backward(np.zeros((X.shape[0], 3)), input_grad=False)
        assert_allclose(layer.dW, 0.1 * layer.W, rtol=1e-12)
