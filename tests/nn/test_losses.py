"""Losses: values against references, gradients against finite differences."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import huber, softmax
from scipy.stats import entropy
from sklearn.metrics import (
    hinge_loss,
    log_loss,
    mean_absolute_error,
    mean_poisson_deviance,
    mean_squared_error,
)

from skdeep import nn
from skdeep.nn import losses

ALL_NAMES = sorted(losses.LOSSES)


def _targets(name, rng, n, k):
    """Targets in the encoding each loss expects."""
    if name in ("binary_cross_entropy",):
        return rng.integers(0, 2, size=(n, k)).astype(float)
    if name == "hinge":
        return (
            np.eye(k)[rng.integers(0, k, size=n)]
            if k > 1
            else rng.integers(0, 2, size=(n, 1)).astype(float)
        )
    if name in ("softmax_cross_entropy",):
        return np.eye(k)[rng.integers(0, k, size=n)]
    if name == "kl_divergence":
        return rng.dirichlet(np.ones(k), size=n)
    if name == "poisson":
        return rng.poisson(3.0, size=(n, k)).astype(float)
    return rng.normal(size=(n, k))


def _check(loss, y, z, sample_weight=None):
    """Gradient check of a loss alone: an empty network passes z through."""
    net = nn.Sequential([])
    net.build(z.shape[1], np.random.default_rng(0), np.float64)
    return nn.check_gradients(net, loss, z, y, sample_weight=sample_weight)


# A softmax over a single column is constant, so those losses need k > 1.
SHAPES = [
    (name, k)
    for name in ALL_NAMES
    for k in (1, 3)
    if k > 1 or name not in ("softmax_cross_entropy", "kl_divergence")
]


@pytest.mark.parametrize(("name", "k"), SHAPES)
def test_loss_gradient_passes_gradient_check(name, k, rng):
    z = rng.normal(scale=2.0, size=(8, k))
    y = _targets(name, rng, 8, k)
    assert _check(losses.get(name), y, z) < 1e-7


@pytest.mark.parametrize("name", ALL_NAMES)
def test_weighted_loss_gradient_passes_gradient_check(name, rng):
    z = rng.normal(scale=2.0, size=(8, 3))
    y = _targets(name, rng, 8, 3)
    w = rng.uniform(0.1, 3.0, size=8)
    assert _check(losses.get(name), y, z, sample_weight=w) < 1e-7


@pytest.mark.parametrize("name", ["binary_cross_entropy", "softmax_cross_entropy"])
def test_label_smoothing_gradient_passes_gradient_check(name, rng):
    z = rng.normal(size=(8, 3))
    assert (
        _check(losses.get(name, label_smoothing=0.2), _targets(name, rng, 8, 3), z)
        < 1e-7
    )


def test_huber_gradient_check_covers_both_branches(rng):
    z = rng.normal(scale=3.0, size=(20, 2))
    y = np.zeros_like(z)
    assert (np.abs(z) < 1).any() and (np.abs(z) > 1).any()
    assert _check(losses.get("huber", delta=1.0), y, z) < 1e-7


def test_squared_error_is_half_the_mean_squared_error(rng):
    y, z = rng.normal(size=(30, 2)), rng.normal(size=(30, 2))
    assert_allclose(
        losses.get("squared_error").value(y, z), 0.5 * mean_squared_error(y, z)
    )


def test_absolute_error_is_the_mean_absolute_error(rng):
    y, z = rng.normal(size=(30, 2)), rng.normal(size=(30, 2))
    assert_allclose(losses.get("absolute_error").value(y, z), mean_absolute_error(y, z))


def test_huber_matches_scipy_huber(rng):
    y, z = rng.normal(size=(30, 2)), rng.normal(scale=3, size=(30, 2))
    assert_allclose(
        losses.get("huber", delta=1.5).value(y, z), huber(1.5, z - y).mean()
    )


def test_binary_cross_entropy_matches_sklearn_log_loss(rng):
    z = rng.normal(scale=2, size=(40, 1))
    y = rng.integers(0, 2, size=40)
    loss = losses.get("binary_cross_entropy")
    assert_allclose(loss.value(y, z), log_loss(y, loss.link(z)[:, 0]), rtol=1e-12)


def test_softmax_cross_entropy_matches_sklearn_log_loss(rng):
    z = rng.normal(scale=2, size=(40, 4))
    labels = rng.integers(0, 4, size=40)
    loss = losses.get("softmax_cross_entropy")
    assert_allclose(
        loss.value(np.eye(4)[labels], z), log_loss(labels, softmax(z, 1)), rtol=1e-12
    )


def test_kl_divergence_matches_scipy_entropy(rng):
    z = rng.normal(size=(20, 4))
    y = rng.dirichlet(np.ones(4), size=20)
    y[0] = [0.0, 0.5, 0.5, 0.0]  # zero-probability targets contribute 0·log 0 = 0
    expected = entropy(y, softmax(z, axis=1), axis=1).mean()
    assert_allclose(losses.get("kl_divergence").value(y, z), expected, rtol=1e-12)


def test_kl_divergence_is_zero_at_the_target(rng):
    y = rng.dirichlet(np.ones(3), size=5)
    assert_allclose(losses.get("kl_divergence").value(y, np.log(y)), 0.0, atol=1e-15)


def test_poisson_is_half_the_mean_poisson_deviance(rng):
    z = rng.normal(size=(40, 1))
    y = rng.poisson(2.0, size=40).astype(float)
    loss = losses.get("poisson")
    assert_allclose(
        loss.value(y, z), 0.5 * mean_poisson_deviance(y, loss.link(z)[:, 0]), rtol=1e-12
    )


def test_binary_hinge_matches_sklearn_hinge_loss(rng):
    z = rng.normal(size=(40, 1))
    y = rng.integers(0, 2, size=40)
    assert_allclose(losses.get("hinge").value(y, z), hinge_loss(2 * y - 1, z[:, 0]))


def test_multiclass_hinge_sums_margins_over_wrong_classes():
    z = np.array([[3.0, 2.5, -1.0], [0.0, 0.2, 0.1]])
    y = np.array([[1.0, 0, 0], [0, 0, 1.0]])
    # row 0: max(0, 1+2.5−3) + max(0, 1−1−3) = 0.5; row 1: (1+0−0.1) + (1+0.2−0.1)
    assert_allclose(losses.get("hinge").value(y, z), (0.5 + 0.9 + 1.1) / 2)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_value_and_gradient_equals_separate_calls(name, rng):
    z = rng.normal(size=(10, 3))
    y = _targets(name, rng, 10, 3)
    w = rng.uniform(0.5, 2.0, size=10)
    loss = losses.get(name, **({"label_smoothing": 0.1} if "entropy" in name else {}))
    value, grad = loss.value_and_gradient(y, z, w)
    assert_allclose(value, loss.value(y, z, w), rtol=1e-13)
    assert_allclose(grad, loss.gradient(y, z, w), rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_sample_weight_is_a_weighted_mean_like_repeating_rows(name, rng):
    z = rng.normal(size=(6, 3))
    y = _targets(name, rng, 6, 3)
    counts = np.array([1, 3, 1, 2, 1, 1])
    loss = losses.get(name)
    repeated = np.repeat(np.arange(6), counts)
    assert_allclose(loss.value(y, z, counts), loss.value(y[repeated], z[repeated]))


@pytest.mark.parametrize("name", ALL_NAMES)
def test_gradient_is_divided_by_the_batch_size(name, rng):
    z = rng.normal(size=(5, 3))
    y = _targets(name, rng, 5, 3)
    loss = losses.get(name)
    # Stacking the batch twice halves each row's share of the mean.
    doubled = loss.gradient(np.vstack([y, y]), np.vstack([z, z]))
    assert_allclose(doubled[:5] * 2, loss.gradient(y, z), rtol=1e-13)


@pytest.mark.parametrize(
    "name", ["binary_cross_entropy", "softmax_cross_entropy", "kl_divergence", "hinge"]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logit_losses_are_finite_for_huge_scores(name, dtype, rng):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]], dtype=dtype)
    y = _targets(name, rng, 2, 3).astype(dtype)
    loss = losses.get(name)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        value, grad = loss.value_and_gradient(y, z)
        link = loss.link(z)
    assert np.isfinite(value) and np.isfinite(grad).all() and np.isfinite(link).all()


def test_poisson_link_never_overflows():
    with np.errstate(over="raise"):
        assert np.isfinite(losses.get("poisson").link(np.array([[1e4]]))).all()


def test_confidently_right_cross_entropy_is_zero_and_wrong_is_the_margin():
    loss = losses.get("softmax_cross_entropy")
    z = np.array([[1e4, 0.0]])
    assert loss.value(np.array([[1.0, 0.0]]), z) == 0.0
    assert_allclose(loss.value(np.array([[0.0, 1.0]]), z), 1e4)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_float32_scores_give_float32_gradients(name, rng):
    z = rng.normal(size=(6, 3)).astype(np.float32)
    y = _targets(name, rng, 6, 3)  # float64 targets must not upcast the gradient
    _, grad = losses.get(name).value_and_gradient(y, z, np.ones(6))
    assert grad.dtype == np.float32


def test_links_are_identity_sigmoid_softmax_and_exp(rng):
    z = rng.normal(size=(4, 3))
    assert_allclose(losses.get("squared_error").link(z), z)
    assert_allclose(losses.get("binary_cross_entropy").link(z), 1 / (1 + np.exp(-z)))
    assert_allclose(losses.get("softmax_cross_entropy").link(z), softmax(z, axis=1))
    assert_allclose(losses.get("poisson").link(z), np.exp(z))


def test_softmax_label_smoothing_targets_mix_in_the_uniform_distribution(rng):
    z = rng.normal(size=(5, 4))
    y = np.eye(4)[[0, 1, 2, 3, 0]]
    smooth = losses.get("softmax_cross_entropy", label_smoothing=0.2)
    plain = losses.get("softmax_cross_entropy")
    y_smooth = 0.8 * y + 0.2 / 4
    assert_allclose(smooth.value(y, z), plain.value(y_smooth, z), rtol=1e-13)
    assert_allclose(smooth.gradient(y, z), (softmax(z, 1) - y_smooth) / 5, rtol=1e-12)


def test_mismatched_target_shape_is_a_clear_error(rng):
    with pytest.raises(ValueError, match="do not match"):
        losses.get("squared_error").value(np.ones((4, 2)), np.ones((4, 3)))


def test_zero_total_sample_weight_is_a_clear_error():
    with pytest.raises(ValueError, match="positive sum"):
        losses.get("squared_error").value(np.ones(3), np.ones((3, 1)), np.zeros(3))


def test_unknown_loss_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"Unknown loss 'mse'.*'huber'.*'poisson'"):
        losses.get("mse")
