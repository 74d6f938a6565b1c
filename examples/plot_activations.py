"""
Activation functions and their derivatives
==========================================

Backpropagation multiplies the incoming gradient by the activation's
derivative :math:`f'(z)` at every hidden unit, so the shape of :math:`f'`
decides how well gradients flow. :func:`skdeep.nn.activations.get` returns
each activation as a small object: ``f(z)`` is its value and
``f.derivative(z, f(z))`` its derivative.
"""

# %%
# Evaluate every activation and its derivative on a grid, and check each
# analytic derivative against a numerical one from ``np.gradient`` (central
# differences on the grid, with an error of order :math:`h^2` for a grid step
# :math:`h`): the dots must sit on the curves.
import os

import matplotlib.pyplot as plt
import numpy as np

from skdeep.nn import activations

# 1 is the full example; the examples test runs every example with a small
# budget so that the gallery never rots unseen.
BUDGET = float(os.environ.get("SKDEEP_EXAMPLE_BUDGET", "1"))

z = np.linspace(-4, 4, max(41, round(801 * BUDGET)))
names = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "swish", "mish"]
fig, axes = plt.subplots(2, 4, figsize=(13, 6), sharex=True)
for ax, name in zip(axes.ravel(), names, strict=True):
    f = activations.get(name)
    a = f(z)
    derivative = f.derivative(z, a)
    numerical = np.gradient(a, z, edge_order=2)
    # Away from the kink at 0 (ReLU family), the two must agree closely.
    smooth = np.abs(z) > 2 * (z[1] - z[0])
    worst = np.max(np.abs(derivative - numerical)[smooth])
    print(f"{name:10s} max |f' − numerical f'| = {worst:.1e}")
    ax.plot(z, a, label="$f(z)$")
    ax.plot(z, derivative, label="$f'(z)$")
    step = max(1, len(z) // 20)
    ax.plot(z[::step], numerical[::step], "k.", markersize=4, label="numerical")
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.axvline(0, color="grey", linewidth=0.5)
    ax.set_title(name)
    ax.set_ylim(-1.5, 4)
axes[0, 0].legend(loc="upper left")
fig.tight_layout()

# %%
# What to read in the figure:
#
# * **sigmoid** :math:`\sigma(z) = 1/(1 + e^{-z})` has
#   :math:`\sigma' = \sigma(1 - \sigma) \le 1/4`, and almost 0 once
#   :math:`|z| > 4`: through ten sigmoid layers a gradient shrinks by at least
#   :math:`4^{10} \approx 10^6`, the *vanishing gradient*.
# * **tanh** is a rescaled sigmoid, :math:`\tanh z = 2\sigma(2z) - 1`:
#   zero-centred with :math:`\tanh'(0) = 1`, but it saturates just the same.
# * **relu** :math:`\max(z, 0)` has derivative exactly 1 for :math:`z > 0`:
#   no shrinking, whatever the depth. For :math:`z < 0` it is exactly 0; a
#   unit that is negative for every input never learns again ("dead ReLU").
# * **leaky_relu** keeps a small slope (0.01) on the left, **elu**
#   (:math:`e^z - 1` on the left) a smooth one that saturates at −1, so
#   gradients never vanish entirely.
# * **gelu** :math:`z\,\Phi(z)` and **swish** :math:`z\,\sigma(z)` and
#   **mish** :math:`z \tanh(\mathrm{softplus}\,z)` are smooth ReLUs: they dip
#   slightly below zero and their derivatives overshoot 1 a little before
#   settling there. They are the defaults of most modern architectures.

# %%
# The vanishing gradient in numbers: the largest possible product of
# derivatives through ten layers, :math:`(\max_z f'(z))^{10}`. Even in the best
# case a sigmoid stack divides the gradient by a million; tanh and ReLU can
# pass it on unchanged (tanh only for units kept near :math:`z = 0`, ReLU for
# every active unit).
for name in ["sigmoid", "tanh", "relu"]:
    f = activations.get(name)
    best_slope = np.max(f.derivative(z, f(z)))
    print(
        f"{name:8s} best slope {best_slope:.2f}: through 10 layers at most "
        f"{best_slope**10:.1e}"
    )
plt.show()
