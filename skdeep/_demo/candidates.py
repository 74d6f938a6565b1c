"""The estimators the demo compares, each with a small grid of parameters.

Every estimator runs after a StandardScaler in a Pipeline; regressors also
learn a standardised target (TransformedTargetRegressor), so that the networks
see targets of order one whatever the units of the user's column.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sklearn.base import BaseEstimator, clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .. import (
    KNN,
    KNNRegressor,
    LeastSquaresRegressor,
    LogisticRegression,
    MLPClassifier,
    MLPRegressor,
    SoftmaxClassifier,
)
from .data import CLASSIFICATION, REGRESSION, DemoInputError

# The final step's name in the pipeline, and so the prefix of the grid's keys.
STEP = "model"
_SEED = 0


@dataclass(frozen=True)
class Candidate:
    """An estimator in its preprocessing pipeline, with the grid to search."""

    key: str
    model: BaseEstimator
    grid: dict[str, list] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return type(self.model).__name__

    def pipeline(self, task: str) -> BaseEstimator:
        steps = Pipeline([("scale", StandardScaler()), (STEP, clone(self.model))])
        if task == REGRESSION:
            return TransformedTargetRegressor(steps, transformer=StandardScaler())
        return steps

    def param_grid(self, task: str) -> dict[str, list]:
        prefix = f"regressor__{STEP}__" if task == REGRESSION else f"{STEP}__"
        return {prefix + key: values for key, values in self.grid.items()}


def _classifiers(quick: bool) -> list[Candidate]:
    if quick:  # seconds in all: tiny grids and few epochs
        return [
            Candidate(
                "mlp",
                MLPClassifier(
                    hidden_layer_sizes=(32,),
                    learning_rate_init=0.01,
                    early_stopping=True,
                    max_iter=20,
                    random_state=_SEED,
                ),
            ),
            Candidate("softmax", SoftmaxClassifier(max_iter=200), {"C": [1.0]}),
            Candidate("logistic", LogisticRegression(max_iter=200), {"C": [1.0]}),
            Candidate("knn", KNN(), {"n_neighbors": [3, 5]}),
        ]
    return [
        Candidate(
            # Early stopping holds out a validation set, so the figure shows
            # validation curves; it also ends each fit once they stall. skdeep
            # counts a tied accuracy with a falling validation loss as progress,
            # so tol=1e-3 (not 1e-4) keeps the slow tail of the loss from
            # running every fit to max_iter.
            "mlp",
            MLPClassifier(
                early_stopping=True, tol=1e-3, max_iter=300, random_state=_SEED
            ),
            {
                "hidden_layer_sizes": [(64,), (128,), (128, 64)],
                "activation": ["relu", "gelu"],
                "alpha": [1e-4, 1e-2],
            },
        ),
        Candidate(
            "softmax", SoftmaxClassifier(max_iter=1000), {"C": [0.01, 0.1, 1.0, 10.0]}
        ),
        Candidate(
            "logistic",
            LogisticRegression(max_iter=1000),
            {"C": [0.01, 0.1, 1.0, 10.0]},
        ),
        Candidate(
            "knn",
            KNN(),
            {"n_neighbors": [1, 3, 5, 9, 15], "weights": ["uniform", "distance"]},
        ),
    ]


def _regressors(quick: bool) -> list[Candidate]:
    if quick:
        return [
            Candidate(
                "mlp",
                MLPRegressor(
                    hidden_layer_sizes=(32,),
                    learning_rate_init=0.01,
                    early_stopping=True,
                    max_iter=20,
                    random_state=_SEED,
                ),
            ),
            Candidate("least_squares", LeastSquaresRegressor(), {"alpha": [1.0]}),
            Candidate("knn", KNNRegressor(), {"n_neighbors": [3, 5]}),
        ]
    return [
        Candidate(
            "mlp",
            MLPRegressor(
                early_stopping=True, tol=1e-3, max_iter=500, random_state=_SEED
            ),
            {
                "hidden_layer_sizes": [(32,), (64,), (64, 32)],
                "activation": ["relu", "gelu"],
                "alpha": [1e-4, 1e-1],
            },
        ),
        Candidate(
            "least_squares",
            LeastSquaresRegressor(),
            {"alpha": [0.0, 0.1, 1.0, 10.0, 100.0]},
        ),
        Candidate(
            "knn",
            KNNRegressor(),
            {"n_neighbors": [3, 5, 9, 15, 25], "weights": ["uniform", "distance"]},
        ),
    ]


def valid_names(task: str) -> list[str]:
    """The short names that ``--estimators`` accepts for ``task``."""
    return [candidate.key for candidate in _for_task(task, quick=True)]


def choose(task: str, names: list[str] | None, *, quick: bool) -> list[Candidate]:
    """The candidates for ``task``, all of them or those named (short or class name).

    Raises
    ------
    DemoInputError
        When a name is not an estimator for ``task``; the message lists the
        valid names.
    """
    available = _for_task(task, quick=quick)
    if not names:
        return available
    by_name = {}
    for candidate in available:
        by_name[candidate.key] = by_name[candidate.name.lower()] = candidate
    chosen, unknown = [], []
    for name in names:
        candidate = by_name.get(name.strip().lower())
        if candidate is None:
            unknown.append(name)
        elif candidate not in chosen:
            chosen.append(candidate)
    if unknown:
        raise DemoInputError(
            f"unknown estimator(s) {', '.join(repr(name) for name in unknown)} for "
            f"{task}; choose from: {', '.join(valid_names(task))}"
        )
    return chosen


def fit_to_folds(candidates: list[Candidate], n_fold_samples: int) -> list[Candidate]:
    """The candidates with grids that every cross-validation fold can fit.

    A nearest-neighbour model asks for at most as many neighbours as it has
    training samples, so ``n_neighbors`` values above ``n_fold_samples`` (the
    smallest training fold) are dropped; when none is left, ``n_fold_samples``
    itself is searched, so that small data still get a leaderboard.
    """
    fitted = []
    for candidate in candidates:
        values = candidate.grid.get("n_neighbors")
        if values is not None and max(values) > n_fold_samples:
            kept = [value for value in values if value <= n_fold_samples]
            grid = {**candidate.grid, "n_neighbors": kept or [n_fold_samples]}
            candidate = replace(candidate, grid=grid)
        fitted.append(candidate)
    return fitted


def _for_task(task: str, *, quick: bool) -> list[Candidate]:
    if task == CLASSIFICATION:
        return _classifiers(quick)
    return _regressors(quick)
