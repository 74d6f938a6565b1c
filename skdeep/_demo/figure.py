"""The best MLP's training curves, saved as an image when matplotlib is installed."""

from __future__ import annotations

import pathlib

from sklearn.base import BaseEstimator

# One install hint and one availability check, shared with skdeep.plot.
from ..plot import _INSTALL_HINT as INSTALL_HINT
from ..plot import TrainingHistoryDisplay
from ..plot import _matplotlib_available as matplotlib_available

__all__ = ["FILE_NAME", "INSTALL_HINT", "matplotlib_available", "save_training_history"]

FILE_NAME = "mlp_training_history.png"


def save_training_history(
    estimator: BaseEstimator, path: pathlib.Path, *, title: str
) -> None:
    """Draw the fitted network's losses and validation score into ``path``.

    ``estimator`` is the searched pipeline, possibly inside a
    TransformedTargetRegressor; TrainingHistoryDisplay unwraps both.
    """
    # A bare Figure draws off-screen with no pyplot state and no GUI backend.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), layout="constrained")
    TrainingHistoryDisplay.from_estimator(estimator, ax=figure.subplots(), name=title)
    figure.savefig(path, dpi=120)
