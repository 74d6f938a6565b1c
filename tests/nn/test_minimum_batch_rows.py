"""Batch norm trains on two rows at least: one row has no variance.

A one-row training batch would standardise every value to 0 and pull the
running variance towards 0, so ``BatchNorm.forward`` refuses it and
:func:`skdeep.nn.train` joins a one-row last minibatch to the one before.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skdeep import nn

SQUARED = nn.losses.get("squared_error")


def _norm_net(rng, layers=None):
    net = nn.Sequential(layers or [nn.BatchNorm()])
    net.build(3, rng, np.float64)
    return net


def test_batch_norm_refuses_one_row_in_training(rng):
    layer = _norm_net(rng).layers[0]
    before = [a.copy() for a in layer.state]
    with pytest.raises(ValueError, match="more than 1 row per batch when training"):
        layer.forward(rng.normal(size=(1, 3)), training=True)
    for array, copy in zip(layer.state, before, strict=True):
        assert_array_equal(array, copy)  # refused before touching the statistics


def test_batch_norm_predicts_one_row(rng):
    layer = _norm_net(rng).layers[0]
    assert layer.forward(rng.normal(size=(1, 3)), training=False).shape == (1, 3)


def test_the_minimum_of_a_network_is_its_largest_layer_minimum():
    assert nn.Layer.min_training_rows == 1
    assert nn.BatchNorm.min_training_rows == 2
    assert nn.Sequential([nn.Dense(2), nn.LayerNorm()]).min_training_rows == 1
    assert nn.Sequential([nn.Dense(2), nn.BatchNorm()]).min_training_rows == 2
    assert nn.Sequential([]).min_training_rows == 1


@pytest.mark.parametrize("shuffle", [False, True])
def test_a_one_row_last_batch_joins_the_one_before(rng, shuffle, monkeypatch):
    """401 rows in batches of 200: two steps an epoch (200 and 201 rows), and
    the running statistics are the exact average of those two batches'.

    The layer is the network's first, so its input is the data whatever the
    steps do to γ and β: the running mean and variance follow from the batches."""
    X = rng.normal(size=(401, 3)) * [1.0, 2.0, 3.0] + [0.0, 1.0, -1.0]
    net = _norm_net(rng)
    seen = []
    real_forward = nn.BatchNorm.forward

    def recording(self, X_batch, training=False, rows=None, **kwargs):
        seen.append(X_batch.copy())
        return real_forward(self, X_batch, training, rows, **kwargs)

    monkeypatch.setattr(nn.BatchNorm, "forward", recording)
    history = nn.train(
        net, SQUARED, nn.optimizers.get("sgd"), X,
        np.zeros((401, 3)), rng=rng, epochs=2, batch_size=200, shuffle=shuffle,
        tol=None,
    )  # fmt: skip
    assert [len(batch) for batch in seen] == [200, 201, 200, 201]
    assert history.n_steps == 4 and history.n_samples_seen == 802
    for epoch in (seen[:2], seen[2:]):  # every row once an epoch
        rows = np.concatenate(epoch)
        assert_array_equal(rows[np.lexsort(rows.T)], X[np.lexsort(X.T)])
    mean, var = np.zeros(3), np.ones(3)
    for batch in seen:
        mean = 0.9 * mean + 0.1 * batch.mean(axis=0)
        var = 0.9 * var + 0.1 * batch.var(axis=0)
    layer = net.layers[0]
    assert_allclose(layer.running_mean, mean, rtol=1e-12)
    assert_allclose(layer.running_var, var, rtol=1e-12)


def test_batches_without_a_one_row_remainder_are_unchanged(rng):
    """Only a last batch smaller than the minimum moves: 402 rows keep a last
    batch of 2, and a network without batch norm keeps its 1-row batch."""
    n_rows = {}
    for n, layers in [(402, [nn.BatchNorm()]), (401, [nn.LayerNorm()])]:
        net = _norm_net(rng, layers)
        history = nn.train(
            net, SQUARED, nn.optimizers.get("sgd"), rng.normal(size=(n, 3)),
            np.zeros((n, 3)), rng=rng, epochs=1, batch_size=200, tol=None,
        )  # fmt: skip
        n_rows[n] = history.n_steps
    assert n_rows == {402: 3, 401: 3}


@pytest.mark.parametrize("batch_size, n", [(1, 50), (5, 1)])
def test_train_refuses_batches_smaller_than_the_network_minimum(rng, batch_size, n):
    net = _norm_net(rng)
    before = net.get_weights()
    with pytest.raises(ValueError, match="at least 2 rows per batch"):
        nn.train(
            net, SQUARED, nn.optimizers.get("sgd"), rng.normal(size=(n, 3)),
            np.zeros((n, 3)), rng=rng, epochs=1, batch_size=batch_size,
        )  # fmt: skip
    for array, copy in zip(net.get_weights(), before, strict=True):
        assert_array_equal(array, copy)
