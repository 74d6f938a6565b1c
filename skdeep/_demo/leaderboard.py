"""Grid searches on a training split, scores on a held-out split, one table.

Each candidate is tuned by :class:`~sklearn.model_selection.GridSearchCV` on
the training part; its best configuration, refitted on the whole training
part, is then scored once on the held-out part. All randomness is seeded, so
the table is the same from run to run.
"""

from __future__ import annotations

import csv
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, mean_absolute_error, r2_score
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    ParameterGrid,
    StratifiedKFold,
    train_test_split,
)
from threadpoolctl import threadpool_limits

from .candidates import Candidate
from .data import CLASSIFICATION, Dataset, DemoInputError

TEST_SIZE = 0.25
SEED = 0


class SearchError(ValueError):
    """A candidate's grid search failed; the message names the estimator."""


@dataclass(frozen=True)
class Split:
    """The training and held-out parts, and the folds that split the training part."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    folds: KFold | StratifiedKFold

    @property
    def smallest_training_fold(self) -> int:
        """The fewest samples any cross-validation fit trains on."""
        return min(
            len(train) for train, _ in self.folds.split(self.X_train, self.y_train)
        )

    def describe(self) -> str:
        kind = "stratified" if isinstance(self.folds, StratifiedKFold) else "shuffled"
        return (
            f"{len(self.y_train)} training / {len(self.y_test)} held-out samples "
            f"({kind} split); {self.folds.get_n_splits()}-fold {kind} "
            "cross-validation on the training part"
        )


@dataclass(frozen=True)
class Row:
    """One line of the leaderboard."""

    name: str
    params: dict
    cv_mean: float
    cv_std: float
    test_scores: dict[str, float]
    fit_time: float  # refitting the best configuration on the training part
    search_time: float
    best_estimator: BaseEstimator


def split(dataset: Dataset, n_folds: int, *, class_hint: str = "") -> Split:
    """Hold out ``TEST_SIZE`` of the samples (stratified for classification).

    ``class_hint`` ends the messages about classes with too few samples (the
    command line suggests a regression there when it guessed the task).

    Raises
    ------
    DemoInputError
        When the data are too few for the split or for ``n_folds`` folds.
    """
    y = dataset.y
    n_test = math.ceil(TEST_SIZE * len(y))
    classification = dataset.task == CLASSIFICATION
    if classification:
        classes, counts = np.unique(y, return_counts=True)
        if classes.size < 2:
            only = classes[0].item()  # a Python scalar prints as 1, not np.int64(1)
            raise DemoInputError(
                f"the target of {dataset.name} has a single class ({only!r}); "
                "classification needs at least two"
            )
        if counts.min() < 2:
            rare = classes[counts.argmin()].item()
            raise DemoInputError(
                f"class {rare!r} of {dataset.name} has a single sample; every class "
                f"needs at least 2 (to train on and to test on){class_hint}"
            )
        if n_test < classes.size:
            raise DemoInputError(
                f"{dataset.name} has too few samples ({len(y)}) for a held-out "
                f"quarter that contains each of its {classes.size} classes{class_hint}"
            )
    X_train, X_test, y_train, y_test = train_test_split(
        dataset.X,
        y,
        test_size=TEST_SIZE,
        stratify=y if classification else None,
        random_state=SEED,
    )
    if classification:
        classes, counts = np.unique(y_train, return_counts=True)
        rare, fewest = classes[counts.argmin()].item(), counts.min()
        if fewest < 2:
            raise DemoInputError(
                f"class {rare!r} has a single training sample, too few to "
                f"cross-validate; add samples of that class{class_hint}"
            )
        if fewest < n_folds:
            raise DemoInputError(
                f"class {rare!r} has only {fewest} training samples, fewer than "
                f"the {n_folds} cross-validation folds; choose --cv {fewest} or fewer"
                f"{class_hint}"
            )
        folds = StratifiedKFold(n_folds, shuffle=True, random_state=SEED)
    else:
        if len(y_train) < 4:  # 2 folds of 2: the fewest that cross-validate
            raise DemoInputError(
                f"{dataset.name} has too few samples ({len(y)}) for a held-out "
                "quarter and 2-fold cross-validation on the rest; the demo needs "
                f"at least {_fewest_samples(4)} samples"
            )
        if len(y_train) < 2 * n_folds:
            raise DemoInputError(
                f"{len(y_train)} training samples are too few for {n_folds} "
                f"cross-validation folds; choose --cv {max(2, len(y_train) // 2)} "
                "or fewer"
            )
        folds = KFold(n_folds, shuffle=True, random_state=SEED)
    return Split(X_train, X_test, y_train, y_test, folds)


def _fewest_samples(n_train: int) -> int:
    """The fewest samples that leave ``n_train`` after the held-out part."""
    n_samples = n_train
    while n_samples - math.ceil(TEST_SIZE * n_samples) < n_train:
        n_samples += 1
    return n_samples


def search(candidate: Candidate, data: Split, task: str, n_jobs: int | None) -> Row:
    """Tune ``candidate`` by cross-validation, then score it on the held-out part."""
    classification = task == CLASSIFICATION
    grid_search = GridSearchCV(
        candidate.pipeline(task),
        candidate.param_grid(task),
        scoring="accuracy" if classification else "r2",
        cv=data.folds,
        n_jobs=n_jobs,
        error_score="raise",  # a failing fit is a bug to see, not a NaN to rank
    )
    started = time.perf_counter()
    grid_search.fit(data.X_train, data.y_train)
    search_time = time.perf_counter() - started
    best = grid_search.best_index_
    results = grid_search.cv_results_
    predicted = grid_search.predict(data.X_test)
    if classification:
        test_scores = {"accuracy": accuracy_score(data.y_test, predicted)}
    else:
        test_scores = {
            "R²": r2_score(data.y_test, predicted),
            "MAE": mean_absolute_error(data.y_test, predicted),
        }
    return Row(
        name=candidate.name,
        # The grid's keys carry the pipeline path; the table shows the parameter.
        params={
            key.rsplit("__", 1)[-1]: value
            for key, value in grid_search.best_params_.items()
        },
        cv_mean=float(results["mean_test_score"][best]),
        cv_std=float(results["std_test_score"][best]),
        test_scores={key: float(value) for key, value in test_scores.items()},
        fit_time=float(grid_search.refit_time_),
        search_time=search_time,
        best_estimator=grid_search.best_estimator_,
    )


def run(
    candidates: list[Candidate],
    data: Split,
    task: str,
    *,
    n_jobs: int | None,
    quick: bool,
    report: Callable[[str], None] = print,
) -> list[Row]:
    """Search every candidate, reporting progress; rows sorted by CV score."""
    metric = score_name(task)
    rows = []
    for number, candidate in enumerate(candidates, start=1):
        n_configs = len(ParameterGrid(candidate.param_grid(task)))
        n_folds = data.folds.get_n_splits()
        report(
            f"[{number}/{len(candidates)}] {candidate.name}: {n_configs} "
            f"configuration(s) x {n_folds} folds = {n_configs * n_folds} fits ..."
        )
        # The demo's fits multiply small matrices (minibatches of 200 rows, layers
        # of at most 128 units), where BLAS threads cost more than they save:
        # on two busy cores they made the default run 4x slower in CPU time.
        # Parallelism comes from --n-jobs, one process per fit, instead.
        with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
            if quick:
                # --quick cuts training short on purpose; saying so per fit is noise.
                warnings.simplefilter("ignore", ConvergenceWarning)
            try:
                row = search(candidate, data, task, n_jobs)
            except (ValueError, FloatingPointError) as error:
                # Includes skdeep.nn.TrainingDivergedError. With error_score="raise"
                # the fit's own message comes through; say which estimator it was.
                message = " ".join(str(error).split())  # one line
                raise SearchError(
                    f"the grid search of {candidate.name} failed: {message}"
                ) from error
        report(
            f"[{number}/{len(candidates)}] {candidate.name}: CV {metric} "
            f"{row.cv_mean:.3f} ± {row.cv_std:.3f}, done in {row.search_time:.1f} s"
        )
        rows.append(row)
    return sorted(rows, key=lambda row: -row.cv_mean)


def score_name(task: str) -> str:
    return "accuracy" if task == CLASSIFICATION else "R²"


def format_params(params: dict) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in params.items()) or "-"


def format_table(rows: list[Row], task: str) -> str:
    """The leaderboard as aligned plain text, one line per estimator."""
    metric = score_name(task)
    header = ["#", "estimator", "best parameters", f"CV {metric} ± std"]
    header += [f"test {name}" for name in rows[0].test_scores] + ["fit time"]
    lines = [header]
    for rank, row in enumerate(rows, start=1):
        lines.append(
            [
                str(rank),
                row.name,
                format_params(row.params),
                f"{row.cv_mean:.3f} ± {row.cv_std:.3f}",
                *(
                    _format_score(name, value)
                    for name, value in row.test_scores.items()
                ),
                f"{row.fit_time:.2f} s",
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    rule = ["-" * width for width in widths]
    return "\n".join(
        "  ".join(
            cell.ljust(width) for cell, width in zip(line, widths, strict=True)
        ).rstrip()
        for line in [lines[0], rule, *lines[1:]]
    )


def write_csv(rows: list[Row], task: str, path) -> None:
    """The leaderboard as CSV, with full-precision numbers."""
    metric = _ascii(score_name(task))
    metrics = [_ascii(name) for name in rows[0].test_scores]
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            [
                "rank",
                "estimator",
                "best_parameters",
                f"cv_{metric}_mean",
                f"cv_{metric}_std",
                *(f"test_{name}" for name in metrics),
                "fit_time_s",
            ]
        )
        for rank, row in enumerate(rows, start=1):
            writer.writerow(
                [
                    rank,
                    row.name,
                    format_params(row.params),
                    row.cv_mean,
                    row.cv_std,
                    *row.test_scores.values(),
                    row.fit_time,
                ]
            )


def _ascii(name: str) -> str:
    """A CSV column name: 'R²' becomes 'r2'."""
    return name.replace("²", "2").lower()


def _format_score(name: str, value: float) -> str:
    # Accuracy and R² are fractions like the CV column; MAE is in the target's units.
    return f"{value:.4g}" if name == "MAE" else f"{value:.3f}"
