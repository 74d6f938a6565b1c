"""Learning-rate schedules: values against their formulas, validation.

Every expected value is computed in the test from the schedule's published
formula (or, for SGDR, from a hand-written table of cycle positions), never
taken from the implementation.
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skdeep import nn
from skdeep.nn import schedules

RTOL = 1e-14  # scalar float64 formulas: only rounding differences allowed
ETA0 = 0.1


def values(schedule, steps):
    return [schedule(t) for t in steps]


# --- Formulas ----------------------------------------------------------------


def test_constant_is_eta0_at_every_step():
    schedule = schedules.get("constant", learning_rate=ETA0)
    assert values(schedule, [0, 1, 10, 10_000]) == [ETA0] * 4


@pytest.mark.parametrize(("step_size", "gamma"), [(3, 0.5), (1, 0.9), (10, 0.1)])
def test_step_decay_multiplies_by_gamma_every_step_size(step_size, gamma):
    """η₀ · γ^⌊t / step_size⌋, checked on both sides of each drop."""
    schedule = schedules.get(
        "step", learning_rate=ETA0, step_size=step_size, gamma=gamma
    )
    steps = [0, 1, 2, 3, 5, 6, 9, 10, 11, 29, 30, 31]
    expected = [ETA0 * gamma ** math.floor(t / step_size) for t in steps]
    assert_allclose(values(schedule, steps), expected, rtol=RTOL)


def test_step_decay_is_constant_within_a_step():
    schedule = schedules.get("step", learning_rate=ETA0, step_size=4, gamma=0.5)
    assert values(schedule, [0, 1, 2, 3]) == [ETA0] * 4
    assert values(schedule, [4, 5, 6, 7]) == [ETA0 * 0.5] * 4


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99])
def test_exponential_is_eta0_times_gamma_to_the_t(gamma):
    schedule = schedules.get("exponential", learning_rate=ETA0, gamma=gamma)
    steps = [0, 1, 2, 5, 20, 100]
    expected = [ETA0 * gamma**t for t in steps]
    assert_allclose(values(schedule, steps), expected, rtol=RTOL)


@pytest.mark.parametrize("decay", [0.0, 0.5, 0.01])
def test_inverse_time_is_eta0_over_one_plus_decay_t(decay):
    schedule = schedules.get("inverse_time", learning_rate=ETA0, decay=decay)
    steps = [0, 1, 2, 7, 100]
    expected = [ETA0 / (1 + decay * t) for t in steps]
    assert_allclose(values(schedule, steps), expected, rtol=RTOL)


@pytest.mark.parametrize("power_t", [0.5, 0.25, 1.0, 0.0])
def test_invscaling_is_eta0_over_t_plus_one_to_power_t(power_t):
    """scikit-learn's MLP: η₀ / (t + 1)^power_t, so step 0 gives η₀."""
    schedule = schedules.get("invscaling", learning_rate=ETA0, power_t=power_t)
    steps = [0, 1, 3, 8, 99]
    expected = [ETA0 / (t + 1) ** power_t for t in steps]
    assert_allclose(values(schedule, steps), expected, rtol=RTOL)


def test_invscaling_default_power_t_is_one_half():
    schedule = schedules.get("invscaling", learning_rate=ETA0)
    assert_allclose(schedule(3), ETA0 / 2, rtol=RTOL)  # 1/√4


def _cosine(eta_max, eta_min, t, period):
    """η_min + ½(η_max − η_min)(1 + cos(π t / period))."""
    return eta_min + 0.5 * (eta_max - eta_min) * (1 + math.cos(math.pi * t / period))


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_cosine_follows_half_cosine_then_stays_at_eta_min(eta_min):
    t_max = 10
    schedule = schedules.get("cosine", learning_rate=ETA0, T_max=t_max, eta_min=eta_min)
    steps = [0, 1, 3, 5, 9, 10, 11, 50]
    expected = [_cosine(ETA0, eta_min, min(t, t_max), t_max) for t in steps]
    assert_allclose(values(schedule, steps), expected, rtol=RTOL)


def test_cosine_landmarks():
    """η₀ at 0, the midpoint at T_max/2, η_min at and after T_max."""
    schedule = schedules.get("cosine", learning_rate=ETA0, T_max=8, eta_min=0.02)
    assert_allclose(schedule(0), ETA0, rtol=RTOL)
    assert_allclose(schedule(4), (ETA0 + 0.02) / 2, rtol=RTOL)
    assert_allclose(values(schedule, [8, 9, 1000]), [0.02] * 3, rtol=RTOL)


# SGDR (Loshchilov & Hutter 2017): cycle i lasts T_i = T_0 · T_multⁱ steps and
# η = η_min + ½(η₀ − η_min)(1 + cos(π T_cur / T_i)), where T_cur counts steps
# since the last restart. The tables give (t, T_cur, T_i) worked out by hand.
SGDR_TABLES = {
    # T_0 = 10, T_mult = 1: restarts at 10, 20, 30, ...
    (10, 1): [
        (0, 0, 10),
        (1, 1, 10),
        (9, 9, 10),
        (10, 0, 10),
        (11, 1, 10),
        (19, 9, 10),
        (20, 0, 10),
        (35, 5, 10),
        (1000, 0, 10),
    ],
    # T_0 = 10, T_mult = 2: cycles of 10, 20, 40, 80 starting at 0, 10, 30, 70.
    (10, 2): [
        (0, 0, 10),
        (9, 9, 10),
        (10, 0, 20),
        (11, 1, 20),
        (20, 10, 20),
        (29, 19, 20),
        (30, 0, 40),
        (31, 1, 40),
        (69, 39, 40),
        (70, 0, 80),
        (149, 79, 80),
        (150, 0, 160),
    ],
    # T_0 = 2, T_mult = 3: cycles of 2, 6, 18 starting at 0, 2, 8, 26.
    (2, 3): [
        (0, 0, 2),
        (1, 1, 2),
        (2, 0, 6),
        (7, 5, 6),
        (8, 0, 18),
        (25, 17, 18),
        (26, 0, 54),
    ],
}


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
@pytest.mark.parametrize(("t_0", "t_mult"), list(SGDR_TABLES))
def test_cosine_restarts_matches_sgdr_formula(t_0, t_mult, eta_min):
    schedule = schedules.get(
        "cosine_restarts", learning_rate=ETA0, T_0=t_0, T_mult=t_mult, eta_min=eta_min
    )
    table = SGDR_TABLES[(t_0, t_mult)]
    steps = [t for t, _, _ in table]
    expected = [_cosine(ETA0, eta_min, t_cur, t_i) for _, t_cur, t_i in table]
    assert_allclose(values(schedule, steps), expected, rtol=RTOL)


@pytest.mark.parametrize("restart", [10, 30, 70, 150])
def test_cosine_restarts_jumps_back_to_eta0_at_each_restart(restart):
    """T_0 = 10, T_mult = 2: just before a restart the rate is near η_min,
    at the restart it is exactly η₀ again."""
    schedule = schedules.get(
        "cosine_restarts", learning_rate=ETA0, T_0=10, T_mult=2, eta_min=0.01
    )
    assert schedule(restart) == ETA0
    assert 0.01 < schedule(restart - 1) < 0.01 + 0.03 * (ETA0 - 0.01)


def test_cosine_restarts_default_t_mult_is_one():
    schedule = schedules.get("cosine_restarts", learning_rate=ETA0, T_0=5)
    assert values(schedule, [0, 5, 10]) == [ETA0] * 3
    assert_allclose(schedule(7), _cosine(ETA0, 0.0, 2, 5), rtol=RTOL)


def test_cosine_restarts_far_restart_with_t_mult():
    """Cycle 40 of T_0 = 10, T_mult = 2 starts at 10 · (2⁴⁰ − 1)."""
    schedule = schedules.get("cosine_restarts", learning_rate=ETA0, T_0=10, T_mult=2)
    start = 10 * (2**40 - 1)
    assert schedule(start) == ETA0
    assert_allclose(schedule(start + 3), _cosine(ETA0, 0.0, 3, 10 * 2**40), rtol=RTOL)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("step", {"step_size": 3, "gamma": 0.5}),
        ("exponential", {"gamma": 0.9}),
        ("cosine", {"T_max": 10}),
        ("cosine_restarts", {"T_0": 3, "T_mult": 2}),
    ],
)
def test_schedule_is_stateless(name, kwargs):
    """The same step gives the same rate whatever was asked before."""
    schedule = schedules.get(name, learning_rate=ETA0, **kwargs)
    steps = [0, 1, 2, 3, 7, 10, 20, 40]
    forward = values(schedule, steps)
    backward = values(schedule, steps[::-1])[::-1]
    assert forward == backward


# --- Per epoch ----------------------------------------------------------------


def test_a_schedule_given_to_train_as_epoch_schedule_counts_epochs_not_steps():
    """Four epochs of three steps each: the rates are η(0), ..., η(3), the
    step decay's drops after two epochs, not after two steps."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12, 2)), rng.normal(size=(12, 1))
    net = nn.Sequential([nn.Dense(1)])
    net.build(2, rng, np.float64)
    schedule = schedules.get("step", learning_rate=ETA0, step_size=2, gamma=0.5)
    history = nn.train(
        net, nn.losses.get("squared_error"), nn.optimizers.get("sgd"), X, y,
        rng=rng, epochs=4, batch_size=4, tol=None, epoch_schedule=schedule,
    )  # fmt: skip
    assert history.n_steps == 12
    expected = [ETA0 * 0.5 ** math.floor(e / 2) for e in range(4)]
    assert_allclose(history.epochs["learning_rate"], expected, rtol=RTOL)


# --- Validation --------------------------------------------------------------


@pytest.mark.parametrize("name", ["linear", "Cosine", "", None])
def test_unknown_name_raises_listing_valid_names(name):
    with pytest.raises(ValueError, match=r"Unknown schedule") as info:
        schedules.get(name, learning_rate=ETA0)
    for valid in (
        "constant",
        "step",
        "exponential",
        "inverse_time",
        "invscaling",
        "cosine",
        "cosine_restarts",
    ):
        assert repr(valid) in str(info.value)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("constant", {}),
        ("step", {"step_size": 3}),
        ("exponential", {"gamma": 0.9}),
        ("inverse_time", {"decay": 0.1}),
        ("invscaling", {}),
        ("cosine", {"T_max": 10}),
        ("cosine_restarts", {"T_0": 10}),
    ],
)
@pytest.mark.parametrize("learning_rate", [0.0, -0.1, float("nan")])
def test_non_positive_learning_rate_raises(name, kwargs, learning_rate):
    with pytest.raises(ValueError, match="learning_rate"):
        schedules.get(name, learning_rate=learning_rate, **kwargs)


@pytest.mark.parametrize(
    ("name", "kwargs", "match"),
    [
        ("step", {"step_size": 0}, "step_size"),
        ("step", {"step_size": -2}, "step_size"),
        ("step", {"step_size": 2.5}, "step_size"),
        ("step", {"step_size": 3, "gamma": 0.0}, "gamma"),
        ("step", {"step_size": 3, "gamma": -0.5}, "gamma"),
        ("exponential", {"gamma": 0.0}, "gamma"),
        ("exponential", {"gamma": -0.9}, "gamma"),
        ("inverse_time", {"decay": -0.1}, "decay"),
        ("invscaling", {"power_t": -0.5}, "power_t"),
        ("cosine", {"T_max": 0}, "T_max"),
        ("cosine", {"T_max": 2.5}, "T_max"),
        ("cosine", {"T_max": 10, "eta_min": -0.01}, "eta_min"),
        ("cosine", {"T_max": 10, "eta_min": 2 * ETA0}, "eta_min"),
        ("cosine_restarts", {"T_0": 0}, "T_0"),
        ("cosine_restarts", {"T_0": 1.5}, "T_0"),
        ("cosine_restarts", {"T_0": 10, "T_mult": 0}, "T_mult"),
        ("cosine_restarts", {"T_0": 10, "T_mult": 1.5}, "T_mult"),
        ("cosine_restarts", {"T_0": 10, "eta_min": -0.01}, "eta_min"),
        ("cosine_restarts", {"T_0": 10, "eta_min": 2 * ETA0}, "eta_min"),
    ],
)
def test_invalid_argument_raises(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        schedules.get(name, learning_rate=ETA0, **kwargs)
