"""Activations: values against reference formulas, gradients by finite differences."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import erf, expit

from skdeep import nn
from skdeep.nn import activations

ALL_NAMES = sorted(set(activations.ACTIVATIONS))
RECTIFIERS = {
    "relu",
    "leaky_relu",
    "prelu",
    "elu",
    "gelu",
    "swish",
    "silu",
    "mish",
    "softplus",
}


def _reference(name, z):
    """Each activation written the naive way, valid for moderate z."""
    sp = np.log1p(np.exp(z))
    return {
        "identity": z,
        "linear": z,
        "sigmoid": expit(z),
        "logistic": expit(z),
        "tanh": np.tanh(z),
        "relu": np.where(z > 0, z, 0.0),
        "leaky_relu": np.where(z > 0, z, 0.01 * z),
        "prelu": np.where(z > 0, z, 0.25 * z),
        "elu": np.where(z > 0, z, np.exp(z) - 1.0),
        "gelu": z * 0.5 * (1.0 + erf(z / np.sqrt(2.0))),
        "swish": z / (1.0 + np.exp(-z)),
        "silu": z / (1.0 + np.exp(-z)),
        "mish": z * np.tanh(sp),
        "softplus": sp,
    }[name]


def _layer(name, n_in, rng, dtype=np.float64, **kwargs):
    layer = nn.Activation(name, **kwargs)
    layer.build(n_in, rng, dtype)
    return layer


@pytest.mark.parametrize("name", ALL_NAMES)
def test_activation_value_matches_reference_formula(name, rng):
    z = rng.normal(scale=3.0, size=(50, 4))
    assert_allclose(
        _layer(name, 4, rng).forward(z), _reference(name, z), rtol=1e-12, atol=1e-14
    )


@pytest.mark.parametrize("name", ALL_NAMES)
def test_activation_passes_gradient_check(name, rng):
    net = nn.Sequential([nn.Activation(name)])
    net.build(5, rng, np.float64)
    X = rng.normal(scale=2.0, size=(7, 5))
    y = rng.normal(size=(7, 5))
    assert nn.check_gradients(net, nn.losses.get("squared_error"), X, y) < 1e-7


def test_prelu_slope_gradient_passes_gradient_check(rng):
    net = nn.Sequential([nn.Dense(6), nn.Activation("prelu"), nn.Dense(2)])
    net.build(3, rng, np.float64)
    prelu_alpha = net.layers[1].params[0]
    prelu_alpha[:] = rng.uniform(0.05, 0.5, size=6)  # distinct slopes per unit
    X, y = rng.normal(size=(9, 3)), rng.normal(size=(9, 2))
    assert len(net.params) == 5  # W, b, alpha, W, b
    assert nn.check_gradients(net, nn.losses.get("squared_error"), X, y) < 1e-7


@pytest.mark.parametrize("name", ALL_NAMES)
def test_derivative_matches_central_difference_of_the_function(name, rng):
    f = activations.get(name)
    f.build(1, np.float64)
    z = rng.normal(scale=2.0, size=200)
    h = 1e-6
    numeric = (f(z + h) - f(z - h)) / (2 * h)
    assert_allclose(f.derivative(z, f(z)), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ALL_NAMES)
def test_extreme_inputs_give_finite_values_without_warnings(name, dtype, rng):
    layer = _layer(name, 3, rng, dtype)
    z = np.array([[-1e4, 0.0, 1e4]], dtype=dtype)
    # Underflow to 0 is harmless; overflow, invalid and divide are bugs.
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        out = layer.forward(z, training=True)
        grad = layer.backward(np.ones_like(z))
    assert np.isfinite(out).all() and np.isfinite(grad).all()


@pytest.mark.parametrize("name", ALL_NAMES)
def test_float32_in_gives_float32_out_and_gradients(name, rng):
    layer = _layer(name, 4, rng, np.float32)
    z = rng.normal(size=(6, 4)).astype(np.float32)
    assert layer.forward(z, training=True).dtype == np.float32
    assert layer.backward(np.ones_like(z)).dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads)


def test_saturated_sigmoid_is_exact_at_extremes():
    f = activations.get("sigmoid")
    assert_allclose(f(np.array([-1e4, 1e4])), [0.0, 1.0])


@pytest.mark.parametrize(
    ("alias", "name"),
    [("logistic", "sigmoid"), ("silu", "swish"), ("linear", "identity")],
)
def test_aliases_are_the_same_function(alias, name):
    assert type(activations.get(alias)) is type(activations.get(name))


def test_leaky_relu_and_elu_take_their_alpha(rng):
    z = np.array([[-2.0, 3.0]])
    assert_allclose(_layer("leaky_relu", 2, rng, alpha=0.1).forward(z), [[-0.2, 3.0]])
    assert_allclose(
        _layer("elu", 2, rng, alpha=2.0).forward(z), [[2.0 * np.expm1(-2.0), 3.0]]
    )


@pytest.mark.parametrize("name", ALL_NAMES)
def test_rectifier_flag_marks_the_relu_family(name):
    assert activations.get(name).rectifier == (name in RECTIFIERS)


def test_unknown_activation_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"Unknown activation 'relu6'.*'gelu'.*'tanh'"):
        nn.Activation("relu6")
