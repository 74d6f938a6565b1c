"""Optimizers: updates against the textbook rules, state handling, validation.

Expected values never come from the implementation: the ``reference_*``
functions below write each published update rule out again as a plain loop,
and the tests compare the optimizers against them on small hand-picked arrays
whose gradients change between steps.
"""

import copy
import functools
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skdeep import nn
from skdeep.nn import optimizers, schedules

RTOL = 1e-12  # float64: only rounding differences are allowed
LR = 0.1

THETA0 = np.array([0.5, -1.0, 2.0])
# Gradients change sign and size from step to step. The first coordinate is
# large at step 1 and small afterwards, so the second-moment average shrinks
# and AMSGrad's running maximum differs from Adam's plain average.
GRADS = [
    np.array([2.0, -0.2, 1.0]),
    np.array([0.1, 0.4, -0.5]),
    np.array([-0.1, 0.1, 0.3]),
    np.array([0.05, -0.3, 0.2]),
]


# --- Textbook update rules ---------------------------------------------------
# Each takes the initial parameter, the gradient at every step and the learning
# rate at every step, and returns the parameter after each step.


def reference_sgd(theta, grads, lrs, *, momentum, nesterov):
    """v ← μv − ηg; θ ← θ + v, or Nesterov θ ← θ + μv − ηg (Sutskever 2013)."""
    v = np.zeros_like(theta)
    trajectory = []
    for g, lr in zip(grads, lrs, strict=True):
        v = momentum * v - lr * g
        if nesterov:
            theta = theta + momentum * v - lr * g
        else:
            theta = theta + v
        trajectory.append(theta)
    return trajectory


def reference_adagrad(theta, grads, lrs, *, epsilon):
    """r ← r + g²; θ ← θ − ηg / (√r + ε) (Duchi et al. 2011)."""
    r = np.zeros_like(theta)
    trajectory = []
    for g, lr in zip(grads, lrs, strict=True):
        r = r + g**2
        theta = theta - lr * g / (np.sqrt(r) + epsilon)
        trajectory.append(theta)
    return trajectory


def reference_rmsprop(theta, grads, lrs, *, rho, momentum, epsilon):
    """r ← ρr + (1 − ρ)g²; v ← μv − ηg / (√r + ε); θ ← θ + v (Hinton 2012)."""
    r = np.zeros_like(theta)
    v = np.zeros_like(theta)
    trajectory = []
    for g, lr in zip(grads, lrs, strict=True):
        r = rho * r + (1 - rho) * g**2
        v = momentum * v - lr * g / (np.sqrt(r) + epsilon)
        theta = theta + v
        trajectory.append(theta)
    return trajectory


def reference_adam(
    theta, grads, lrs, *, beta_1, beta_2, epsilon, amsgrad, bias_correction
):
    """Adam (Kingma & Ba 2015, Algorithm 1) and AMSGrad (Reddi et al. 2018).

    m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g⊙g;  m̂ = m / (1 − β₁ᵗ);
    v̂ = v / (1 − β₂ᵗ);  θ ← θ − η m̂ / (√v̂ + ε), with t = 1 at the first step.
    AMSGrad replaces v by its running maximum before the bias correction.
    """
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    v_max = np.zeros_like(theta)
    trajectory = []
    for t, (g, lr) in enumerate(zip(grads, lrs, strict=True), start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g * g
        v_max = np.maximum(v_max, v)
        second = v_max if amsgrad else v
        if bias_correction:
            m_hat = m / (1 - beta_1**t)
            v_hat = second / (1 - beta_2**t)
        else:
            m_hat, v_hat = m, second
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + epsilon)
        trajectory.append(theta)
    return trajectory


def case(case_id, name, kwargs, reference, **hyper):
    """An optimizer built as ``get(name, **kwargs)`` and its textbook twin.

    ``hyper`` spells out every hyper-parameter of the reference, so cases with
    empty ``kwargs`` also check the documented defaults.
    """
    return pytest.param(name, kwargs, functools.partial(reference, **hyper), id=case_id)


_ADAM = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8}
_PLAIN = {"amsgrad": False, "bias_correction": True}

CASES = [
    case("sgd", "sgd", {}, reference_sgd, momentum=0.0, nesterov=False),
    case(
        "sgd-momentum",
        "sgd",
        {"momentum": 0.9},
        reference_sgd,
        momentum=0.9,
        nesterov=False,
    ),
    case(
        "sgd-nesterov",
        "sgd",
        {"momentum": 0.9, "nesterov": True},
        reference_sgd,
        momentum=0.9,
        nesterov=True,
    ),
    case("adagrad", "adagrad", {}, reference_adagrad, epsilon=1e-8),
    # A large ε makes where it is added visible well above rounding.
    case(
        "adagrad-large-epsilon",
        "adagrad",
        {"epsilon": 0.5},
        reference_adagrad,
        epsilon=0.5,
    ),
    case(
        "rmsprop",
        "rmsprop",
        {},
        reference_rmsprop,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-8,
    ),
    case(
        "rmsprop-rho-epsilon",
        "rmsprop",
        {"rho": 0.5, "epsilon": 0.1},
        reference_rmsprop,
        rho=0.5,
        momentum=0.0,
        epsilon=0.1,
    ),
    case(
        "rmsprop-momentum",
        "rmsprop",
        {"rho": 0.7, "momentum": 0.8},
        reference_rmsprop,
        rho=0.7,
        momentum=0.8,
        epsilon=1e-8,
    ),
    case("adam", "adam", {}, reference_adam, **_ADAM, **_PLAIN),
    case(
        "adam-custom",
        "adam",
        {"beta_1": 0.5, "beta_2": 0.8, "epsilon": 0.1},
        reference_adam,
        beta_1=0.5,
        beta_2=0.8,
        epsilon=0.1,
        **_PLAIN,
    ),
    case(
        "amsgrad",
        "adam",
        {"amsgrad": True, "beta_2": 0.9},
        reference_adam,
        beta_1=0.9,
        beta_2=0.9,
        epsilon=1e-8,
        amsgrad=True,
        bias_correction=True,
    ),
    case(
        "adam-no-bias-correction",
        "adam",
        {"bias_correction": False},
        reference_adam,
        **_ADAM,
        amsgrad=False,
        bias_correction=False,
    ),
    case(
        "amsgrad-no-bias-correction",
        "adam",
        {"amsgrad": True, "beta_2": 0.9, "bias_correction": False},
        reference_adam,
        beta_1=0.9,
        beta_2=0.9,
        epsilon=1e-8,
        amsgrad=True,
        bias_correction=False,
    ),
]


def run(optimizer, theta0, grads):
    """Step ``optimizer`` on a copy of ``theta0``; return θ after each step."""
    theta = theta0.copy()
    trajectory = []
    for g in grads:
        optimizer.step([theta], [g])
        trajectory.append(theta.copy())
    return trajectory


# --- Update rules ------------------------------------------------------------


@pytest.mark.parametrize(("name", "kwargs", "reference"), CASES)
def test_updates_match_textbook_rule(name, kwargs, reference):
    optimizer = optimizers.get(name, learning_rate=LR, **kwargs)
    got = run(optimizer, THETA0, GRADS)
    expected = reference(THETA0, GRADS, [LR] * len(GRADS))
    for step, (g, e) in enumerate(zip(got, expected, strict=True), start=1):
        assert_allclose(g, e, rtol=RTOL, atol=0, err_msg=f"step {step}")


def test_sgd_step_worked_by_hand():
    """One plain SGD step, computed on paper: 1 − 0.1·0.5 = 0.95."""
    w = np.array([1.0, -2.0])
    optimizers.get("sgd", learning_rate=0.1).step([w], [np.array([0.5, -1.0])])
    assert_allclose(w, [0.95, -1.9], rtol=RTOL)


def test_adam_first_step_has_size_learning_rate():
    """With bias correction, m̂₁/√v̂₁ = g/|g|: the first step is ±η per coordinate."""
    theta = THETA0.copy()
    optimizers.get("adam", learning_rate=LR, epsilon=1e-300).step([theta], [GRADS[0]])
    assert_allclose(theta, THETA0 - LR * np.sign(GRADS[0]), rtol=RTOL)


def test_adam_without_bias_correction_scales_first_step():
    """Without bias correction m₁ = (1 − β₁)g and v₁ = (1 − β₂)g², so the first
    step is (1 − β₁)/√(1 − β₂) times the corrected one (larger for the
    default betas: 0.1/√0.001 ≈ 3.16, Kingma & Ba 2015, section 3)."""
    steps = {}
    for bias_correction in (True, False):
        theta = THETA0.copy()
        optimizer = optimizers.get(
            "adam", learning_rate=LR, epsilon=1e-300, bias_correction=bias_correction
        )
        optimizer.step([theta], [GRADS[0]])
        steps[bias_correction] = theta - THETA0
    assert_allclose(steps[False], steps[True] * 0.1 / np.sqrt(0.001), rtol=1e-12)


def test_amsgrad_differs_from_adam_when_second_moment_shrinks():
    """The running maximum matters once v decreases (first coordinate here)."""
    kwargs = {"learning_rate": LR, "beta_2": 0.9}
    adam = run(optimizers.get("adam", **kwargs), THETA0, GRADS)
    amsgrad = run(optimizers.get("adam", amsgrad=True, **kwargs), THETA0, GRADS)
    assert not np.allclose(adam[-1], amsgrad[-1], rtol=1e-6, atol=0)


@pytest.mark.parametrize(("name", "kwargs", "reference"), CASES)
def test_step_updates_params_in_place_and_leaves_grads_alone(name, kwargs, reference):
    theta = THETA0.copy()
    grads = [g.copy() for g in GRADS]
    optimizer = optimizers.get(name, learning_rate=LR, **kwargs)
    for g in grads:
        optimizer.step([theta], [g])
    assert not np.array_equal(theta, THETA0)
    for g, original in zip(grads, GRADS, strict=True):
        assert_array_equal(g, original)


# --- Learning rate and schedules ---------------------------------------------


def _halving(step):
    """A schedule with a distinct rate at every step: 0.1, 0.05, 0.025, ..."""
    return 0.1 * 0.5**step


@pytest.mark.parametrize(("name", "kwargs", "reference"), CASES)
def test_schedule_is_evaluated_at_update_count(name, kwargs, reference):
    """Update k (counting from 0) uses schedule(k); the first uses schedule(0)."""
    optimizer = optimizers.get(name, learning_rate=_halving, **kwargs)
    got = run(optimizer, THETA0, GRADS)
    expected = reference(THETA0, GRADS, [_halving(k) for k in range(len(GRADS))])
    for step, (g, e) in enumerate(zip(got, expected, strict=True), start=1):
        assert_allclose(g, e, rtol=RTOL, atol=0, err_msg=f"step {step}")


def test_current_learning_rate_follows_schedule_object():
    schedule = schedules.get("step", learning_rate=0.1, step_size=2, gamma=0.5)
    optimizer = optimizers.get("sgd", learning_rate=schedule)
    theta = THETA0.copy()
    for k in range(5):
        assert optimizer.current_learning_rate() == 0.1 * 0.5 ** (k // 2)
        optimizer.step([theta], [GRADS[0]])


def test_current_learning_rate_is_the_float_when_constant():
    optimizer = optimizers.get("adam", learning_rate=0.03)
    theta = THETA0.copy()
    optimizer.step([theta], [GRADS[0]])
    assert optimizer.current_learning_rate() == 0.03


@pytest.mark.parametrize(
    ("name", "default"),
    [("sgd", 0.01), ("adagrad", 0.01), ("rmsprop", 0.001), ("adam", 0.001)],
)
def test_get_without_learning_rate_uses_documented_default(name, default):
    assert optimizers.get(name).current_learning_rate() == default


# --- State -------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kwargs", "reference"), CASES)
def test_iterations_counts_steps(name, kwargs, reference):
    optimizer = optimizers.get(name, learning_rate=LR, **kwargs)
    assert optimizer.iterations == 0
    run(optimizer, THETA0, GRADS)
    assert optimizer.iterations == len(GRADS)


@pytest.mark.parametrize(("name", "kwargs", "reference"), CASES)
def test_reset_makes_next_step_identical_to_first(name, kwargs, reference):
    optimizer = optimizers.get(name, learning_rate=LR, **kwargs)
    first = run(optimizer, THETA0, GRADS[:1])[0]
    run(optimizer, THETA0, GRADS[1:])
    optimizer.reset()
    assert optimizer.iterations == 0
    assert_array_equal(run(optimizer, THETA0, GRADS[:1])[0], first)


def test_reset_restarts_the_schedule():
    optimizer = optimizers.get("sgd", learning_rate=_halving)
    run(optimizer, THETA0, GRADS)
    optimizer.reset()
    assert optimizer.current_learning_rate() == _halving(0)


@pytest.mark.parametrize(("name", "kwargs", "reference"), CASES)
def test_parameters_of_different_shapes_keep_separate_state(name, kwargs, reference):
    """Each array follows its own textbook trajectory, as if optimized alone."""
    params0 = [
        np.array([[0.3, -0.7, 1.2], [2.0, -0.1, 0.4]]),
        THETA0,
        np.array([-1.5]),
    ]
    grads = [
        [g1, g2, g3]
        for g1, g2, g3 in zip(
            [np.outer([1.0, -0.5], g) for g in GRADS],
            GRADS,
            [np.array([3.0]), np.array([-0.2]), np.array([0.4]), np.array([0.1])],
            strict=True,
        )
    ]
    params = [p.copy() for p in params0]
    optimizer = optimizers.get(name, learning_rate=LR, **kwargs)
    for step_grads in grads:
        optimizer.step(params, step_grads)
    for i, (param, param0) in enumerate(zip(params, params0, strict=True)):
        own_grads = [step_grads[i] for step_grads in grads]
        expected = reference(param0, own_grads, [LR] * len(grads))[-1]
        assert param.shape == param0.shape
        assert_allclose(param, expected, rtol=RTOL, atol=0, err_msg=f"param {i}")


@pytest.mark.parametrize(("name", "kwargs", "reference"), CASES)
@pytest.mark.parametrize("layout", ["C", "F"])
def test_updating_large_parameters_block_by_block_changes_nothing(
    name, kwargs, reference, layout, monkeypatch
):
    """``step`` cuts large arrays into blocks of ``BLOCK_SIZE`` elements: every
    element, in full blocks and in the short last one, ends exactly where a
    whole-array update puts it (an F-ordered parameter is not cut, and is still
    updated in place), and that is the textbook rule."""
    rng = np.random.default_rng(0)
    shape = (3, optimizers.BLOCK_SIZE // 2 + 7)  # 1.5 blocks, then a remainder
    theta0 = np.asarray(rng.normal(size=shape), order=layout)
    grads = [np.asarray(rng.normal(size=shape), order=layout) for _ in range(3)]

    def optimize():
        theta = theta0.copy(order="K")
        optimizer = optimizers.get(name, learning_rate=LR, **kwargs)
        for g in grads:
            optimizer.step([theta], [g])
        return theta

    blocked = optimize()
    monkeypatch.setattr(optimizers, "BLOCK_SIZE", theta0.size)
    assert_array_equal(blocked, optimize())
    expected = reference(theta0, grads, [LR] * len(grads))[-1]
    # Absolute slack at rounding level of the values: some of 10⁵ random
    # elements land next to 0, where a relative tolerance means nothing.
    assert_allclose(blocked, expected, rtol=RTOL, atol=RTOL * np.abs(expected).max())


def _dense_with_kernel(theta, l2):
    """A Dense layer with one output whose kernel column is ``theta``."""
    layer = nn.Dense(1, l2=l2)
    layer.build(theta.size, np.random.default_rng(0))
    layer.W[:, 0] = theta
    return layer


def _penalised_step(layer, optimizer, g):
    """Backward with ∂L/∂W = g (X = gᵀ, dY = 1), then one step on the layer."""
    layer.forward(g[None, :], training=True)
    layer.backward(np.ones((1, 1)), input_grad=False)
    optimizer.step(layer.params, layer.grads)


@pytest.mark.parametrize(("name", "kwargs", "reference"), CASES)
def test_a_dense_l2_term_is_stepped_by_the_textbook_rule(name, kwargs, reference):
    """``Dense.backward`` adds λθ to the kernel's gradient, so the step follows
    the rule with g + λθ, θ the value before the step: the reference is fed
    those gradients, computed along its own trajectory."""
    l2 = 0.3
    layer = _dense_with_kernel(THETA0, l2)
    optimizer = optimizers.get(name, learning_rate=LR, **kwargs)
    got = []
    for g in GRADS:
        _penalised_step(layer, optimizer, g)
        got.append(layer.W[:, 0].copy())
    theta, penalised = THETA0, []
    for step, g in enumerate(GRADS):
        penalised.append(g + l2 * theta)
        theta = reference(THETA0, penalised, [LR] * (step + 1))[-1]
    expected = reference(THETA0, penalised, [LR] * len(GRADS))
    for step, (g, e) in enumerate(zip(got, expected, strict=True), start=1):
        assert_allclose(g, e, rtol=RTOL, atol=0, err_msg=f"step {step}")


def test_sgd_step_on_a_dense_l2_term_worked_by_hand():
    # θ = 2, g = 1, λ = 0.5: θ ← 2 − 0.1·(1 + 0.5·2) = 1.8; dW holds g + λθ.
    layer = _dense_with_kernel(np.array([2.0]), l2=0.5)
    _penalised_step(layer, optimizers.SGD(learning_rate=0.1), np.array([1.0]))
    assert_allclose(layer.W, [[1.8]], rtol=RTOL)
    assert_allclose(layer.dW, [[2.0]], rtol=RTOL)


@pytest.mark.parametrize(("name", "kwargs", "reference"), CASES)
def test_float32_params_and_state_stay_float32(name, kwargs, reference):
    theta = THETA0.astype(np.float32)
    optimizer = optimizers.get(name, learning_rate=LR, **kwargs)
    for g in GRADS:
        optimizer.step([theta], [g.astype(np.float32)])
    assert theta.dtype == np.float32
    # The state is private; it is inspected here only to check its dtype.
    for slot in optimizer._state:
        for key, array in slot.items():
            assert array.dtype == np.float32, key


@pytest.mark.parametrize(("name", "kwargs", "reference"), CASES)
def test_float32_updates_follow_textbook_rule(name, kwargs, reference):
    """Same trajectory as float64 up to float32 rounding (unit roundoff 6e-8,
    accumulated over four steps of a few dozen operations)."""
    theta = THETA0.astype(np.float32)
    optimizer = optimizers.get(name, learning_rate=LR, **kwargs)
    for g in GRADS:
        optimizer.step([theta], [g.astype(np.float32)])
    expected = reference(THETA0, GRADS, [LR] * len(GRADS))[-1]
    assert_allclose(theta, expected, rtol=1e-5, atol=0)


@pytest.mark.parametrize(("name", "kwargs", "reference"), CASES)
@pytest.mark.parametrize("n_params", [1, 3])
def test_step_with_different_number_of_params_raises(name, kwargs, reference, n_params):
    optimizer = optimizers.get(name, learning_rate=LR, **kwargs)
    optimizer.step([THETA0.copy(), THETA0.copy()], [GRADS[0], GRADS[1]])
    params = [THETA0.copy() for _ in range(n_params)]
    with pytest.raises(ValueError, match="reset"):
        optimizer.step(params, GRADS[:n_params])


def test_step_with_fewer_grads_than_params_raises():
    optimizer = optimizers.get("sgd", learning_rate=LR)
    with pytest.raises(ValueError, match="gradients"):
        optimizer.step([THETA0.copy(), THETA0.copy()], [GRADS[0]])


def test_reset_allows_a_different_number_of_params():
    optimizer = optimizers.get("adam", learning_rate=LR)
    optimizer.step([THETA0.copy()], [GRADS[0]])
    optimizer.reset()
    params = [THETA0.copy(), THETA0.copy()]
    optimizer.step(params, GRADS[:2])
    expected = [
        reference_adam(THETA0, [g], [LR], **_ADAM, **_PLAIN)[0] for g in GRADS[:2]
    ]
    assert_allclose(params, expected, rtol=RTOL, atol=0)


# --- Validation --------------------------------------------------------------


@pytest.mark.parametrize("name", ["nadam", "SGD", "", None])
def test_unknown_name_raises_listing_valid_names(name):
    with pytest.raises(ValueError, match=r"Unknown optimizer") as info:
        optimizers.get(name)
    for valid in ("'sgd'", "'adagrad'", "'rmsprop'", "'adam'"):
        assert valid in str(info.value)


@pytest.mark.parametrize(
    ("name", "kwargs", "match"),
    [
        ("sgd", {"momentum": 1.0}, "momentum"),
        ("sgd", {"momentum": -0.1}, "momentum"),
        ("sgd", {"nesterov": True}, "nesterov"),
        ("sgd", {"nesterov": True, "momentum": 0.0}, "nesterov"),
        ("sgd", {"learning_rate": -0.1}, "learning_rate"),
        ("sgd", {"learning_rate": 0.0}, "learning_rate"),
        ("adagrad", {"learning_rate": -0.1}, "learning_rate"),
        ("adagrad", {"epsilon": 0.0}, "epsilon"),
        ("adagrad", {"epsilon": -1e-8}, "epsilon"),
        ("rmsprop", {"learning_rate": -0.1}, "learning_rate"),
        ("rmsprop", {"rho": 1.0}, "rho"),
        ("rmsprop", {"rho": -0.1}, "rho"),
        ("rmsprop", {"momentum": 1.0}, "momentum"),
        ("rmsprop", {"epsilon": 0.0}, "epsilon"),
        ("adam", {"learning_rate": -0.1}, "learning_rate"),
        ("adam", {"learning_rate": float("nan")}, "learning_rate"),
        ("adam", {"beta_1": 1.0}, "beta_1"),
        ("adam", {"beta_1": -0.1}, "beta_1"),
        ("adam", {"beta_2": 1.0}, "beta_2"),
        ("adam", {"beta_2": 1.5}, "beta_2"),
        ("adam", {"epsilon": 0.0}, "epsilon"),
        ("adam", {"epsilon": -1e-8}, "epsilon"),
    ],
)
def test_invalid_hyperparameter_raises(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimizers.get(name, **kwargs)


# --- Behaviour ---------------------------------------------------------------

# f(θ) = ½‖Aθ − b‖² with A symmetric positive definite (condition number ≈ 2.9):
# the gradient is Aᵀ(Aθ − b) and the unique minimiser solves Aθ = b.
A = np.array([[2.0, 0.5, 0.0], [0.5, 1.5, 0.3], [0.0, 0.3, 1.0]])
B = np.array([1.0, -2.0, 0.5])


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("sgd", {"learning_rate": 0.2}),
        ("sgd", {"learning_rate": 0.05, "momentum": 0.9}),
        ("sgd", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
        ("adagrad", {"learning_rate": 0.5}),
        ("rmsprop", {"learning_rate": 0.01}),
        ("rmsprop", {"learning_rate": 0.01, "momentum": 0.5}),
        ("adam", {"learning_rate": 0.05}),
        ("adam", {"learning_rate": 0.05, "amsgrad": True}),
    ],
)
def test_optimizer_minimises_quadratic(name, kwargs):
    """From θ = 0, 300 steps bring θ within 1% of ‖θ*‖ of the minimiser θ*.

    Adaptive methods with a constant rate hover at a distance of order η around
    θ*, hence a relative rather than machine-precision criterion.
    """
    theta_star = np.linalg.solve(A, B)
    theta = np.zeros(3)
    optimizer = optimizers.get(name, **kwargs)
    for _ in range(300):
        optimizer.step([theta], [A.T @ (A @ theta - B)])
    assert np.linalg.norm(theta - theta_star) < 1e-2 * np.linalg.norm(theta_star)


@pytest.mark.parametrize("copy_of", ["deepcopy", "pickle"])
def test_a_copied_optimizer_keeps_its_state_arrays_live(copy_of):
    # A parameter larger than one block is updated through views of the state
    # arrays; a copy must update its own state arrays, not stale duplicates.
    rng = np.random.default_rng(0)
    param = rng.normal(size=optimizers.BLOCK_SIZE + 7)
    optimizer = optimizers.Adam(0.01)
    optimizer.step([param], [rng.normal(size=param.shape)])
    if copy_of == "deepcopy":
        twin = copy.deepcopy(optimizer)
    else:
        twin = pickle.loads(pickle.dumps(optimizer))
    twin_param = param.copy()
    for _ in range(3):
        grad = rng.normal(size=param.shape)
        optimizer.step([param], [grad])
        twin.step([twin_param], [grad])
    assert_array_equal(twin_param, param)
    for name, moment in optimizer._state[0].items():
        if name != "scratch":
            assert_array_equal(twin._state[0][name], moment)
