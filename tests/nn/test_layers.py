"""Layers: gradient checks, forward semantics, regularization and dtypes."""

import io
from copy import deepcopy

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skdeep import nn
from skdeep.nn.layers import NotBuiltError

SQUARED = nn.losses.get("squared_error")


def _built(layer, n_in, rng, dtype=np.float64):
    layer.build(n_in, rng, dtype)
    return layer


def _gradcheck(layers, rng, n_in=4, n_out=3, n=10, training=True, order="C"):
    net = nn.Sequential(layers)
    net.build(n_in, rng, np.float64)
    X = np.asarray(rng.normal(size=(n, n_in)), order=order)
    y = rng.normal(size=(n, n_out))
    return nn.check_gradients(net, SQUARED, X, y, training=training)


def test_dense_passes_gradient_check(rng):
    assert _gradcheck([nn.Dense(3)], rng) < 1e-7


@pytest.mark.parametrize(("l1", "l2"), [(0.3, 0.7), (0.0, 0.7), (0.3, 0.0)])
@pytest.mark.parametrize("order", ["C", "F"])
def test_dense_with_l1_and_l2_passes_gradient_check(rng, l1, l2, order):
    """The penalty gradients come from backward alone, with either term or
    both, whatever the input's memory layout."""
    layers = [nn.Dense(6, l1=l1, l2=l2), nn.Activation("tanh"), nn.Dense(3, l2=l2)]
    assert _gradcheck(layers, rng, order=order) < 1e-7


def test_batchnorm_in_training_mode_passes_gradient_check(rng):
    assert _gradcheck([nn.Dense(3), nn.BatchNorm()], rng) < 1e-7


def test_batchnorm_in_prediction_mode_passes_gradient_check(rng):
    net = nn.Sequential([nn.Dense(3), nn.BatchNorm()])
    net.build(4, rng, np.float64)
    bn = net.layers[1]
    bn.running_mean[:] = rng.normal(size=3)
    bn.running_var[:] = rng.uniform(0.5, 2.0, size=3)
    X, y = rng.normal(size=(10, 4)), rng.normal(size=(10, 3))
    assert nn.check_gradients(net, SQUARED, X, y, training=False) < 1e-7


def test_layernorm_passes_gradient_check(rng):
    assert _gradcheck([nn.Dense(5), nn.LayerNorm(), nn.Dense(3)], rng) < 1e-7


def test_dropout_with_a_fixed_mask_passes_gradient_check(rng):
    assert _gradcheck([nn.Dense(6), nn.Dropout(0.5), nn.Dense(3)], rng) < 1e-7


def test_whole_network_passes_gradient_check(rng):
    layers = [
        nn.Dense(8, l2=0.1),
        nn.BatchNorm(),
        nn.Activation("tanh"),
        nn.LayerNorm(),
        nn.Dropout(0.3),
        nn.Dense(3, l1=0.05),
    ]
    assert _gradcheck(layers, rng, n_in=5) < 1e-7


def test_batchnorm_gamma_and_beta_gradients_pass_gradient_check(rng):
    net = nn.Sequential([nn.Dense(3), nn.BatchNorm(), nn.Activation("sigmoid")])
    net.build(4, rng, np.float64)
    gamma, beta = net.layers[1].params
    gamma[:] = rng.uniform(0.5, 2, size=3)  # away from the initial 1 and 0
    beta[:] = rng.normal(size=3)
    X, y = rng.normal(size=(10, 4)), rng.normal(size=(10, 3))
    assert nn.check_gradients(net, SQUARED, X, y) < 1e-7


def test_dense_forward_is_affine(rng):
    layer = _built(nn.Dense(3), 4, rng)
    X = rng.normal(size=(5, 4))
    assert_allclose(layer.forward(X), X @ layer.W + layer.b)


def test_dense_backward_without_input_grad_still_fills_grads(rng):
    layer = _built(nn.Dense(3), 4, rng)
    X, dY = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    layer.forward(X, training=True)
    assert layer.backward(dY, input_grad=False) is None
    assert_allclose(layer.dW, X.T @ dY)
    assert_allclose(layer.db, dY.sum(axis=0))


@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("input_layout", ["C", "F"])
@pytest.mark.parametrize(("l1", "l2"), [(0.0, 0.7), (0.3, 0.7), (0.3, 0.0)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_penalty_gradients_of_a_large_kernel_follow_the_formula(
    rng, layout, input_layout, l1, l2, dtype
):
    """∂L/∂W = Xᵀ dY + l2·W + l1·sign(W) also for a kernel of several blocks
    (the penalty terms are added block by block), an F-ordered kernel or input,
    with L2, L1 or both, in both precisions."""
    layer = _built(nn.Dense(300, l1=l1, l2=l2), 250, rng, dtype)  # 75 000 weights
    layer.W = np.asarray(layer.W, order=layout)
    layer.dW = np.asarray(layer.dW, order=layout)
    X = np.asarray(rng.normal(size=(5, 250)), dtype=dtype, order=input_layout)
    dY = rng.normal(size=(5, 300)).astype(dtype)
    layer.forward(X, training=True)
    layer.backward(dY, input_grad=False)
    X64, dY64, W64 = (a.astype(np.float64) for a in (X, dY, layer.W))
    expected = X64.T @ dY64 + l2 * W64 + l1 * np.sign(W64)
    assert layer.dW.dtype == dtype
    # Rounding bound of a sum of n + 2 terms in this precision, element by
    # element: (n + 2)·ε·Σ|term| (a relative tolerance fails where terms cancel).
    scale = np.abs(X64).T @ np.abs(dY64) + l2 * np.abs(W64) + l1
    bound = (X.shape[0] + 2) * np.finfo(dtype).eps * scale
    assert np.all(np.abs(layer.dW - expected) <= bound)


def test_dense_penalty_is_l1_norm_plus_half_l2_squared(rng):
    layer = _built(nn.Dense(3, l1=0.2, l2=0.6), 4, rng)
    expected = 0.2 * np.abs(layer.W).sum() + 0.5 * 0.6 * (layer.W**2).sum()
    assert_allclose(layer.penalty(), expected)


def test_bias_is_not_penalised(rng):
    layer = _built(nn.Dense(3, l1=1.0, l2=1.0), 4, rng)
    before = layer.penalty()
    layer.b[:] = 100.0
    assert layer.penalty() == before


def test_max_norm_rescales_only_columns_that_are_too_long(rng):
    layer = _built(nn.Dense(4, max_norm=1.0), 3, rng)
    layer.W[:] = [[3.0, 0.1, 0.0, 2.0], [4.0, 0.2, 0.5, 0.0], [0.0, 0.2, 0.0, 0.0]]
    layer.apply_constraints()
    assert_allclose(np.linalg.norm(layer.W, axis=0), [1.0, 0.3, 0.5, 1.0])
    assert_allclose(layer.W[:, 0], [0.6, 0.8, 0.0])  # direction kept


def test_dropout_is_the_identity_at_prediction_time(rng):
    layer = _built(nn.Dropout(0.7), 4, rng)
    X = rng.normal(size=(6, 4))
    assert layer.forward(X, training=False) is X


def test_dropout_drops_at_the_rate_and_rescales_the_rest(rng):
    layer = _built(nn.Dropout(0.3), 50, rng)
    Y = layer.forward(np.ones((2000, 50)), training=True)
    assert set(np.unique(Y)) == {0.0, 1.0 / 0.7}
    assert abs((Y == 0).mean() - 0.3) < 0.01  # 100k draws: σ ≈ 0.0015
    assert abs(Y.mean() - 1.0) < 0.02  # inverted dropout keeps the expectation


def test_dropout_backward_uses_the_forward_mask(rng):
    layer = _built(nn.Dropout(0.5), 8, rng)
    Y = layer.forward(np.ones((4, 8)), training=True)
    assert_array_equal(layer.backward(np.ones((4, 8))), Y)


def test_dropout_masks_repeat_with_the_same_seed():
    masks = []
    for _ in range(2):
        layer = _built(nn.Dropout(0.5), 8, np.random.default_rng(3))
        masks.append(layer.forward(np.ones((4, 8)), training=True))
    assert_array_equal(*masks)


def test_batchnorm_training_output_is_standardised_per_feature(rng):
    layer = _built(nn.BatchNorm(), 3, rng)
    X = rng.normal(loc=5.0, scale=[1.0, 10.0, 0.1], size=(500, 3))
    Y = layer.forward(X, training=True)
    assert_allclose(Y.mean(axis=0), 0.0, atol=1e-12)
    assert_allclose(Y.var(axis=0), X.var(axis=0) / (X.var(axis=0) + 1e-5))


def test_batchnorm_running_statistics_follow_the_momentum_rule(rng):
    layer = _built(nn.BatchNorm(momentum=0.8), 2, rng)
    X1, X2 = rng.normal(size=(20, 2)), rng.normal(loc=3.0, size=(20, 2))
    layer.forward(X1, training=True)
    layer.forward(X2, training=True)
    mean = 0.8 * (0.8 * 0.0 + 0.2 * X1.mean(0)) + 0.2 * X2.mean(0)
    var = 0.8 * (0.8 * 1.0 + 0.2 * X1.var(0)) + 0.2 * X2.var(0)
    assert_allclose(layer.running_mean, mean)
    assert_allclose(layer.running_var, var)


def test_batchnorm_predictions_do_not_depend_on_the_other_rows(rng):
    layer = _built(nn.BatchNorm(), 3, rng)
    for _ in range(5):
        layer.forward(rng.normal(loc=2.0, size=(32, 3)), training=True)
    X = rng.normal(size=(10, 3))
    whole = layer.forward(X, training=False)
    one_by_one = np.vstack(
        [layer.forward(X[i : i + 1], training=False) for i in range(10)]
    )
    assert_allclose(whole, one_by_one)
    expected = (X - layer.running_mean) / np.sqrt(layer.running_var + 1e-5)
    assert_allclose(whole, expected)


def test_prediction_mode_leaves_running_statistics_alone(rng):
    layer = _built(nn.BatchNorm(), 3, rng)
    layer.forward(rng.normal(size=(8, 3)), training=True)
    before = [s.copy() for s in layer.state]
    layer.forward(rng.normal(size=(8, 3)), training=False)
    for now, then in zip(layer.state, before, strict=True):
        assert_array_equal(now, then)


def test_layernorm_standardises_each_row(rng):
    layer = _built(nn.LayerNorm(), 6, rng)
    X = rng.normal(loc=4.0, scale=3.0, size=(5, 6))
    Y = layer.forward(X)
    assert_allclose(Y.mean(axis=1), 0.0, atol=1e-12)
    assert_allclose(Y.var(axis=1), X.var(1) / (X.var(1) + 1e-5))


@pytest.mark.parametrize(
    "make_layer",
    [
        lambda: nn.Dense(3),
        lambda: nn.BatchNorm(),
        lambda: nn.LayerNorm(),
        lambda: nn.Dropout(0.2),
        lambda: nn.Activation("prelu"),
    ],
)
def test_float32_layers_compute_in_float32(make_layer, rng):
    layer = _built(make_layer(), 4, rng, np.float32)
    X = rng.normal(size=(6, 4)).astype(np.float32)
    Y = layer.forward(X, training=True)
    dX = layer.backward(np.ones_like(Y))
    assert Y.dtype == dX.dtype == np.float32
    assert all(a.dtype == np.float32 for a in layer.params + layer.grads + layer.state)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: nn.Dense(0), "positive integer"),
        (lambda: nn.Dense(3, init="orthogonal"), "Unknown initializer 'orthogonal'"),
        (lambda: nn.Dense(3, l2=-1.0), "l1 and l2"),
        (lambda: nn.Dense(3, max_norm=0.0), "max_norm"),
        (lambda: nn.Dropout(1.0), r"\[0, 1\)"),
        (lambda: nn.BatchNorm(momentum=1.0), "momentum"),
        (lambda: nn.LayerNorm(epsilon=0.0), "epsilon"),
    ],
)
def test_invalid_layer_options_are_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_layer_repr_shows_its_options():
    assert (
        repr(nn.Dense(4, l2=0.1))
        == "Dense(n_out=4, init='auto', bias_init='zeros', l1=0.0, l2=0.1, "
        "max_norm=None)"
    )
    assert (
        repr(nn.Activation("leaky_relu", alpha=0.2))
        == "Activation('leaky_relu', alpha=0.2)"
    )


def test_weighted_batchnorm_passes_gradient_check(rng):
    net = nn.Sequential(
        [nn.Dense(5), nn.BatchNorm(), nn.Activation("tanh"), nn.Dense(2)]
    )
    net.build(3, rng, np.float64)
    X, y = rng.normal(size=(12, 3)), rng.normal(size=(12, 2))
    weights = rng.uniform(0.0, 3.0, size=12)
    assert nn.check_gradients(net, SQUARED, X, y, sample_weight=weights) < 1e-7


def test_batchnorm_weights_mean_repetition(rng):
    X = rng.normal(size=(8, 3))
    counts = np.array([0, 1, 2, 3, 1, 0, 2, 1])
    weighted = _built(nn.BatchNorm(), 3, rng)
    repeated = _built(nn.BatchNorm(), 3, rng)
    out_w = weighted.forward(X, training=True, rows=nn.rows.Rows(weights=counts * 1.0))
    out_r = repeated.forward(np.repeat(X, counts, axis=0), training=True)
    assert_allclose(np.repeat(out_w, counts, axis=0), out_r, rtol=1e-12, atol=1e-12)
    assert_allclose(weighted.running_var, repeated.running_var, rtol=1e-12)


def test_dropout_masks_follow_row_keys(rng):
    X = np.ones((6, 400))
    keys = np.array([7, 8, 7, 9, 8, 7], dtype=np.uint64)
    layer = _built(nn.Dropout(0.5), 400, np.random.default_rng(0))
    out = layer.forward(X, training=True, rows=nn.rows.Rows(keys=keys))
    assert_array_equal(out[0], out[2])
    assert_array_equal(out[0], out[5])
    assert_array_equal(out[1], out[4])
    assert not np.array_equal(out[0], out[1])
    again = layer.forward(X, training=True, rows=nn.rows.Rows(keys=keys))
    assert not np.array_equal(out, again)  # a new draw per call


# Every layer type, unbuilt; the tests below build them on 4 inputs.
EVERY_LAYER = [
    pytest.param(lambda: nn.Layer(), id="Layer"),
    pytest.param(lambda: nn.Dense(3, l1=0.1, l2=0.2), id="Dense"),
    pytest.param(lambda: nn.Activation("tanh"), id="Activation"),
    pytest.param(lambda: nn.Activation("prelu"), id="Activation-prelu"),
    pytest.param(lambda: nn.Dropout(0.3), id="Dropout"),
    pytest.param(lambda: nn.BatchNorm(), id="BatchNorm"),
    pytest.param(lambda: nn.LayerNorm(), id="LayerNorm"),
    pytest.param(lambda: nn.Sequential([nn.Dense(5), nn.Dense(2)]), id="Sequential"),
]


@pytest.mark.parametrize("make_layer", EVERY_LAYER)
@pytest.mark.parametrize("weighted", [False, True])
def test_a_training_step_adds_exactly_the_declared_caches(make_layer, weighted, rng):
    """What a training-mode forward and backward add to a built layer is what
    its class declares as caches (which pickles and saved files leave out);
    its scratch buffers exist from ``build`` on."""
    layer = _built(make_layer(), 4, rng)
    built = set(vars(layer))
    weights = rng.uniform(0.5, 2.0, size=6) if weighted else None
    rows = nn.rows.Rows(weights=weights)
    Y = layer.forward(rng.normal(size=(6, 4)), training=True, rows=rows)
    layer.backward(np.ones_like(Y))
    caches, scratch = type(layer).transient_attributes()
    assert set(vars(layer)) - built == caches
    assert scratch <= built


def test_transient_declarations_add_up_along_the_bases():
    """A subclass names only its own transient attributes and keeps its bases'."""

    class Scaled(nn.Dense):
        cache_attributes = ("_scaled",)

    class Plain(nn.Dense):
        pass

    dense = (frozenset({"_X"}), frozenset({"_scratch"}))
    assert nn.Dense.transient_attributes() == dense
    assert Plain.transient_attributes() == dense
    assert Scaled.transient_attributes() == ({"_X", "_scaled"}, {"_scratch"})
    assert nn.BatchNorm.transient_attributes()[0] == {
        "_X_hat", "_training", "_weights", "_inv_std"
    }  # fmt: skip
    assert nn.Layer.transient_attributes() == (frozenset(), frozenset())


def test_a_copy_leaves_out_what_a_subclass_declares(rng):
    class Scaled(nn.Dense):
        cache_attributes = ("_scaled",)

        def forward(self, X, training=False, rows=None):
            self._scaled = 2.0 * X
            return super().forward(self._scaled, training, rows)

    layer = _built(Scaled(3, l1=0.1), 4, rng)
    Y = layer.forward(rng.normal(size=(5, 4)), training=True)
    layer.backward(np.ones_like(Y))
    assert np.any(layer._scratch)  # the L1 term went through it
    copy = deepcopy(layer)
    assert not {"_scaled", "_X"} & vars(copy).keys()
    assert_array_equal(copy._scratch, np.zeros_like(layer._scratch))
    assert_array_equal(copy.W, layer.W)


def test_the_lists_are_read_off_the_attributes_they_name(rng):
    """``params``, ``grads`` and ``state`` hold no arrays of their own, so they
    cannot drift apart from the attributes that forward and backward use."""
    assert nn.Dense(3).params == []  # before build
    dense = _built(nn.Dense(3), 4, rng)
    dense.W = rng.normal(size=(4, 3))
    assert dense.params[0] is dense.W and dense.grads[1] is dense.db
    norm = _built(nn.BatchNorm(), 4, rng)
    norm.running_var = np.full(4, 2.0)
    assert norm.state[1] is norm.running_var and norm.grads[0] is norm.dgamma
    prelu = _built(nn.Activation("prelu"), 4, rng)
    prelu.function.alpha = np.zeros(4)
    assert prelu.params[0] is prelu.function.alpha and prelu.grads[0] is prelu.dalpha


class _Scale(nn.Layer):
    """A layer written the way earlier versions documented: it assigns its lists."""

    cache_attributes = ("_X",)

    def build(self, n_in, rng, dtype=np.float64):
        self.s = rng.uniform(0.5, 2.0, size=n_in).astype(dtype)
        self.params = [self.s]
        self.grads = [np.zeros_like(self.s)]
        return n_in

    def forward(self, X, training=False, rows=None):
        self._X = X
        return X * self.s

    def backward(self, dY, input_grad=True):
        self.grads[0][...] = np.einsum("ij,ij->j", dY, self._X)
        return dY * self.s if input_grad else None


def test_assigned_lists_become_names_so_a_joblib_copy_trains_what_it_predicts_with(
    rng,
):
    layer = _built(_Scale(), 4, rng)
    assert layer.param_attributes == ("s",)  # the attribute holding the array
    assert layer.grads[0] is layer._grads_0  # an array no attribute held
    buffer = io.BytesIO()
    joblib.dump(layer, buffer)
    buffer.seek(0)
    copy = joblib.load(buffer)
    X = rng.normal(size=(5, 4))
    before = copy.forward(X)
    copy.backward(np.ones_like(before))
    nn.optimizers.get("sgd", learning_rate=0.1).step(copy.params, copy.grads)
    assert_allclose(copy.s, layer.s - 0.1 * X.sum(axis=0))
    assert_allclose(copy.forward(X), X * copy.s)


@pytest.mark.parametrize(
    "network, name",
    [
        (nn.Dense(3), "'W'"),
        (nn.Sequential([nn.Activation("relu"), nn.Dense(3)]), "Dense has no 'W'"),
        (nn.BatchNorm(), "'running_mean'"),
        (nn.LayerNorm(), "'gamma'"),
        (nn.Dropout(0.5), "'rng'"),
    ],
)
def test_forward_before_build_says_to_build_first(network, name):
    with pytest.raises(NotBuiltError, match=f"{name} yet: call build"):
        network.forward(np.ones((2, 3)), training=True)
    assert not hasattr(network, "W")  # still an AttributeError for hasattr


def test_a_missing_attribute_that_build_does_not_set_is_a_plain_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nothing'") as raised:
        _ = nn.Dense(3).nothing
    assert not isinstance(raised.value, NotBuiltError)


def test_pickles_naming_the_normalization_layers_in_layers_still_resolve():
    # Pickles written before skdeep.nn.normalization existed name
    # skdeep.nn.layers.BatchNorm; unpickling looks the class up there.
    import pickle

    from skdeep.nn import layers

    assert layers.BatchNorm is nn.BatchNorm and layers.LayerNorm is nn.LayerNorm
    old = pickle.dumps(nn.BatchNorm(), protocol=0).replace(
        b"skdeep.nn.normalization", b"skdeep.nn.layers"
    )
    assert b"skdeep.nn.layers" in old
    assert type(pickle.loads(old)) is nn.BatchNorm


def test_batch_norm_sets_its_running_statistics_to_those_of_a_batch(rng):
    # What full-batch training asks of the layer, by a method of its own (no
    # momentum set to 0 from outside and back).
    layer = nn.BatchNorm(momentum=0.9)
    layer.build(3, rng, np.float64)
    X, weights = rng.normal(size=(20, 3)), rng.uniform(0.5, 2.0, size=20)
    layer.set_running_statistics(X, nn.rows.Rows(weights=weights))
    mean = np.average(X, axis=0, weights=weights)
    assert_allclose(layer.running_mean, mean)
    variance = np.average((X - mean) ** 2, axis=0, weights=weights)
    assert_allclose(layer.running_var, variance)
    assert layer.momentum == 0.9
    layer.set_running_statistics(X)
    assert_allclose(layer.running_var, X.var(axis=0))
