"""Ctrl-C during a stochastic fit: scikit-learn's MLP warns and keeps its model.

The interrupt is raised from inside an optimizer step (as a signal would land
in the middle of an epoch) by counting ``Optimizer.step`` calls.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skdeep import MLPClassifier, MLPRegressor
from skdeep.nn import optimizers

STEPS_PER_EPOCH = 4  # 200 rows in minibatches of 50


@pytest.fixture
def data():
    return make_classification(
        n_samples=200, n_features=6, n_informative=4, n_classes=3, random_state=0
    )


def _interrupt_at_step(monkeypatch, step, *, corrupt=False):
    """Make the ``step``-th optimizer update (counted from 1) raise KeyboardInterrupt
    after updating, or, with ``corrupt``, after putting a NaN in the weights."""
    real_step = optimizers.Optimizer.step
    calls = {"n": 0}

    def interrupted(self, params, grads):
        real_step(self, params, grads)
        calls["n"] += 1
        if calls["n"] == step:
            if corrupt:
                params[0].flat[0] = np.nan
            raise KeyboardInterrupt

    monkeypatch.setattr(optimizers.Optimizer, "step", interrupted)
    return calls


def _mlp(cls=MLPClassifier, **kwargs):
    params = dict(hidden_layer_sizes=(8,), batch_size=50, max_iter=30, tol=0.0)
    return cls(**{**params, "random_state": 0, **kwargs})


def test_interrupt_warns_and_keeps_the_completed_epochs(data, monkeypatch):
    X, y = data
    # Two full epochs, then one step into the third.
    _interrupt_at_step(monkeypatch, 2 * STEPS_PER_EPOCH + 1)
    clf = _mlp()
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        clf.fit(X, y)
    assert clf.n_iter_ == 2
    assert len(clf.loss_curve_) == 2
    # The third epoch's learning rate was recorded when it began: cut too.
    assert {len(v) for v in clf.history_.values()} == {2}
    assert all(np.isfinite(w).all() for w in clf.coefs_ + clf.intercepts_)
    assert clf.predict(X).shape == y.shape


def test_interrupt_under_early_stopping_keeps_the_best_epochs_weights(
    data, monkeypatch
):
    """Interrupted one step into epoch 6: the model is the one a 5-epoch fit
    hands back (its best epoch's weights), bit for bit."""
    X, y = data
    kwargs = dict(early_stopping=True, n_iter_no_change=50, validation_fraction=0.2)
    with pytest.warns(ConvergenceWarning):
        finished = _mlp(max_iter=5, **kwargs).fit(X, y)
    steps = 4 * 5 + 1  # 160 training rows: 4 steps per epoch
    _interrupt_at_step(monkeypatch, steps)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        interrupted = _mlp(**kwargs).fit(X, y)
    assert interrupted.n_iter_ == 5
    for a, b in zip(interrupted.coefs_, finished.coefs_, strict=True):
        assert_array_equal(a, b)
    assert interrupted.validation_scores_ == finished.validation_scores_


def test_interrupt_before_the_first_epoch_ends_fails_the_fit(data, monkeypatch):
    X, y = data
    _interrupt_at_step(monkeypatch, 2)
    clf = _mlp()
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_interrupted_refit_before_any_epoch_keeps_the_previous_model(data, monkeypatch):
    X, y = data
    with pytest.warns(ConvergenceWarning):
        clf = _mlp(max_iter=3).fit(X, y)
    before = [w.copy() for w in clf.coefs_]
    _interrupt_at_step(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    for a, b in zip(clf.coefs_, before, strict=True):
        assert_array_equal(a, b)


def test_interrupt_into_non_finite_weights_fails_the_fit(data, monkeypatch):
    X, y = data
    _interrupt_at_step(monkeypatch, 2 * STEPS_PER_EPOCH + 1, corrupt=True)
    clf = _mlp()
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_")


def test_interrupt_ends_the_restarts_and_keeps_the_best_finished_one(data, monkeypatch):
    """n_init=3, interrupted inside the second restart's first epoch: that
    restart learned nothing, the third never starts (no step after the
    interrupt), and the model is the first restart's three epochs."""
    X, y = data
    interrupt_at = 3 * STEPS_PER_EPOCH + 2
    calls = _interrupt_at_step(monkeypatch, interrupt_at)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = _mlp(n_init=3, max_iter=3).fit(X, y)
    # Interrupted, so no "maximum iterations reached" warning, as in scikit-learn.
    assert [str(w.message) for w in caught] == ["Training interrupted by user."]
    assert calls["n"] == interrupt_at
    assert clf.n_iter_ == 3
    assert len(clf.loss_curve_) == 3
    assert clf.loss_ == clf.loss_curve_[-1]


def test_interrupted_partial_fit_keeps_the_model(monkeypatch):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 4)), rng.normal(size=200)
    reg = _mlp(MLPRegressor)
    reg.partial_fit(X, y)
    _interrupt_at_step(monkeypatch, 2)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        reg.partial_fit(X, y)
    # The interrupted call finished no epoch: one epoch on record, weights kept.
    assert len(reg.loss_curve_) == 1
    assert np.isfinite(reg.predict(X)).all()
