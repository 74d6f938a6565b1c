"""The best MLP's training curves, saved as an image when matplotlib is installed."""

from __future__ import annotations

import pathlib

from sklearn.base import BaseEstimator

FILE_NAME = "mlp_training_history.png"
INSTALL_HINT = 'pip install "skdeep[plot]"'


def matplotlib_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def save_training_history(
    estimator: BaseEstimator, path: pathlib.Path, *, title: str
) -> None:
    """Draw the fitted network's losses and validation score into ``path``.

    ``estimator`` is the searched pipeline, possibly inside a
    TransformedTargetRegressor (whose fitted pipeline is ``regressor_``).
    """
    # A bare Figure draws off-screen with no pyplot state and no GUI backend.
    from matplotlib.figure import Figure

    from ..plot import TrainingHistoryDisplay

    pipeline = getattr(estimator, "regressor_", estimator)
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    TrainingHistoryDisplay.from_estimator(pipeline, ax=figure.subplots(), name=title)
    figure.savefig(path, dpi=120)
