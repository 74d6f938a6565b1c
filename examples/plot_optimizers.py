"""
Optimizers compared: SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam
====================================================================

Six update rules train the same network from the same initial weights on the
same minibatches; only the rule differs. First we watch them on a
two-parameter valley where every step can be drawn, then on a real network.
"""

# %%
# The update rules, for a parameter :math:`w` with minibatch gradient
# :math:`g_t` and learning rate :math:`\eta`:
#
# * SGD: :math:`w \leftarrow w - \eta g_t`.
# * Momentum: :math:`v \leftarrow \mu v - \eta g_t,\ w \leftarrow w + v`.
#   The velocity :math:`v` averages recent gradients: oscillations across a
#   valley cancel, the steady slope along it accumulates (up to
#   :math:`1/(1-\mu)` = 10 times for :math:`\mu = 0.9`).
# * Nesterov: the same, with the gradient taken at the look-ahead point
#   :math:`w + \mu v`, which corrects an overshoot one step earlier.
# * AdaGrad: :math:`G \leftarrow G + g_t^2,\ w \leftarrow w - \eta g_t /
#   (\sqrt{G} + \epsilon)`: each coordinate gets its own step, smaller where
#   gradients have been large. :math:`G` only grows, so steps shrink for ever.
# * RMSProp: AdaGrad with a moving average :math:`G \leftarrow \rho G +
#   (1-\rho) g_t^2` instead of a sum, so steps stop shrinking.
# * Adam: momentum on :math:`g` and RMSProp on :math:`g^2`, both
#   bias-corrected for their zero start:
#   :math:`w \leftarrow w - \eta \hat m_t / (\sqrt{\hat v_t} + \epsilon)`.
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skdeep import MLPClassifier, nn

# 1 is the full example; the examples test runs every example with a small
# budget so that the gallery never rots unseen.
BUDGET = float(os.environ.get("SKDEEP_EXAMPLE_BUDGET", "1"))

# %%
# A narrow valley: :math:`f(w) = \tfrac12(w_1^2 + 50 w_2^2)`, fifty times
# more curved across (:math:`w_2`) than along (:math:`w_1`). Plain gradient
# descent must keep :math:`\eta` below :math:`2/50` to stay stable across the
# valley, and then crawls along it: each step shrinks :math:`w_1` by only
# :math:`1 - \eta`. The optimizers of :mod:`skdeep.nn` work on
# any list of arrays, so we can drive them by hand.
curvature = np.array([1.0, 50.0])
rules = {
    "SGD": nn.optimizers.SGD(0.038),
    "momentum": nn.optimizers.SGD(0.01, momentum=0.9),
    "Nesterov": nn.optimizers.SGD(0.01, momentum=0.9, nesterov=True),
    "AdaGrad": nn.optimizers.AdaGrad(0.8),
    "RMSProp": nn.optimizers.RMSProp(0.1),
    "Adam": nn.optimizers.Adam(0.3),
}
n_steps = max(5, round(30 * BUDGET))
paths = {}
for name, optimizer in rules.items():
    w = np.array([-4.0, 1.0])
    path = [w.copy()]
    for _ in range(n_steps):
        optimizer.step([w], [curvature * w])  # ∇f = (w₁, 50 w₂)
        path.append(w.copy())
    paths[name] = np.array(path)

# %%
# SGD zig-zags across the valley and is still far from the minimum at (0, 0);
# momentum swings from wall to wall but races along the floor, and Nesterov's
# look-ahead damps the swings; AdaGrad and RMSProp divide each coordinate by
# its own gradient scale, so both coordinates move at the same pace and they
# head almost straight for the minimum. Adam does the same with momentum on
# top, which carries it past the minimum and round in a loop.
grid_1, grid_2 = np.meshgrid(np.linspace(-4.5, 1.5, 100), np.linspace(-1.5, 1.5, 100))
fig, ax = plt.subplots(figsize=(8, 4.5))
ax.contour(grid_1, grid_2, 0.5 * (grid_1**2 + 50 * grid_2**2), levels=15, alpha=0.4)
for name, path in paths.items():
    ax.plot(*path.T, "o-", markersize=2.5, linewidth=1, label=name)
ax.plot(0, 0, "k*", markersize=12)
ax.set_xlabel("$w_1$")
ax.set_ylabel("$w_2$")
ax.set_title(f"{n_steps} steps on $f(w) = (w_1^2 + 50 w_2^2)/2$")
ax.legend(loc="lower right", fontsize="small")
fig.tight_layout()

# %%
# Now a real network: 64-64-10 ReLU on the 8×8 digits, minibatches of 64,
# each optimizer at a usual learning rate for it. ``random_state`` fixes the
# initial weights and the shuffling, so all six runs start identically.
X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
epochs = max(2, round(40 * BUDGET))
settings = {
    "SGD": dict(solver="sgd", learning_rate_init=0.01, momentum=0.0),
    "momentum": dict(
        solver="sgd", learning_rate_init=0.01, momentum=0.9, nesterovs_momentum=False
    ),
    "Nesterov": dict(solver="sgd", learning_rate_init=0.01, momentum=0.9),
    "AdaGrad": dict(solver="adagrad", learning_rate_init=0.05),
    "RMSProp": dict(solver="rmsprop", learning_rate_init=0.001),
    "Adam": dict(solver="adam", learning_rate_init=0.001),
}
curves = {}
with warnings.catch_warnings():
    # A fixed number of epochs, on purpose: not converging is expected.
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, options in settings.items():
        model = MLPClassifier(
            (64,), batch_size=64, max_iter=epochs, random_state=0, **options
        ).fit(X, y)
        curves[name] = model.history_["loss"]
        seconds = sum(model.history_["time"])
        print(f"{name:9s} final loss {curves[name][-1]:.4f}  ({seconds:.2f} s)")

# %%
# The training loss per epoch (``history_["loss"]``, the mean minibatch
# objective), on a log scale. Plain SGD is by far the slowest; momentum and
# Nesterov, with effectively ten-times larger steps along consistent
# directions, are close to each other at this small rate. AdaGrad, at its
# larger rate, is fastest at first, then slows as its accumulated :math:`G`
# grows; RMSProp, whose steps do not shrink, keeps going and ends lowest.
# Rankings depend on the learning rates and the problem: tune the rate of
# each optimizer before comparing them.
fig, ax = plt.subplots(figsize=(7, 4))
for name, curve in curves.items():
    ax.plot(np.arange(1, len(curve) + 1), curve, label=name)
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("training cross-entropy")
ax.legend()
fig.tight_layout()
plt.show()
