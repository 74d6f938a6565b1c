"""
Training a network with the NumPy core
======================================

Build a small network from :mod:`skdeep.nn` layers, check its gradients against
finite differences, train it on scikit-learn's bundled digits and plot the
training and validation loss.
"""

# %%
# Data: 8×8 digit images, standardised. The core takes one-hot targets for the
# softmax cross-entropy.
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from skdeep import nn

# 1 is the full example; the examples test runs every example with a small
# budget so that the gallery never rots unseen.
BUDGET = float(os.environ.get("SKDEEP_EXAMPLE_BUDGET", "1"))
EPOCHS = max(2, round(30 * BUDGET))

X, labels = load_digits(return_X_y=True)
X = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-8)
Y = np.eye(10)[labels]
rng = np.random.default_rng(0)
order = rng.permutation(len(X))
train, valid = order[:1400], order[1400:]

# %%
# The network: Dense → BatchNorm → GELU → Dropout → Dense.
net = nn.Sequential(
    [nn.Dense(64), nn.BatchNorm(), nn.Activation("gelu"), nn.Dropout(0.2), nn.Dense(10)]
)
net.build(X.shape[1], rng, np.float64)
loss = nn.losses.get("softmax_cross_entropy", label_smoothing=0.05)

# %%
# Before training, check backpropagation against central differences on a
# handful of rows: a relative error near 1e-9 means the gradients are right.
print("gradient check:", nn.check_gradients(net, loss, X[:8], Y[:8]))

# %%
# Train with Adam and a cosine schedule, keeping the best validation epoch.
steps = EPOCHS * int(np.ceil(len(train) / 64))
optimizer = nn.optimizers.get(
    "adam", learning_rate=nn.schedules.get("cosine", learning_rate=3e-3, T_max=steps)
)


def accuracy(y_true, probabilities):
    return float(np.mean(y_true.argmax(axis=1) == probabilities.argmax(axis=1)))


history = nn.train(
    net,
    loss,
    optimizer,
    X[train],
    Y[train],
    rng=rng,
    epochs=EPOCHS,
    batch_size=64,
    validation_data=(X[valid], Y[valid]),
    validation_score=accuracy,
    early_stopping=True,
    n_iter_no_change=10,
)
print(
    f"best validation accuracy {history.best_score:.3f} at epoch {history.best_epoch}"
)

# %%
# Loss curves. The training loss is the mean over the epoch's minibatches in
# training mode (dropout on, weights still improving during the epoch), so it
# sits above the validation loss. Both include label smoothing, which keeps
# them well above 0 even for correct, confident predictions.
fig, ax = plt.subplots()
epochs = np.arange(1, len(history.epochs["loss"]) + 1)
ax.plot(epochs, history.epochs["loss"], label="training loss")
ax.plot(epochs, history.epochs["val_loss"], label="validation loss")
ax.set_xlabel("epoch")
ax.set_ylabel("cross-entropy")
ax.legend()
plt.show()
