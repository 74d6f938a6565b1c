"""The stochastic fit: optimizers from the core registry, continued runs on copies.

A warm start or ``partial_fit`` trains copies of the fitted network, optimizer
and history, so a call that fails part-way leaves exactly the previous model.
"""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from skdeep import MLPClassifier, MLPRegressor, nn


@pytest.fixture
def data():
    return make_classification(
        n_samples=120, n_features=5, n_informative=4, n_redundant=0, n_classes=3,
        random_state=0,
    )  # fmt: skip


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


# ------------------------------------------------------------ the registries
@pytest.mark.parametrize("activation", sorted(nn.activations.ACTIVATIONS))
def test_every_registered_activation_is_an_option(data, activation):
    X, y = data
    clf = _fit(MLPClassifier((4,), activation=activation, max_iter=2), X, y)
    hidden = [ly for ly in clf.network_.layers if isinstance(ly, nn.Activation)]
    assert [layer.name for layer in hidden] == [activation]


@pytest.mark.parametrize("solver", sorted(nn.optimizers.OPTIMIZERS))
def test_every_registered_optimizer_is_a_stochastic_solver(data, solver):
    X, y = data
    clf = _fit(MLPClassifier((4,), solver=solver, max_iter=2), X, y)
    assert type(clf._optimizer) is nn.optimizers.OPTIMIZERS[solver]
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 3


def test_solver_options_go_to_the_optimizers_that_take_them(data):
    X, y = data
    kw = dict(max_iter=1, momentum=0.5, beta_1=0.8, beta_2=0.95, epsilon=1e-6)
    sgd = _fit(MLPClassifier((4,), solver="sgd", **kw), X, y)._optimizer
    assert (sgd.momentum, sgd.nesterov) == (0.5, True)
    adam = _fit(MLPClassifier((4,), solver="adam", **kw), X, y)._optimizer
    assert (adam.beta_1, adam.beta_2, adam.epsilon) == (0.8, 0.95, 1e-6)
    # momentum is scikit-learn's option of 'sgd': RMSProp keeps its own default.
    rmsprop = _fit(MLPClassifier((4,), solver="rmsprop", **kw), X, y)._optimizer
    assert (rmsprop.momentum, rmsprop.epsilon) == (0.0, 1e-6)


# ------------------------------------------------- a failed call changes nothing
def _frozen(estimator, X):
    """The attributes (by identity), everything inside them, and the predictions."""
    # Predicting first: a forward pass leaves its input in the layers' caches.
    proba = estimator.predict_proba(X)
    return dict(vars(estimator)), pickle.dumps(estimator), proba


def _assert_unchanged(estimator, X, before):
    attributes, pickled, proba = before
    assert vars(estimator).keys() == attributes.keys()
    for name, value in attributes.items():
        assert vars(estimator)[name] is value, name
    # Optimizer moments, dropout generators, history: not touched either.
    assert pickle.dumps(estimator) == pickled
    assert_array_equal(estimator.predict_proba(X), proba)


def _fitted(X, y, **kwargs):
    params = dict(
        hidden_layer_sizes=(8,), solver="adam", learning_rate="cosine", dropout=0.2,
        normalization="batch", max_iter=5, random_state=0,
    )  # fmt: skip
    return _fit(MLPClassifier(**{**params, **kwargs}), X, y)


def _fail_at_step(monkeypatch, step):
    """The ``step``-th optimizer update from now (counted from 1) raises, after
    it changed the weights."""
    real_step, calls = nn.optimizers.Optimizer.step, {"n": 0}

    def failing(self, *args, **kwargs):
        real_step(self, *args, **kwargs)
        calls["n"] += 1
        if calls["n"] == step:
            raise RuntimeError("the step failed")

    monkeypatch.setattr(nn.optimizers.Optimizer, "step", failing)


@pytest.mark.parametrize("call", ["partial_fit", "warm_start"])
def test_a_call_that_fails_part_way_through_training_changes_nothing(
    data, monkeypatch, call
):
    X, y = data
    clf = _fitted(X, y, warm_start=call == "warm_start")
    before = _frozen(clf, X)
    _fail_at_step(monkeypatch, 1)
    with pytest.raises(RuntimeError, match="the step failed"):
        getattr(clf, "fit" if call == "warm_start" else call)(X, y)
    _assert_unchanged(clf, X, before)


@pytest.mark.parametrize("call", ["partial_fit", "warm_start"])
def test_a_call_that_diverges_changes_nothing(data, call):
    X, y = data
    clf = _fitted(
        X, y, solver="sgd", normalization=None, warm_start=call == "warm_start"
    )
    before = _frozen(clf, X)
    with pytest.raises(nn.TrainingDivergedError, match="learning_rate_init"):
        getattr(clf, "fit" if call == "warm_start" else call)(X * 1e50, y)
    _assert_unchanged(clf, X, before)


# ------------------------------------------- divergence is judged per call
def _streamed(Estimator, X, y, **kwargs):
    """60 partial_fit batches of 50 rows."""
    est = Estimator(
        hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0, **kwargs
    )
    extra = {"classes": np.unique(y)} if Estimator is MLPClassifier else {}
    for start in range(0, 3000, 50):
        est.partial_fit(X[start : start + 50], y[start : start + 50], **extra)
    return est


@pytest.fixture
def stream():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3200, 5))
    return X, X[:, 0] + X[:, 1]


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_a_batch_with_noisy_labels_after_60_batches_trains_normally(stream, solver):
    X, target = stream
    y = (target > 0).astype(int)
    clf = _streamed(MLPClassifier, X, y, solver=solver)
    coefs = [w.copy() for w in clf.coefs_]
    noisy = np.random.default_rng(1).permutation(y[3000:])
    clf.partial_fit(X[3000:], noisy)  # its loss is far above the stream's best
    assert clf.loss_ > 3 * clf.best_loss_
    assert len(clf.loss_curve_) == 61
    assert not all(np.array_equal(a, b) for a, b in zip(coefs, clf.coefs_, strict=True))


def test_a_batch_with_shifted_targets_trains_normally(stream):
    X, y = stream
    reg = _streamed(MLPRegressor, X, y)
    reg.partial_fit(X[3000:], y[3000:] + 10.0)  # drift: the targets moved
    assert reg.loss_ > 10 * reg.best_loss_
    assert len(reg.loss_curve_) == 61


def test_a_warm_start_on_drifted_data_is_judged_on_its_own_epochs(stream):
    X, y = stream
    reg = _streamed(MLPRegressor, X, y, warm_start=True, max_iter=5)
    _fit(reg, X[3000:], y[3000:] + 10.0)
    assert reg.loss_curve_[60] > 10 * min(reg.loss_curve_[:60])
    assert len(reg.loss_curve_) == 65


@pytest.mark.parametrize("call", ["partial_fit", "warm_start"])
def test_a_call_with_a_huge_learning_rate_still_diverges_and_changes_nothing(
    stream, call
):
    X, target = stream
    y = (target > 0).astype(int)
    clf = _streamed(MLPClassifier, X, y, solver="sgd", warm_start=call == "warm_start")
    before = _frozen(clf, X)
    if call == "warm_start":  # a warm start makes a new optimizer at this rate
        clf.set_params(learning_rate_init=1e6)
        with pytest.raises(nn.TrainingDivergedError, match="learning_rate_init"):
            clf.fit(X[3000:], y[3000:])
        clf.set_params(learning_rate_init=0.01)
    else:  # partial_fit continues its optimizer: unscaled rows blow up its steps
        with pytest.raises(nn.TrainingDivergedError, match="learning_rate_init"):
            clf.partial_fit(X[3000:] * 1e100, y[3000:])
    _assert_unchanged(clf, X, before)


def test_a_warm_start_refused_after_validation_changes_nothing(data):
    X, y = data
    clf = _fitted(X, y, warm_start=True)
    before = _frozen(clf, X)
    # Valid data, but two copies of one row per class leave early stopping
    # nothing to hold out (copies never straddle the split).
    rows = [int(np.flatnonzero(y == label)[0]) for label in (0, 1, 2)] * 2
    clf.set_params(early_stopping=True)
    with pytest.raises(ValueError, match="early_stopping needs a validation set"):
        clf.fit(X[rows], y[rows])
    clf.set_params(early_stopping=False)
    _assert_unchanged(clf, X, before)


def test_a_failed_lbfgs_warm_start_changes_nothing(data, monkeypatch):
    X, y = data
    reg = _fit(MLPRegressor(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=5,
                            normalization="batch", warm_start=True,
                            random_state=0), X, y.astype(float))  # fmt: skip
    prediction = reg.predict(X)
    attributes, pickled = dict(vars(reg)), pickle.dumps(reg)
    import skdeep.neural_network._base as base

    def failing_refresh(network, X, sample_weight):
        raise RuntimeError("refresh failed")  # after L-BFGS changed the weights

    monkeypatch.setattr(base, "refresh_running_statistics", failing_refresh)
    with pytest.raises(RuntimeError, match="refresh failed"):
        reg.fit(X, y.astype(float))
    assert all(vars(reg)[name] is value for name, value in attributes.items())
    assert pickle.dumps(reg) == pickled
    assert_array_equal(reg.predict(X), prediction)
