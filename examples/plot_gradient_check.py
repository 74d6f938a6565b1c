r"""
Gradient checking with finite differences, step by step
=======================================================

Backpropagation code can be wrong in ways that still train, just worse: a
missing factor, a transposed matrix, a sum where a mean belongs. The cure is
to compare it with derivatives computed from nothing but the function
itself, by finite differences. This example builds the method from one
variable up, then uses :func:`skdeep.nn.check_gradients` to validate a
network, and catches a planted bug in a custom layer.
"""

# %%
# One variable first. Taylor's theorem gives two estimates of :math:`f'(x)`:
#
# .. math::
#
#    \text{forward:}\quad \frac{f(x+h) - f(x)}{h} = f'(x) + \tfrac{h}{2} f''(x)
#    + O(h^2), \qquad
#    \text{central:}\quad \frac{f(x+h) - f(x-h)}{2h} = f'(x) + \tfrac{h^2}{6}
#    f'''(x) + O(h^4).
#
# The central difference's *truncation* error shrinks like :math:`h^2`
# rather than :math:`h`. But :math:`h` cannot be made arbitrarily small:
# :math:`f` is only known to about :math:`\epsilon \approx 10^{-16}` relative
# precision, and dividing that *round-off* by :math:`h` amplifies it. The
# total error is about :math:`h^2 + \epsilon / h` (central), smallest near
# :math:`h = \epsilon^{1/3} \approx 10^{-5}`, or :math:`h + \epsilon / h`
# (forward), smallest near :math:`h = \sqrt\epsilon \approx 10^{-8}`.
import os

import matplotlib.pyplot as plt
import numpy as np

from skdeep import nn

# 1 is the full example; the examples test runs every example with a small
# budget so that the gallery never rots unseen.
BUDGET = float(os.environ.get("SKDEEP_EXAMPLE_BUDGET", "1"))


def f(x):
    return np.sin(x) * np.exp(x)


def f_prime(x):  # by hand: the product rule
    return (np.cos(x) + np.sin(x)) * np.exp(x)


x = 1.0
steps = np.logspace(-14, -1, max(8, round(80 * BUDGET)))
forward_error = np.abs((f(x + steps) - f(x)) / steps - f_prime(x))
central_error = np.abs((f(x + steps) - f(x - steps)) / (2 * steps) - f_prime(x))

# %%
# On a log-log plot both errors are V-shaped: to the right of the V,
# truncation (slopes 1 and 2); to the left, round-off (slope −1). The central
# difference reaches about :math:`10^{-11}`, the forward one about
# :math:`10^{-8}`. This is why :func:`~skdeep.nn.check_gradients` uses
# central differences with ``eps=1e-6``, near the bottom of the V, and why it
# insists on float64: in float32 (:math:`\epsilon \approx 10^{-7}`) the best
# central difference is only good to about :math:`10^{-5}`.
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.loglog(steps, forward_error, label="forward difference")
ax.loglog(steps, central_error, label="central difference")
ax.loglog(steps, steps, "k:", linewidth=1, label="slope 1")
ax.loglog(steps, steps**2, "k--", linewidth=1, label="slope 2")
ax.set_xlabel("step $h$")
ax.set_ylabel("|estimate − $f'(x)$|")
ax.set_ylim(1e-13, 1)
ax.legend()
fig.tight_layout()

# %%
# A whole network. :func:`~skdeep.nn.check_gradients` perturbs every weight
# (and every input) by ±eps, recomputes the loss each time and compares the
# numerical gradient :math:`n` with backpropagation's :math:`a` as
# :math:`\|a - n\| / (\|a\| + \|n\|)`. Batch norm couples the rows of the
# batch and dropout draws random masks (replayed identically in every
# evaluation), so this network exercises the hard cases.
rng = np.random.default_rng(0)
net = nn.Sequential(
    [nn.Dense(6), nn.BatchNorm(), nn.Activation("gelu"), nn.Dropout(0.3), nn.Dense(3)]
)
net.build(4, rng, np.float64)
X = rng.normal(size=(8, 4))
Y = np.eye(3)[rng.integers(0, 3, size=8)]
loss = nn.losses.get("softmax_cross_entropy")
print(f"correct network: relative error {nn.check_gradients(net, loss, X, Y):.1e}")

# %%
# Now plant a bug. A layer that scales each feature by a learned factor,
# :math:`y_{ij} = s_j x_{ij}`, has :math:`\partial L/\partial s_j =
# \sum_i \delta_{ij} x_{ij}` with :math:`\delta = \partial L / \partial y`.
# The loss's gradient is already divided by the batch size, so averaging over
# the rows here divides by it a second time: a classic, silent bug (the
# network still trains, with a scale that learns n times too slowly).


class FeatureScale(nn.Layer):
    def __init__(self, buggy=False):
        super().__init__()
        self.buggy = buggy

    def build(self, n_in, rng, dtype=np.float64):
        self.scale = np.ones(n_in, dtype=dtype)
        self.params, self.grads = [self.scale], [np.zeros_like(self.scale)]
        return n_in

    def forward(self, X, training=False, rows=None, *, keep_for_backward=False):
        if training or keep_for_backward:  # a prediction stores nothing
            self._X = X
        return X * self.scale

    def backward(self, dY, input_grad=True):
        reduce = np.mean if self.buggy else np.sum  # the bug: mean, not sum
        self.grads[0][...] = reduce(dY * self._X, axis=0)
        return dY * self.scale if input_grad else None


for buggy in (False, True):
    layer_net = nn.Sequential([FeatureScale(buggy), nn.Activation("tanh"), nn.Dense(3)])
    layer_net.build(4, np.random.default_rng(1), np.float64)
    error = nn.check_gradients(layer_net, loss, X, Y)
    print(f"FeatureScale(buggy={buggy}): relative error {error:.1e}")

# %%
# The correct layer agrees to about :math:`10^{-10}`; the buggy one scores
# about 0.1, eight orders of magnitude worse, which no rounding could
# explain. As a rule of thumb,
# below :math:`10^{-7}` the gradient is right, above :math:`10^{-3}` it is
# wrong; in between, look closer (kinks such as ReLU's at 0 can cause that).
plt.show()
