"""
Overfitting and three cures: L2, dropout, early stopping
========================================================

A network with far more weights than training samples can memorise the
training set, noise included. The training loss then keeps falling towards
zero while the loss on new data turns round and climbs: the network has
stopped learning the pattern and started learning the noise. This example
makes a network overfit on purpose and compares three standard cures of
:class:`skdeep.MLPClassifier`: an L2 penalty (``alpha``), dropout
(``dropout``) and early stopping (``early_stopping``).
"""

# %%
# Data: 60 noisy "moons" to train on, 1000 more from the same distribution
# to measure what the network really learned. A 2-128-128-2 network has
# about 17,000 weights for 60 points: plenty of room to memorise.
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.metrics import log_loss

from skdeep import MLPClassifier

# 1 is the full example; the examples test runs every example with a small
# budget so that the gallery never rots unseen.
BUDGET = float(os.environ.get("SKDEEP_EXAMPLE_BUDGET", "1"))
EPOCHS = max(3, round(200 * BUDGET))

X_train, y_train = make_moons(60, noise=0.35, random_state=0)
X_valid, y_valid = make_moons(1000, noise=0.35, random_state=1)
classes = np.unique(y_train)

# %%
# Train epoch by epoch with ``partial_fit`` and record the cross-entropy
#
# .. math:: L = -\frac{1}{n}\sum_i \log p_{i, y_i}
#
# on both sets after every epoch. We measure the data term alone (no penalty),
# so that the curves of all models are comparable. The same seed gives every
# model the same initial weights and the same minibatches.


def train_with_curves(**options):
    model = MLPClassifier(
        (128, 128), learning_rate_init=0.01, batch_size=20, random_state=0, **options
    )
    train_loss, valid_loss = [], []
    for _ in range(EPOCHS):
        model.partial_fit(X_train, y_train, classes=classes)
        train_loss.append(log_loss(y_train, model.predict_proba(X_train)))
        valid_loss.append(log_loss(y_valid, model.predict_proba(X_valid)))
    return model, train_loss, valid_loss


# %%
# The three runs:
#
# * no cure: ``alpha=0``;
# * L2: ``alpha=1`` adds :math:`\frac{\alpha}{2n_b}\|W\|^2` to each minibatch's
#   loss (:math:`n_b` rows), which pulls every weight towards zero by
#   :math:`\eta\,\alpha W / n_b` per step ("weight decay"). Small weights
#   make a smooth function, which cannot follow every noisy point;
# * dropout: ``dropout=0.5`` zeroes each hidden unit with probability 1/2 at
#   every training step (and scales the survivors by 2 so that the expected
#   activation is unchanged). No unit can rely on a particular partner, which
#   makes co-adapted memorisation hard. At prediction time all units are on.
runs = {
    "no cure": train_with_curves(alpha=0.0),
    "L2 (alpha=1)": train_with_curves(alpha=1.0),
    "dropout 0.5": train_with_curves(alpha=0.0, dropout=0.5),
}

# %%
# Early stopping needs no extra training run of ours: ``fit`` holds out
# ``validation_fraction`` of the training data, watches the accuracy on it,
# stops after ``n_iter_no_change`` epochs without improvement and restores the
# weights of the best epoch. Its price: it trains on 80% of an already small
# set, and 12 validation points give a noisy signal.
stopped = MLPClassifier(
    (128, 128),
    alpha=0.0,
    learning_rate_init=0.01,
    batch_size=20,
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=10,
    max_iter=EPOCHS,
    random_state=0,
).fit(X_train, y_train)
best_epoch = int(np.argmax(stopped.validation_scores_)) + 1

# %%
# The curves. Without a cure (left) the training loss falls to almost zero
# while the validation loss reaches its minimum after a few epochs and then
# climbs far above it: each extra epoch makes the network *more confident*
# about a boundary that bends round noisy points, and the cross-entropy
# punishes confident mistakes heavily. The dotted line marks the epoch that
# early stopping kept. With L2 the two curves stay together: the penalty
# stops the weights, hence the confidence, from growing. Dropout slows the
# divergence down without removing it at this rate.
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
for ax, (name, (_, train_loss, valid_loss)) in zip(axes, runs.items(), strict=True):
    epochs = np.arange(1, EPOCHS + 1)
    ax.plot(epochs, train_loss, label="training")
    ax.plot(epochs, valid_loss, label="validation")
    ax.set_title(name)
    ax.set_xlabel("epoch")
    ax.set_yscale("log")
axes[0].axvline(best_epoch, color="k", linestyle=":", label="early stopping")
axes[0].set_ylabel("cross-entropy")
axes[0].legend()
fig.tight_layout()

# %%
# What the models learned. The uncured network draws islands and peninsulas
# around single noisy points, with full confidence; the cured ones draw
# smoother boundaries and are unsure near them, where the classes do overlap.
# The accuracy on the 1000 validation points tells the same story.
models = {name: run[0] for name, run in runs.items()}
models[f"early stopping (epoch {best_epoch})"] = stopped
fig, axes = plt.subplots(1, 4, figsize=(14, 3.6), sharey=True)
for ax, (name, model) in zip(axes, models.items(), strict=True):
    DecisionBoundaryDisplay.from_estimator(
        model,
        X_valid,
        response_method="predict_proba",
        grid_resolution=max(20, round(200 * BUDGET)),
        cmap="RdBu",
        alpha=0.6,
        ax=ax,
    )
    ax.scatter(*X_train.T, c=y_train, cmap="RdBu", edgecolors="k", linewidths=0.5)
    ax.set_title(f"{name}\nvalidation accuracy {model.score(X_valid, y_valid):.2f}")
    print(f"{name:32s} validation accuracy {model.score(X_valid, y_valid):.3f}")
fig.tight_layout()
plt.show()
