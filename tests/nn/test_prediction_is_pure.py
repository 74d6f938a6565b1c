"""Prediction writes nothing on a layer: one fitted network serves many threads.

``forward(X, training=False)`` keeps its per-call values local; only training
(and a call with ``keep_for_backward=True``, for gradient checks of the
prediction function) caches what ``backward`` needs.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skdeep import nn

LAYERS = {
    "Layer": lambda: nn.Layer(),
    "Dense": lambda: nn.Dense(3),
    "Dense-regularised": lambda: nn.Dense(3, l1=0.1, l2=0.1, max_norm=1.0),
    "Dropout": lambda: nn.Dropout(0.5),
    "Dropout-0": lambda: nn.Dropout(0.0),
    "BatchNorm": lambda: nn.BatchNorm(),
    "LayerNorm": lambda: nn.LayerNorm(),
    **{
        f"Activation-{name}": (lambda name=name: nn.Activation(name))
        for name in nn.activations.ACTIVATIONS
    },
    "Sequential": lambda: nn.Sequential(
        [
            nn.Dense(5),
            nn.BatchNorm(),
            nn.Activation("prelu"),
            nn.LayerNorm(),
            nn.Dropout(0.3),
            nn.Dense(2),
        ]
    ),
}


def owners(layer, path="layer"):
    """The layer, its activation function and its sublayers, by path."""
    yield path, layer
    if hasattr(layer, "function"):
        yield f"{path}.function", layer.function
    for i, sublayer in enumerate(getattr(layer, "layers", [])):
        yield from owners(sublayer, f"{path}.layers[{i}]")


def snapshot(layer) -> dict:
    """Every attribute of every owner: the object, and a copy of an array's contents."""
    return {
        (path, name): (value, value.copy() if isinstance(value, np.ndarray) else None)
        for path, owner in owners(layer)
        for name, value in vars(owner).items()
    }


def assert_unchanged(before: dict, after: dict) -> None:
    assert before.keys() == after.keys()
    for key, (value, contents) in before.items():
        assert after[key][0] is value, f"{key} was rebound"
        if contents is not None:
            assert_array_equal(value, contents, err_msg=str(key))


def trained(make_layer, rng):
    """A built layer after one training step, so that its caches exist."""
    layer = make_layer()
    layer.build(4, rng, np.float64)
    Y = layer.forward(rng.normal(size=(6, 4)), training=True)
    layer.backward(np.ones_like(Y))
    return layer


@pytest.mark.parametrize("make_layer", LAYERS.values(), ids=LAYERS.keys())
def test_forward_in_prediction_mode_leaves_the_layer_unchanged(make_layer, rng):
    layer = trained(make_layer, rng)
    before = snapshot(layer)
    layer.forward(rng.normal(size=(9, 4)), training=False)
    assert_unchanged(before, snapshot(layer))


@pytest.mark.parametrize("make_layer", LAYERS.values(), ids=LAYERS.keys())
def test_forward_in_prediction_mode_on_a_fresh_layer_adds_nothing(make_layer, rng):
    layer = make_layer()
    layer.build(4, rng, np.float64)
    before = snapshot(layer)
    layer.forward(rng.normal(size=(9, 4)), training=False)
    assert_unchanged(before, snapshot(layer))


def test_keep_for_backward_lets_backward_follow_a_prediction(rng):
    """With the keyword, backward differentiates the prediction function:
    running statistics are constants, so ∂L/∂x = dY·γ/√(running var + ε)."""
    layer = trained(nn.BatchNorm, rng)
    X = rng.normal(size=(5, 4))
    Y = layer.forward(X, training=False, keep_for_backward=True)
    dX = layer.backward(np.ones_like(Y))
    expected = np.ones_like(X) * layer.gamma / np.sqrt(layer.running_var + 1e-5)
    np.testing.assert_allclose(dX, expected)


@pytest.mark.parametrize("make_layer", LAYERS.values(), ids=LAYERS.keys())
def test_keep_for_backward_holds_for_its_own_call_only(make_layer, rng):
    """A prediction after one that kept its values (here from another thread)
    writes nothing: no setting outlives the call that asked."""
    layer = trained(make_layer, rng)
    layer.forward(rng.normal(size=(5, 4)), training=False, keep_for_backward=True)
    before = snapshot(layer)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(layer.forward, rng.normal(size=(3, 4)), False).result()
    assert_unchanged(before, snapshot(layer))
    layer.forward(rng.normal(size=(3, 4)), training=False)
    assert_unchanged(before, snapshot(layer))


def test_a_layer_without_the_keyword_still_trains_and_predicts_in_a_network(rng):
    """Layers written for forward(X, training, rows) keep working: Sequential
    passes keep_for_backward only when it is asked for."""

    class Scale(nn.Layer):
        cache_attributes = ("_X",)

        def build(self, n_in, rng, dtype=np.float64):
            self.s = np.full(n_in, 2.0, dtype=dtype)
            self.ds = np.zeros_like(self.s)
            self.params, self.grads = [self.s], [self.ds]
            return n_in

        def forward(self, X, training=False, rows=None):
            if training:
                self._X = X
            return X * self.s

        def backward(self, dY, input_grad=True):
            self.ds[...] = np.einsum("ij,ij->j", dY, self._X)
            return dY * self.s if input_grad else None

    network = nn.Sequential([nn.Dense(3), Scale(), nn.Dense(2)])
    network.build(4, rng, np.float64)
    X, y = rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    loss = nn.losses.get("squared_error")
    assert nn.check_gradients(network, loss, X, y) < 1e-7
    Y = network.forward(X, training=True)
    network.backward(np.ones_like(Y))
    assert_array_equal(network.forward(X), Y)


def test_a_network_predicts_from_eight_threads_as_it_does_serially(rng):
    network = LAYERS["Sequential"]()
    network.build(4, rng, np.float64)
    for _ in range(3):  # running statistics away from their start
        network.forward(rng.normal(size=(16, 4)), training=True)
    inputs = [rng.normal(size=(20 + 13 * i, 4)) for i in range(64)]
    serial = [network.forward(X, training=False) for X in inputs]
    with ThreadPoolExecutor(8) as pool:
        threaded = list(pool.map(lambda X: network.forward(X, training=False), inputs))
    for expected, got in zip(serial, threaded, strict=True):
        assert_array_equal(got, expected)
