r"""
Batch normalization at a high learning rate
===========================================

Batch normalization standardises each hidden unit over the minibatch before
its activation,

.. math:: \hat z = \frac{z - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}},\qquad
          y = \gamma \hat z + \beta,

with :math:`\gamma, \beta` learned. Whatever the scale of the weights before
it, the layer's output keeps mean :math:`\beta` and standard deviation
:math:`\gamma`: a large update to one layer can no longer blow up the inputs
of the next. That is what lets a network with batch norm train at learning
rates where the same network without it dies. This example trains a
four-hidden-layer ReLU network with and without ``normalization="batch"``.
"""

# %%
# Data: the 8×8 digits, standardised, with a held-out test set.
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skdeep import MLPClassifier
from skdeep.nn import TrainingDivergedError

# 1 is the full example; the examples test runs every example with a small
# budget so that the gallery never rots unseen.
BUDGET = float(os.environ.get("SKDEEP_EXAMPLE_BUDGET", "1"))
EPOCHS = max(2, round(30 * BUDGET))

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)


def make_model(learning_rate, normalization):
    return MLPClassifier(
        (64, 64, 64, 64),
        solver="sgd",
        momentum=0.9,
        learning_rate_init=learning_rate,
        normalization=normalization,
        batch_size=64,
        max_iter=EPOCHS,
        random_state=0,
    )


# %%
# A sweep over learning rates, from a comfortable 0.01 to an absurd 3. A
# network whose loss overflows raises
# :class:`~skdeep.nn.TrainingDivergedError`; we record that as chance
# accuracy (0.1 for ten classes), which is what a dead network achieves.
rates = np.logspace(-2, np.log10(3), max(3, round(6 * BUDGET)))
accuracy = {None: [], "batch": []}
curves = {}
with warnings.catch_warnings():
    # A fixed number of epochs, on purpose: not converging is expected.
    warnings.simplefilter("ignore", ConvergenceWarning)
    for rate in rates:
        for normalization in accuracy:
            model = make_model(rate, normalization)
            try:
                model.fit(X_train, y_train)
                score = model.score(X_test, y_test)
            except TrainingDivergedError:
                score = 0.1
            accuracy[normalization].append(score)
            print(f"rate {rate:6.3f}  normalization={normalization!s:5s}  {score:.3f}")
    # The loss curves at a high rate of 0.3, one epoch per partial_fit call so
    # that the epochs before a divergence are kept.
    for normalization in accuracy:
        model, curves[normalization] = make_model(0.3, normalization), []
        for _ in range(EPOCHS):
            try:
                model.partial_fit(X_train, y_train, classes=np.unique(y_train))
            except TrainingDivergedError:
                break  # the loss became nan: the network is lost
            curves[normalization].append(model.loss_)

# %%
# Left: at a learning rate of 0.3 the plain network's loss overflows within
# its first epochs (skdeep raises :class:`~skdeep.nn.TrainingDivergedError`
# instead of going on with NaN weights, so its curve simply ends). With batch
# norm the same network at the same rate trains normally.
#
# Right: test accuracy after the same number of epochs across learning rates.
# Without batch norm, only the small rates work, and the network is lost from
# about 0.3 on; with it, a much wider range of rates trains well, so the rate
# needs less tuning (and larger rates can train faster).
fig, (ax_curve, ax_sweep) = plt.subplots(1, 2, figsize=(11, 4))
labels = {None: "no normalization", "batch": "batch norm"}
for normalization, curve in curves.items():
    ax_curve.plot(np.arange(1, len(curve) + 1), curve, label=labels[normalization])
ax_curve.axhline(np.log(10), color="k", linestyle=":", label="log 10 (chance)")
ax_curve.set_xlabel("epoch")
ax_curve.set_ylabel("training cross-entropy")
ax_curve.set_title("learning rate 0.3")
ax_curve.legend()
for normalization, scores in accuracy.items():
    ax_sweep.plot(rates, scores, "o-", label=labels[normalization])
ax_sweep.set_xscale("log")
ax_sweep.set_xlabel("learning rate")
ax_sweep.set_ylabel(f"test accuracy after {EPOCHS} epochs")
ax_sweep.legend()
fig.tight_layout()
plt.show()
