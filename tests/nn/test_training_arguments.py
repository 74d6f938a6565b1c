"""nn.train's loop arguments: refused clearly when wrong."""

import numpy as np
import pytest

from skdeep import nn

X = np.random.default_rng(0).normal(size=(10, 2))
Y = X[:, :1].copy()


def _train(**kwargs):
    network = nn.Sequential([nn.Dense(1)])
    network.build(2, np.random.default_rng(0), np.float64)
    loss = nn.losses.get("squared_error")
    optimizer = nn.optimizers.get("sgd", learning_rate=0.01)
    history = nn.train(network, loss, optimizer, X, Y, tol=None, **kwargs)
    return network, history


@pytest.mark.parametrize("batch_size", [0, -5, 2.5, True, "8"])
def test_batch_size_must_be_a_positive_int(batch_size):
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        _train(rng=np.random.default_rng(0), batch_size=batch_size)


@pytest.mark.parametrize("epochs", [-1, 2.0, None])
def test_epochs_must_be_a_non_negative_int(epochs):
    with pytest.raises(ValueError, match="epochs must be an int >= 0"):
        _train(rng=np.random.default_rng(0), epochs=epochs)


def test_zero_epochs_and_numpy_ints_are_accepted():
    _, history = _train(
        rng=np.random.default_rng(0), epochs=np.int64(0), batch_size=np.int32(3)
    )
    assert history.n_epochs == 0


@pytest.mark.parametrize("rng", [None, 0, np.random.RandomState(0)])
def test_rng_must_be_a_generator(rng):
    # The core draws only from a generator it is given: None (fresh entropy),
    # a seed or a legacy RandomState are refused with the way to make one.
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator"):
        _train(rng=rng, epochs=1)
