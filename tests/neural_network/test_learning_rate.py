"""The per-epoch learning rate of the stochastic solvers, across fits.

A fit starts its schedule (invscaling from the samples seen, ``t_``); a
``partial_fit`` continues the fitted optimizer's schedule where it stands.
Expected rates come from the schedules' formulas.
"""

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning

import skdeep
from skdeep import MLPClassifier
from skdeep.neural_network._learning_rate import EpochSchedule

LEGACY = Path(__file__).parents[1] / "data" / "models_0_1_0_dev0"


@pytest.fixture
def data():
    return make_classification(
        n_samples=100, n_features=5, n_informative=4, n_redundant=0, n_classes=3,
        random_state=0,
    )  # fmt: skip


def _cosine(lr, epoch, budget):
    return 0.5 * lr * (1 + math.cos(math.pi * min(epoch, budget) / budget))


def _quiet(call, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return call(*args)


def test_partial_fit_continues_the_schedule_epoch_by_epoch(data):
    X, y = data
    clf = MLPClassifier((4,), learning_rate="cosine", learning_rate_init=0.1,
                        max_iter=4, random_state=0)  # fmt: skip
    for _ in range(3):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    expected = [_cosine(0.1, epoch, 4) for epoch in range(3)]
    assert_allclose(clf.history_["learning_rate"], expected, rtol=1e-12)


def test_a_warm_start_starts_a_new_schedule_and_invscaling_counts_on(data):
    X, y = data
    kw = dict(hidden_layer_sizes=(4,), max_iter=3, tol=0, warm_start=True,
              learning_rate_init=0.1, random_state=0)  # fmt: skip
    cosine = MLPClassifier(learning_rate="cosine", **kw)
    _quiet(cosine.fit, X, y)
    _quiet(cosine.fit, X, y)
    assert_allclose(
        cosine.history_["learning_rate"],
        [_cosine(0.1, epoch, 3) for epoch in (0, 1, 2, 0, 1, 2)],
        rtol=1e-12,
    )
    invscaling = MLPClassifier(solver="sgd", learning_rate="invscaling", **kw)
    _quiet(invscaling.fit, X, y)
    _quiet(invscaling.fit, X, y)
    # scikit-learn: lr / (t + 1)^power_t with t the samples seen before the epoch.
    expected = [0.1 / (epoch * 100 + 1) ** 0.5 for epoch in range(6)]
    assert_allclose(invscaling.history_["learning_rate"], expected, rtol=1e-12)
    assert invscaling.t_ == 600


def test_a_schedule_stands_at_epochs_or_samples_and_moves_on():
    def identity(position):
        return float(position)

    by_epoch = EpochSchedule(identity, epoch=3, samples_seen=30)
    # History epochs 5, 6, 7 are the schedule's epochs 3, 4, 5.
    assert [by_epoch.rates(5, 10)(e) for e in (5, 6, 7)] == [3.0, 4.0, 5.0]
    by_sample = EpochSchedule(identity, epoch=3, samples_seen=30, use_samples=True)
    assert [by_sample.rates(5, 10)(e) for e in (5, 6, 7)] == [30.0, 40.0, 50.0]
    moved = by_sample.after(2, 10)
    assert (moved.epoch, moved.samples_seen, moved.use_samples) == (5, 50, True)
    assert (by_sample.epoch, by_sample.samples_seen) == (3, 30)  # immutable


def test_a_legacy_cosine_network_continues_its_schedule_with_partial_fit():
    # skdeep 0.1.0.dev0 kept the schedule inside the optimizer, 27 epochs in.
    model = skdeep.load(LEGACY / "mlp_batch_norm_dropout_cosine.skdeep")
    X, y = load_iris(return_X_y=True)
    epochs = model._optimizer.learning_rate.epoch
    model.partial_fit(X, y)
    model.partial_fit(X, y)
    expected = [_cosine(model.learning_rate_init, e, 30) for e in (epochs, epochs + 1)]
    assert_allclose(model.history_["learning_rate"][-2:], expected, rtol=1e-12)
    assert model._schedule.epoch == epochs + 2
    assert isinstance(model._optimizer.learning_rate, float)


def test_a_continued_network_saves_and_loads_its_schedule(data, tmp_path):
    X, y = data
    clf = MLPClassifier((4,), learning_rate="step", max_iter=6, random_state=0)
    _quiet(clf.fit, X, y)
    clf.partial_fit(X, y)
    skdeep.save(clf, tmp_path / "model.skdeep")
    loaded = skdeep.load(tmp_path / "model.skdeep")
    assert repr(loaded._schedule) == repr(clf._schedule)
    clf.partial_fit(X, y)
    loaded.partial_fit(X, y)
    assert loaded.history_["learning_rate"] == clf.history_["learning_rate"]
    for a, b in zip(loaded.coefs_, clf.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------- schedules under partial_fit
@pytest.mark.parametrize(
    "schedule", ["step", "exponential", "inverse_time", "cosine", "cosine_restarts"]
)
def test_a_stream_restarts_the_schedule_every_max_iter_calls(data, schedule):
    X, y = data
    clf = MLPClassifier((4,), learning_rate=schedule, learning_rate_init=0.1,
                        max_iter=7, random_state=0)  # fmt: skip
    clf.partial_fit(X, y, classes=[0, 1, 2])
    rates = list(clf.history_["learning_rate"])
    for _ in range(20):
        before = [w.copy() for w in clf.coefs_]
        clf.partial_fit(X, y)
        # Every call learns: no rate of 0, no rate decayed for ever.
        pairs = zip(before, clf.coefs_, strict=True)
        assert not all(np.array_equal(a, b) for a, b in pairs)
    rates = clf.history_["learning_rate"]
    assert_allclose(rates[7:14], rates[:7], rtol=1e-12)
    assert_allclose(rates[14:21], rates[:7], rtol=1e-12)
    assert rates[0] == 0.1 and min(rates) > 0


def test_a_cosine_stream_never_reaches_a_rate_of_zero(data):
    X, y = data
    clf = MLPClassifier((4,), learning_rate="cosine", learning_rate_init=0.1,
                        max_iter=4, random_state=0)  # fmt: skip
    for _ in range(9):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    expected = [_cosine(0.1, epoch % 4, 4) for epoch in range(9)]
    assert_allclose(clf.history_["learning_rate"], expected, rtol=1e-12)


def test_partial_fit_after_a_full_fit_starts_the_schedule_again(data):
    X, y = data
    clf = MLPClassifier((4,), learning_rate="cosine", learning_rate_init=0.1,
                        max_iter=5, tol=0, random_state=0)  # fmt: skip
    _quiet(clf.fit, X, y)
    clf.partial_fit(X, y)
    assert clf.history_["learning_rate"][-1] == 0.1


def test_a_legacy_cosine_stream_restarts_after_its_budget():
    model = skdeep.load(LEGACY / "mlp_batch_norm_dropout_cosine.skdeep")
    X, y = load_iris(return_X_y=True)
    epochs = model._optimizer.learning_rate.epoch  # 27 of max_iter=30
    for _ in range(30 - epochs + 1):
        model.partial_fit(X, y)
    assert model.history_["learning_rate"][-1] == model.learning_rate_init
