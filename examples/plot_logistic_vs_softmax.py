r"""
One-vs-rest versus softmax decision boundaries
==============================================

:class:`skdeep.LogisticRegression` (as scikit-learn's) and
:class:`skdeep.SoftmaxClassifier` fit the K score vectors of K > 2 classes
jointly, with

.. math:: p_k(x) = \frac{e^{w_k \cdot x + b_k}}{\sum_j e^{w_j \cdot x + b_j}} .

Wrapped in scikit-learn's ``OneVsRestClassifier``, LogisticRegression instead
fits one sigmoid per class, each separating its class from all the others
("one-vs-rest"), and normalises the K probabilities to sum to one. Both draw
straight boundaries, but not the same ones: this example shows where they
agree, and where they differ.
"""

# %%
# Two classes: LogisticRegression fits one sigmoid, SoftmaxClassifier two
# softmax scores, and they are the same model. With K = 2 the softmax
# depends only on the difference of the scores,
# :math:`p_1 = 1 / (1 + e^{-(z_1 - z_0)}) = \sigma(z_1 - z_0)`, a logistic
# regression with :math:`w = w_1 - w_0`. The penalties match too once we note
# that the softmax optimum has :math:`w_0 = -w_1 = -w/2`, so its
# :math:`\tfrac12(\|w_0\|^2 + \|w_1\|^2) = \tfrac14\|w\|^2`: the softmax
# classifier at ``C`` equals logistic regression at ``2C``.
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.multiclass import OneVsRestClassifier

from skdeep import LogisticRegression, SoftmaxClassifier

# 1 is the full example; the examples test runs every example with a small
# budget so that the gallery never rots unseen.
BUDGET = float(os.environ.get("SKDEEP_EXAMPLE_BUDGET", "1"))
RESOLUTION = max(30, round(300 * BUDGET))

X2, y2 = make_blobs(200, centers=2, cluster_std=2.0, random_state=0)
softmax = SoftmaxClassifier(C=1.0, tol=1e-8).fit(X2, y2)
logistic = LogisticRegression(C=2.0, tol=1e-8).fit(X2, y2)
print("softmax  w1 - w0:", softmax.coef_[1] - softmax.coef_[0])
print("logistic w      :", logistic.coef_[0])

# %%
# Three classes in a row, the middle one shifted up a little. For the
# one-vs-rest model, the middle class against "left or right" is not
# linearly separable: the best straight line for it is nearly useless, so its
# sigmoid stays low everywhere, and the middle class only wins a thin strip
# where the two outer sigmoids are both unsure. This is called *masking*.
# The softmax compares the three scores with each other rather than each
# class with all the rest, so the middle class gets a proper wedge.
COLORS = ["tab:red", "tab:blue", "tab:green"]
X, y = make_blobs(
    300, centers=[(-3, 0), (0, 0.5), (3, 0)], cluster_std=1.0, random_state=0
)
models = {
    "one-vs-rest LogisticRegression": OneVsRestClassifier(LogisticRegression()).fit(
        X, y
    ),
    "LogisticRegression (multinomial)": LogisticRegression().fit(X, y),
}

# %%
# Colour intensity is the probability of the winning class. Note how pale
# the one-vs-rest map is around the middle class, and how its middle region
# is narrower than the softmax's, so that it misclassifies more middle points.
fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
DecisionBoundaryDisplay.from_estimator(
    softmax,
    X2,
    response_method="predict_proba",
    grid_resolution=RESOLUTION,
    cmap="RdBu",
    alpha=0.6,
    ax=axes[0],
)
axes[0].scatter(*X2.T, c=np.array(COLORS)[y2], edgecolors="k", linewidths=0.5, s=15)
axes[0].set_title("two classes: softmax = logistic (C × 2)")
for ax, (name, model) in zip(axes[1:], models.items(), strict=True):
    DecisionBoundaryDisplay.from_estimator(
        model,
        X,
        response_method="predict_proba",
        grid_resolution=RESOLUTION,
        multiclass_colors=COLORS,
        ax=ax,
    )
    ax.scatter(*X.T, c=np.array(COLORS)[y], edgecolors="k", linewidths=0.5, s=15)
    middle_recall = np.mean(model.predict(X[y == 1]) == 1)
    ax.set_title(f"{name}\nmiddle class recall {middle_recall:.2f}")
    print(
        f"{name}: accuracy {model.score(X, y):.3f}, middle recall {middle_recall:.3f}"
    )
fig.tight_layout()
plt.show()
