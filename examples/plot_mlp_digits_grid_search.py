"""
Handwritten digits: an MLP tuned by grid search
===============================================

MNIST in miniature: scikit-learn's bundled 8×8 digits (1797 images, 64
pixels, 10 classes). A :class:`~sklearn.pipeline.Pipeline` scales the pixels
and feeds an :class:`skdeep.MLPClassifier`;
:class:`~sklearn.model_selection.GridSearchCV` picks the hidden layer size
and the L2 strength by cross-validation. Everything is plain scikit-learn:
skdeep's estimators slot in wherever scikit-learn's do.
"""

# %%
# Hold out a test set before any tuning: the grid search may look at the
# training set only, or its choice would be tuned to the test set as well.
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeep import MLPClassifier

# 1 is the full example; the examples test runs every example with a small
# budget so that the gallery never rots unseen.
BUDGET = float(os.environ.get("SKDEEP_EXAMPLE_BUDGET", "1"))

digits = load_digits()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data, digits.target, test_size=0.25, stratify=digits.target, random_state=0
)

# %%
# The pipeline and the grid. Parameters of a pipeline step are addressed as
# ``<step>__<parameter>``. ``alpha`` ranges over five orders of magnitude:
# regularisation strengths matter multiplicatively, so a log-spaced grid
# covers them evenly. At a reduced budget the grid shrinks too.
pipeline = make_pipeline(
    StandardScaler(),
    MLPClassifier(
        learning_rate_init=0.01, max_iter=max(2, round(40 * BUDGET)), random_state=0
    ),
)
full_grid = BUDGET >= 0.5
grid = {
    "mlpclassifier__hidden_layer_sizes": [(16,), (64,), (128,)]
    if full_grid
    else [(16,), (64,)],
    "mlpclassifier__alpha": np.logspace(-3, 2, 6 if full_grid else 2),
}
search = GridSearchCV(pipeline, grid, cv=3)
with warnings.catch_warnings():
    # Small budgets stop before convergence, on purpose.
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)
print("best parameters:", search.best_params_)
print(
    f"cross-validated accuracy {search.best_score_:.3f}, "
    f"test accuracy {search.score(X_test, y_test):.3f}"
)

# %%
# The mean cross-validated accuracy over the grid. Small ``alpha`` barely
# matters, a moderate one (0.1 to 1) helps a little, and too large an
# ``alpha`` squeezes the weights towards zero until the network underfits,
# whatever its size. Differences below about 0.01 are within the noise of
# 3-fold cross-validation (``search.cv_results_["std_test_score"]``): the
# search picks a winner, but its runners-up are as good.
sizes = grid["mlpclassifier__hidden_layer_sizes"]
alphas = grid["mlpclassifier__alpha"]
# cv_results_ lists the candidates with the parameter names sorted, so alpha
# varies slowest; transpose to put the sizes on the rows.
scores = search.cv_results_["mean_test_score"].reshape(len(alphas), len(sizes)).T
fig, ax = plt.subplots(figsize=(7, 3))
image = ax.imshow(scores, cmap="viridis")
ax.set_xticks(range(len(alphas)), [f"{a:g}" for a in alphas])
ax.set_yticks(range(len(sizes)), [str(size[0]) for size in sizes])
ax.set_xlabel("alpha")
ax.set_ylabel("hidden units")
for (row, col), score in np.ndenumerate(scores):
    dark = score < scores.min() + 0.5 * np.ptp(scores)
    ax.text(
        col, row, f"{score:.3f}", ha="center", va="center", color="w" if dark else "k"
    )
fig.colorbar(image, ax=ax, label="CV accuracy")
fig.tight_layout()

# %%
# How the tuned network trains. :class:`skdeep.plot.TrainingHistoryDisplay`
# draws the per-epoch curves of ``history_``. A refit of the winner with
# ``early_stopping=True`` also holds out 10 % of the training rows and records
# the validation loss and accuracy: training stops once the validation
# accuracy has stalled for ``n_iter_no_change`` epochs, and keeps the weights
# of the best epoch.
from sklearn.base import clone

from skdeep.plot import TrainingHistoryDisplay

monitored = clone(search.best_estimator_).set_params(mlpclassifier__early_stopping=True)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    monitored.fit(X_train, y_train)
TrainingHistoryDisplay.from_estimator(monitored, name="the tuned MLP, early stopping")

# %%
# On the held-out test set: the confusion matrix (rows: true digit, columns:
# predicted) and some of the digits the tuned network gets wrong. Most
# mistakes are between digits that share strokes at 8×8 resolution.
predicted = search.predict(X_test)
wrong = np.flatnonzero(predicted != y_test)[:8]
fig = plt.figure(figsize=(12, 4.5))
ConfusionMatrixDisplay.from_predictions(
    y_test, predicted, colorbar=False, ax=fig.add_subplot(1, 2, 1)
)
for position, index in enumerate(wrong):
    ax = fig.add_subplot(2, 8, 5 + position + 4 * (position // 4))
    ax.imshow(X_test[index].reshape(8, 8), cmap="gray_r")
    ax.set_title(f"{y_test[index]} → {predicted[index]}")
    ax.axis("off")
fig.tight_layout()
plt.show()
