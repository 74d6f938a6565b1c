"""check_gradients itself: it must catch wrong gradients and leave the network alone."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skdeep import nn


class _WrongDense(nn.Dense):
    """A Dense layer whose weight gradient is off by a factor, the classic bug."""

    def backward(self, dY, input_grad=True):
        dX = super().backward(dY, input_grad)
        self.dW *= 1.1
        return dX


class _ForgetsTheDerivative(nn.Activation):
    """tanh that passes the upstream gradient through unchanged."""

    def backward(self, dY, input_grad=True):
        return dY


def _objective(rng):
    X, y = rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    return nn.losses.get("squared_error"), X, y


@pytest.mark.parametrize(
    "layers",
    [
        [_WrongDense(2)],
        [nn.Dense(5), _ForgetsTheDerivative("tanh"), nn.Dense(2)],
    ],
)
def test_wrong_backward_is_detected(layers, rng):
    net = nn.Sequential(layers)
    net.build(4, rng, np.float64)
    assert nn.check_gradients(net, *_objective(rng)) > 1e-2


def test_wrong_input_gradient_is_detected_only_when_inputs_are_checked(rng):
    # The activation is the first layer: only ∂J/∂X can reveal its bug.
    net = nn.Sequential([_ForgetsTheDerivative("tanh"), nn.Dense(2)])
    net.build(4, rng, np.float64)
    assert nn.check_gradients(net, *_objective(rng)) > 1e-2


def test_correct_network_agrees_to_high_precision(rng):
    net = nn.Sequential([nn.Dense(5), nn.Activation("tanh"), nn.Dense(2)])
    net.build(4, rng, np.float64)
    assert nn.check_gradients(net, *_objective(rng)) < 1e-8


def test_gradient_check_leaves_weights_state_and_randomness_untouched(rng):
    net = nn.Sequential([nn.Dense(5), nn.BatchNorm(), nn.Dropout(0.5), nn.Dense(2)])
    net.build(4, rng, np.float64)
    objective = _objective(rng)
    weights = net.get_weights()
    rng_state = rng.bit_generator.state
    nn.check_gradients(net, *objective)
    for now, before in zip(net.get_weights(), weights, strict=True):
        assert_array_equal(now, before)
    assert net.layers[2].rng.bit_generator.state == rng_state


def test_float32_network_is_refused_with_a_reason(rng):
    net = nn.Sequential([nn.Dense(2)])
    net.build(4, rng, np.float32)
    with pytest.raises(ValueError, match="float64"):
        nn.check_gradients(net, *_objective(rng))
