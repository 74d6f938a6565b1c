"""Plots of fitted skdeep estimators, in scikit-learn's Display style.

matplotlib is an optional dependency (the ``plot`` extra): this module imports
it only when something is drawn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

__all__ = ["TrainingHistoryDisplay"]

# How to get matplotlib; the ``python -m skdeep`` demo prints it too.
_INSTALL_HINT = 'pip install "skdeep[plot]"'
# The estimators that record ``history_`` (the ones trained epoch by epoch by
# skdeep.nn.train or L-BFGS), named in the error for the others.
_ESTIMATORS_WITH_HISTORY = "skdeep.MLPClassifier and skdeep.MLPRegressor"


def _matplotlib_available() -> bool:
    """Whether matplotlib (the optional ``plot`` extra) can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _import_matplotlib():
    if not _matplotlib_available():
        raise ImportError(
            "TrainingHistoryDisplay needs matplotlib, which is not installed; "
            f"install it with: {_INSTALL_HINT}"
        )


def _check_no_label(kwargs: dict) -> None:
    if "label" in kwargs:
        raise TypeError(
            "TrainingHistoryDisplay labels each curve itself ('training loss', "
            "'validation loss', ...); remove label=, and use name= for a title "
            "or the returned lines_ to relabel a curve."
        )


def _as_curve(values, name: str) -> np.ndarray | None:
    if values is None:
        return None
    curve = np.asarray(values, dtype=float)
    if curve.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D sequence of floats, got {curve.ndim}-D."
        )
    # An empty list means "not recorded", as in history_ without validation data.
    return curve if curve.size else None


class TrainingHistoryDisplay:
    """Training loss, validation loss and validation score against epochs.

    Build it from a fitted estimator with :meth:`from_estimator`, or from the
    curves themselves and then call :meth:`plot`. The losses share the left
    axis; the validation score has its own axis on the right.

    Parameters
    ----------
    loss : array-like of shape (n_epochs,)
        Training loss per epoch (per iteration for L-BFGS).
    val_loss : array-like of shape (n_epochs,), default=None
        Validation loss per epoch, when there was validation data.
    val_score : array-like of shape (n_epochs,), default=None
        Validation score per epoch (higher is better), when there was
        validation data.
    score_name : str, default="score"
        What ``val_score`` measures, for the axis label (e.g. "accuracy").
    step_name : str, default="epoch"
        What one point of the curves is, for the x-axis label.
    estimator_name : str, default=None
        Title of the plot. No title when None.

    Attributes
    ----------
    lines_ : dict of str to matplotlib Line2D
        The drawn curves under "loss" and, when given, "val_loss" and
        "val_score".
    ax_ : matplotlib Axes
        The axes of the losses.
    score_ax_ : matplotlib Axes or None
        The twin axes of the validation score; None without a score.
    figure_ : matplotlib Figure
        The figure holding the axes.

    See Also
    --------
    skdeep.MLPClassifier, skdeep.MLPRegressor : Estimators recording ``history_``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdeep import MLPClassifier
    >>> from skdeep.plot import TrainingHistoryDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> model = make_pipeline(
    ...     StandardScaler(),
    ...     MLPClassifier(early_stopping=True, tol=1e-3, random_state=0),
    ... ).fit(X, y)
    >>> display = TrainingHistoryDisplay.from_estimator(model)
    >>> sorted(display.lines_)
    ['loss', 'val_loss', 'val_score']
    >>> display.score_ax_.get_ylabel()
    'validation accuracy'
    >>> plt.close(display.figure_)
    """

    def __init__(
        self,
        *,
        loss,
        val_loss=None,
        val_score=None,
        score_name: str = "score",
        step_name: str = "epoch",
        estimator_name: str | None = None,
    ) -> None:
        self.loss = loss
        self.val_loss = val_loss
        self.val_score = val_score
        self.score_name = score_name
        self.step_name = step_name
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, name: str | None = None, **kwargs: Any):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes for the losses; a new figure and axes when None.
        name : str, default=None
            Title of the plot; ``estimator_name`` when None.
        **kwargs : dict
            Passed to matplotlib's ``plot`` for every curve (e.g. ``linewidth``,
            ``alpha``); they override the score curve's own style too, so
            ``color=`` recolours all the curves alike. Not ``label``: each
            curve has its own.

        Returns
        -------
        display : TrainingHistoryDisplay
            This object, with ``figure_``, ``ax_``, ``score_ax_`` and ``lines_``.
        """
        _import_matplotlib()
        _check_no_label(kwargs)
        loss = _as_curve(self.loss, "loss")
        if loss is None:
            raise ValueError("loss is empty: there is no training history to plot.")
        curves = {
            "val_loss": _as_curve(self.val_loss, "val_loss"),
            "val_score": _as_curve(self.val_score, "val_score"),
        }
        for key, curve in curves.items():
            if curve is not None and curve.shape != loss.shape:
                raise ValueError(
                    f"{key} has {curve.size} values but loss has {loss.size}; "
                    "the curves must cover the same epochs."
                )
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots()
        steps = np.arange(1, loss.size + 1)
        lines = {"loss": ax.plot(steps, loss, label="training loss", **kwargs)[0]}
        if curves["val_loss"] is not None:
            (lines["val_loss"],) = ax.plot(
                steps, curves["val_loss"], label="validation loss", **kwargs
            )
        ax.set_xlabel(self.step_name)
        ax.set_ylabel("loss")
        score_ax = None
        if curves["val_score"] is not None:
            score_ax = ax.twinx()
            # The third colour of the cycle, so the score never looks like a loss.
            (lines["val_score"],) = score_ax.plot(
                steps,
                curves["val_score"],
                label=f"validation {self.score_name}",
                **{"color": "C2", "linestyle": "--", **kwargs},
            )
            score_ax.set_ylabel(f"validation {self.score_name}")
        # One legend for the curves of both axes.
        ax.legend(handles=list(lines.values()), loc="center right")
        title = name if name is not None else self.estimator_name
        if title is not None:
            ax.set_title(title)
        self.lines_ = lines
        self.ax_ = ax
        self.score_ax_ = score_ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls, estimator, *, ax=None, name: str | None = None, **kwargs: Any
    ):
        """Plot the training history of a fitted estimator.

        Parameters
        ----------
        estimator : estimator, Pipeline or TransformedTargetRegressor
            A fitted estimator with a ``history_`` (skdeep's MLPClassifier and
            MLPRegressor), a fitted Pipeline ending in one, or a fitted
            TransformedTargetRegressor around either (its losses and scores
            are those of the transformed target).
        ax : matplotlib Axes, default=None
            Axes for the losses; a new figure and axes when None.
        name : str, default=None
            Title of the plot; the estimator's class name when None.
        **kwargs : dict
            Passed to matplotlib's ``plot`` for every curve, as in :meth:`plot`.

        Returns
        -------
        display : TrainingHistoryDisplay
            The display, with the curves drawn.
        """
        _import_matplotlib()
        _check_no_label(kwargs)
        if isinstance(estimator, TransformedTargetRegressor):
            check_is_fitted(estimator)
            estimator = estimator.regressor_  # the fitted copy of the regressor
        final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
        check_is_fitted(final)
        history = getattr(final, "history_", None)
        if not isinstance(history, dict) or "loss" not in history:
            raise TypeError(
                f"{type(final).__name__} records no training history (history_); "
                f"TrainingHistoryDisplay plots those of {_ESTIMATORS_WITH_HISTORY}."
            )
        if is_classifier(final):
            score_name = "accuracy"
        elif is_regressor(final):
            score_name = "R²"
        else:
            score_name = "score"
        # L-BFGS records one point per iteration and no learning rate.
        step_name = "epoch" if "learning_rate" in history else "iteration"
        display = cls(
            loss=history["loss"],
            val_loss=history.get("val_loss"),
            val_score=history.get("val_score"),
            score_name=score_name,
            step_name=step_name,
            estimator_name=type(final).__name__,
        )
        return display.plot(ax=ax, name=name, **kwargs)
