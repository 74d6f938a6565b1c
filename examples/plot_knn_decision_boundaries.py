r"""
k-nearest neighbours: the metric and k shape the boundary
=========================================================

:class:`skdeep.KNN` predicts the majority class among the ``n_neighbors``
training points closest to the query. "Closest" depends on the Minkowski
distance :math:`\|x - x'\|_p = (\sum_j |x_j - x'_j|^p)^{1/p}`: ``p=1`` is the
Manhattan distance, ``p=2`` the Euclidean one and ``p=np.inf`` the Chebyshev
distance :math:`\max_j |x_j - x'_j|`. This example shows how ``p`` and ``k``
change the decision boundary.
"""

# %%
# First, what each metric calls "distance 1": its unit ball. The L1 ball is
# a diamond, the L2 ball a circle, the L∞ ball a square. A nearest neighbour
# under L1 is the first training point that a growing diamond around the
# query touches; the boundaries below inherit these shapes.
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs
from sklearn.inspection import DecisionBoundaryDisplay

from skdeep import KNN

# 1 is the full example; the examples test runs every example with a small
# budget so that the gallery never rots unseen.
BUDGET = float(os.environ.get("SKDEEP_EXAMPLE_BUDGET", "1"))
RESOLUTION = max(30, round(250 * BUDGET))

metrics = {"L1 (p=1)": 1, "L2 (p=2)": 2, "L∞ (p=inf)": np.inf}
u, v = np.meshgrid(np.linspace(-1.5, 1.5, 301), np.linspace(-1.5, 1.5, 301))
fig, ax = plt.subplots(figsize=(4, 4))
for (name, p), color in zip(metrics.items(), ["C0", "C1", "C2"], strict=True):
    norm = np.linalg.norm(np.stack([u, v]), ord=p, axis=0)
    ax.contour(u, v, norm, levels=[1.0], colors=color)
    ax.plot([], [], color=color, label=name)
ax.set_aspect("equal")
ax.set_title(r"unit balls $\|x\|_p = 1$")
ax.legend(loc="lower right", fontsize="small")

# %%
# Three overlapping classes in the plane.
COLORS = ["tab:red", "tab:blue", "tab:green"]
CLASS_COLORS = np.array(COLORS)
X, y = make_blobs(
    n_samples=150, centers=[(-1, 0), (1, 1), (1, -1)], cluster_std=0.8, random_state=0
)

# %%
# One panel per metric (rows) and number of neighbours (columns). With
# ``k=1`` every training point owns the region closer to it than to any
# other (a Voronoi diagram in that metric): the boundary follows every
# point, mislabelled or not, and the training accuracy is 1 by construction.
# Under L1 and L∞ the cell walls run at 0°, 45° and 90°, echoing the diamond
# and the square; under L2 they run at any angle. As ``k`` grows the vote
# averages over a wider neighbourhood, the islands disappear and the
# boundary smooths out; the metric matters less and less. Too large a ``k``
# would wash out real structure too: ``k`` trades variance for bias, and
# cross-validation is how to choose it.
neighbours = [1, 7, 31]
fig, axes = plt.subplots(3, 3, figsize=(11, 10), sharex=True, sharey=True)
for row, (name, p) in zip(axes, metrics.items(), strict=True):
    for ax, k in zip(row, neighbours, strict=True):
        model = KNN(n_neighbors=k, p=p).fit(X, y)
        DecisionBoundaryDisplay.from_estimator(
            model,
            X,
            response_method="predict",
            grid_resolution=RESOLUTION,
            multiclass_colors=COLORS,
            alpha=0.35,
            ax=ax,
        )
        ax.scatter(*X.T, c=CLASS_COLORS[y], edgecolors="k", linewidths=0.5, s=20)
        ax.set_title(f"{name}, k={k}: training accuracy {model.score(X, y):.2f}")
fig.tight_layout()
plt.show()
