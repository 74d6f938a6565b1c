"""
Bagging networks: many MLPs versus one
======================================

A flexible network trained on a small noisy sample has high *variance*: a
different sample, or just a different random seed, gives a visibly different
boundary. Bagging (bootstrap aggregating) trains several copies on bootstrap
resamples of the data and averages their predicted probabilities. The
average keeps what the copies agree on, the signal, and cancels much of what
they disagree on, the noise each one fitted. skdeep's estimators are
scikit-learn estimators, so :class:`sklearn.ensemble.BaggingClassifier` takes
an :class:`skdeep.MLPClassifier` as it is.
"""

# %%
# Data: 150 noisy moons to train on, 2000 to test on.
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.ensemble import BaggingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay

from skdeep import MLPClassifier

# 1 is the full example; the examples test runs every example with a small
# budget so that the gallery never rots unseen.
BUDGET = float(os.environ.get("SKDEEP_EXAMPLE_BUDGET", "1"))
EPOCHS = max(3, round(300 * BUDGET))
N_MODELS = max(2, round(15 * BUDGET))

X_train, y_train = make_moons(150, noise=0.35, random_state=0)
X_test, y_test = make_moons(2000, noise=0.35, random_state=1)


def make_network(seed):
    # Unregularised and trained long: a high-variance learner, on purpose.
    return MLPClassifier(
        (64, 64),
        alpha=0.0,
        learning_rate_init=0.01,
        max_iter=EPOCHS,
        n_iter_no_change=np.inf,
        random_state=seed,
    )


# %%
# The single networks differ only in their seed (initial weights and
# minibatch order). The ensemble resamples the training set with replacement
# for each member (``bootstrap=True``), which decorrelates the members more
# than seeds alone, and predicts with the mean of their ``predict_proba``.
with warnings.catch_warnings():
    # A fixed number of epochs, on purpose: not converging is expected.
    warnings.simplefilter("ignore", ConvergenceWarning)
    singles = [make_network(seed).fit(X_train, y_train) for seed in range(3)]
    bagging = BaggingClassifier(
        make_network(None), n_estimators=N_MODELS, random_state=0
    ).fit(X_train, y_train)

for seed, model in enumerate(singles):
    print(
        f"single MLP, seed {seed}:     test accuracy {model.score(X_test, y_test):.3f}"
    )
print(
    f"bagging {N_MODELS} MLPs:         test accuracy "
    f"{bagging.score(X_test, y_test):.3f}"
)

# %%
# Top: three single networks. Each draws its own wiggles and islands around
# noisy points, with probabilities near 0 or 1 right next to them; the
# wiggles differ from seed to seed, which is the variance. Bottom left: the
# bagged ensemble draws a smooth boundary with a band of honest uncertainty
# where the moons overlap, and scores higher on the test set. Bottom right: the
# spread between the members' probabilities (their standard deviation) is
# highest where the data say little, far from the training points and where
# the classes overlap: a free map of the model's uncertainty. Bottom right:
# the test accuracies side by side.
fig, axes = plt.subplots(2, 3, figsize=(13, 7.5), sharex=True, sharey=True)
resolution = max(20, round(150 * BUDGET))
for ax, (seed, model) in zip(axes[0], enumerate(singles), strict=True):
    DecisionBoundaryDisplay.from_estimator(
        model,
        X_test,
        response_method="predict_proba",
        grid_resolution=resolution,
        cmap="RdBu",
        alpha=0.7,
        ax=ax,
    )
    ax.set_title(f"one MLP, seed {seed}: {model.score(X_test, y_test):.3f}")
display = DecisionBoundaryDisplay.from_estimator(
    bagging,
    X_test,
    response_method="predict_proba",
    grid_resolution=resolution,
    cmap="RdBu",
    alpha=0.7,
    ax=axes[1, 0],
)
axes[1, 0].set_title(f"bagging {N_MODELS} MLPs: {bagging.score(X_test, y_test):.3f}")
grid = np.c_[display.xx0.ravel(), display.xx1.ravel()]
members = np.stack(
    [
        member.predict_proba(grid[:, features])[:, 1]
        for member, features in zip(
            bagging.estimators_, bagging.estimators_features_, strict=True
        )
    ]
)
spread = axes[1, 1].contourf(
    display.xx0,
    display.xx1,
    members.std(axis=0).reshape(display.xx0.shape),
    cmap="Greys",
)
fig.colorbar(spread, ax=axes[1, 1])
axes[1, 1].set_title("spread of the members' probabilities")
point_colors = np.array(["tab:red", "tab:blue"])[y_train]
for ax in axes.ravel()[:5]:
    ax.scatter(*X_train.T, c=point_colors, edgecolors="k", linewidths=0.5, s=15)
scores = [model.score(X_test, y_test) for model in singles]
scores.append(bagging.score(X_test, y_test))
names = [f"seed {seed}" for seed in range(len(singles))] + ["bagging"]
accuracy_ax = fig.add_subplot(2, 3, 6)  # its own axes: not shared with the maps
axes[1, 2].remove()
accuracy_ax.bar(names, scores, color=["grey"] * len(singles) + ["tab:purple"])
accuracy_ax.set_ylim(min(scores) - 0.03, max(scores) + 0.01)
accuracy_ax.set_ylabel("test accuracy")
fig.tight_layout()
plt.show()
