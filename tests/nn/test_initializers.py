"""Initializers: scales from their papers, dtypes, seeds, the "auto" rule."""

import math

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skdeep import nn
from skdeep.nn import initializers

FAN_IN, FAN_OUT = 400, 600
# (name, uniform limit or normal std) from Glorot & Bengio, He et al., LeCun et al.
SCALES = {
    "glorot_uniform": ("uniform", math.sqrt(6 / (FAN_IN + FAN_OUT))),
    "glorot_normal": ("normal", math.sqrt(2 / (FAN_IN + FAN_OUT))),
    "he_uniform": ("uniform", math.sqrt(6 / FAN_IN)),
    "he_normal": ("normal", math.sqrt(2 / FAN_IN)),
    "lecun_uniform": ("uniform", math.sqrt(3 / FAN_IN)),
    "lecun_normal": ("normal", math.sqrt(1 / FAN_IN)),
    # scikit-learn's _init_coef for activation="logistic".
    "sklearn_logistic_uniform": ("uniform", math.sqrt(2 / (FAN_IN + FAN_OUT))),
}


@pytest.mark.parametrize("name", sorted(SCALES))
def test_initializer_has_the_published_scale(name, rng):
    kind, scale = SCALES[name]
    W = initializers.get(name)((FAN_IN, FAN_OUT), rng, np.float64)
    assert abs(W.mean()) < 0.01 * scale
    if kind == "uniform":
        assert np.abs(W).max() <= scale
        assert abs(W.std() - scale / math.sqrt(3)) < 0.01 * scale  # U(-a, a): σ = a/√3
    else:
        assert abs(W.std() - scale) < 0.01 * scale  # 240k draws: relative σ ≈ 0.0015


@pytest.mark.parametrize("name", sorted(initializers.INITIALIZERS))
def test_initializer_returns_requested_shape_and_dtype(name, rng):
    W = initializers.get(name)((3, 5), rng, np.float32)
    assert W.shape == (3, 5) and W.dtype == np.float32


def test_same_seed_gives_the_same_weights():
    a = initializers.get("he_normal")((4, 4), np.random.default_rng(7), np.float64)
    b = initializers.get("he_normal")((4, 4), np.random.default_rng(7), np.float64)
    assert_array_equal(a, b)


def test_auto_picks_he_for_rectifiers_and_glorot_otherwise():
    assert initializers.get("auto", rectifier=True) is initializers.he_uniform
    assert initializers.get("auto", rectifier=False) is initializers.glorot_uniform


@pytest.mark.parametrize(
    ("activation", "limit"),
    [
        ("relu", math.sqrt(6 / 300)),
        ("gelu", math.sqrt(6 / 300)),
        ("tanh", math.sqrt(6 / 600)),
        ("sigmoid", math.sqrt(6 / 600)),
    ],
)
def test_sequential_resolves_auto_from_the_next_activation(activation, limit, rng):
    # BatchNorm between the Dense and its activation does not change the choice.
    net = nn.Sequential(
        [nn.Dense(300), nn.BatchNorm(), nn.Activation(activation), nn.Dense(1)]
    )
    net.build(300, rng, np.float64)
    W = net.layers[0].W
    assert np.abs(W).max() <= limit
    assert np.abs(W).max() > 0.99 * limit  # 90k draws reach the edge of U(-a, a)


def test_unknown_initializer_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"Unknown initializer 'ones'.*'he_normal'"):
        initializers.get("ones")


@pytest.mark.parametrize("name", sorted(SCALES))
def test_fans_give_a_bias_its_kernels_scale(name, rng):
    kind, scale = SCALES[name]
    b = initializers.get(name)(
        (FAN_IN * FAN_OUT,), rng, np.float64, fans=(FAN_IN, FAN_OUT)
    )
    spread = scale / math.sqrt(3) if kind == "uniform" else scale
    assert abs(b.std() - spread) < 0.01 * scale


def test_dense_biases_start_at_zero_unless_bias_init_says_otherwise(rng):
    plain = nn.Dense(300)
    plain.build(200, rng, np.float32)
    assert plain.b.dtype == np.float32 and not plain.b.any()
    drawn = nn.Dense(300, init="glorot_uniform", bias_init="glorot_uniform")
    drawn.build(200, rng, np.float32)
    limit = math.sqrt(6 / 500)  # the kernel's (200, 300), not the bias's shape
    assert drawn.b.dtype == np.float32
    assert 0.95 * limit < np.abs(drawn.b).max() <= limit


def test_dense_refuses_an_unknown_bias_initializer():
    with pytest.raises(ValueError, match=r"Unknown initializer 'ones'"):
        nn.Dense(3, bias_init="ones")
