"""Sequential: parameter bookkeeping, weight snapshots and the input-gradient switch."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skdeep import nn


def _net(rng, dtype=np.float64):
    net = nn.Sequential(
        [nn.Dense(5), nn.BatchNorm(), nn.Activation("prelu"), nn.Dense(2)]
    )
    net.build(3, rng, dtype)
    return net


def test_params_and_grads_concatenate_the_layers_lists_in_order(rng):
    net = _net(rng)
    expected = [p for layer in net.layers for p in layer.params]
    assert len(net.params) == 7  # W, b, γ, β, α, W, b
    assert all(a is b for a, b in zip(net.params, expected, strict=True))
    assert [g.shape for g in net.grads] == [p.shape for p in net.params]
    assert net.state == [net.layers[1].running_mean, net.layers[1].running_var]


def test_forward_equals_the_layers_applied_in_turn(rng):
    net = _net(rng)
    X = rng.normal(size=(4, 3))
    out = X
    for layer in net.layers:
        out = layer.forward(out, training=False)
    assert_allclose(net.forward(X), out)


def test_backward_without_input_grad_returns_none_but_fills_all_grads(rng):
    net = _net(rng)
    Z = net.forward(rng.normal(size=(4, 3)), training=True)
    assert net.backward(np.ones_like(Z), input_grad=False) is None
    assert all(np.any(g != 0) for g in net.grads)


def test_get_and_set_weights_round_trip_parameters_and_running_statistics(rng):
    net = _net(rng)
    saved = net.get_weights()
    assert len(saved) == len(net.params) + len(net.state)
    for array in (*net.params, *net.state):
        array += 1.0
    net.set_weights(saved)
    for now, then in zip(net.get_weights(), saved, strict=True):
        assert_array_equal(now, then)


def test_set_weights_keeps_the_same_arrays_for_the_optimizer(rng):
    net = _net(rng)
    before = [id(p) for p in net.params]
    net.set_weights(net.get_weights())
    assert [id(p) for p in net.params] == before


def test_set_weights_with_the_wrong_count_is_a_clear_error(rng):
    with pytest.raises(ValueError, match="Expected 9 arrays"):
        _net(rng).set_weights([])


def test_same_seed_builds_identical_networks():
    a, b = _net(np.random.default_rng(1)), _net(np.random.default_rng(1))
    for pa, pb in zip(a.params, b.params, strict=True):
        assert_array_equal(pa, pb)


def test_sequential_refuses_things_that_are_not_layers():
    with pytest.raises(TypeError, match="Layer objects"):
        nn.Sequential([nn.Dense(2), "relu"])


@pytest.mark.parametrize(
    "tail",
    [[], [nn.Activation("identity")], [nn.Dropout(0.5)]],
    ids=["dense", "identity", "dropout"],
)
def test_outputs_of_successive_forward_calls_are_not_aliased(rng, tail):
    """Predicting in chunks keeps every chunk's output: no layer at the end of
    the network (nor the network) hands out a buffer that the next call reuses;
    a training step in between does not overwrite them either."""
    net = nn.Sequential([nn.Dense(8), nn.Activation("relu"), nn.Dense(3), *tail])
    net.build(4, rng, np.float32)
    X1, X2 = rng.normal(size=(2, 6, 4)).astype(np.float32)
    first = net.forward(X1, training=False)
    kept = first.copy()
    second = net.forward(X2, training=False)
    net.backward(np.ones_like(net.forward(X2, training=True)), input_grad=False)
    assert not np.shares_memory(first, second)
    assert_array_equal(first, kept)


def test_a_training_step_does_not_change_the_callers_arrays(rng):
    net = _net(rng)
    X, dY = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    X_copy, dY_copy = X.copy(), dY.copy()
    net.forward(X, training=True)
    net.backward(dY)
    assert_array_equal(X, X_copy)
    assert_array_equal(dY, dY_copy)
