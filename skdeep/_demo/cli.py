"""The ``skdeep`` command: a leaderboard of skdeep's estimators on one dataset.

A mistake in the options or the data ends the program with one line on
stderr and exit status 2 (argparse's convention), never a traceback.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile

import skdeep

from . import candidates as candidates_module
from . import figure, leaderboard
from .data import (
    BUILTIN,
    CLASSIFICATION,
    REGRESSION,
    DemoInputError,
    load_builtin,
    load_csv,
)

DEFAULT_OUTPUT = pathlib.Path("skdeep-demo")
LEADERBOARD_FILE = "leaderboard.csv"


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but an error is one line (the usage is one ``--help`` away)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_folds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"needs at least 2 folds, got {value}")
    return value


def _n_jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError(
            "0 jobs cannot run anything; use a positive count, or -1 for all cores"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="skdeep",
        description=(
            "Compare skdeep's estimators on a dataset: each one in a StandardScaler "
            "pipeline, tuned by a small cross-validated grid search, then scored on "
            "held-out data. Prints a leaderboard and saves the best MLP's training "
            "curves (with matplotlib installed)."
        ),
    )
    parser.add_argument("--version", action="version", version=skdeep.__version__)
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--dataset",
        choices=list(BUILTIN),
        default=None,
        help="a dataset bundled with scikit-learn (default: digits)",
    )
    source.add_argument(
        "--csv",
        metavar="PATH",
        type=pathlib.Path,
        help="your own data: a CSV file with a header row and numeric features",
    )
    parser.add_argument(
        "--target", metavar="COLUMN", help="the column of --csv to predict"
    )
    parser.add_argument(
        "--task",
        choices=["auto", CLASSIFICATION, REGRESSION],
        default="auto",
        help=(
            "for --csv: 'auto' (default) regresses a continuous target and "
            "classifies anything else (text labels, integers)"
        ),
    )
    parser.add_argument(
        "--estimators",
        metavar="NAME",
        nargs="+",
        help=(
            "which estimators to compare, by short or class name (classification: "
            f"{', '.join(candidates_module.valid_names(CLASSIFICATION))}; "
            f"regression: {', '.join(candidates_module.valid_names(REGRESSION))}); "
            "default: all"
        ),
    )
    parser.add_argument(
        "--cv",
        type=_positive_folds,
        default=5,
        help="cross-validation folds (default: 5)",
    )
    parser.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        help="parallel fits in the grid searches; -1 uses all cores (default: 1)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny grids and short training: a smoke test that takes seconds",
    )
    parser.add_argument(
        "--output",
        metavar="DIR",
        type=pathlib.Path,
        default=DEFAULT_OUTPUT,
        help=(
            f"where the leaderboard CSV and the figure go (default: ./{DEFAULT_OUTPUT})"
        ),
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns the exit status (0, or 2 for a usage or data error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:  # --help, --version or a usage error
        return exit_request.code if isinstance(exit_request.code, int) else 2
    if (args.csv is None) != (args.target is None):
        return _fail("--csv and --target go together: --csv PATH --target COLUMN")
    if args.task != "auto" and args.csv is None:
        return _fail("--task applies to --csv data; the built-in datasets have theirs")
    try:
        dataset = (
            load_csv(args.csv, args.target, args.task)
            if args.csv is not None
            else load_builtin(args.dataset or "digits")
        )
        names = _split_names(args.estimators)
        chosen = candidates_module.choose(dataset.task, names, quick=args.quick)
        guessed_classes = (
            args.csv is not None
            and args.task == "auto"
            and dataset.task == CLASSIFICATION
            and dataset.y.dtype.kind == "f"
        )
        data = leaderboard.split(
            dataset,
            args.cv,
            class_hint=(
                "; if the target is a quantity, use --task regression"
                if guessed_classes
                else ""
            ),
        )
        chosen = candidates_module.fit_to_folds(chosen, data.smallest_training_fold)
        output = _make_output_directory(args.output)
    except DemoInputError as error:
        return _fail(str(error))

    print(f"skdeep {skdeep.__version__} demo on {dataset.describe()} ({dataset.task})")
    print(f"{data.describe()}; n_jobs={args.n_jobs or 1}", flush=True)
    try:
        rows = leaderboard.run(
            chosen,
            data,
            dataset.task,
            n_jobs=args.n_jobs,
            quick=args.quick,
            report=lambda line: print(line, flush=True),
        )
    except (ValueError, FloatingPointError) as error:
        # The data passed every check but a fit still failed (e.g. a diverging
        # network): the user gets the reason in one line, not a traceback.
        return _fail(" ".join(str(error).split()))
    print()
    print(f"Leaderboard (sorted by CV {leaderboard.score_name(dataset.task)}):")
    print(leaderboard.format_table(rows, dataset.task))
    print()
    csv_path = output / LEADERBOARD_FILE
    try:
        leaderboard.write_csv(rows, dataset.task, csv_path)
        print(f"Leaderboard saved to {csv_path}")
        _save_figure(rows, dataset.name, output)
    except OSError as error:  # e.g. the disk filled up during the searches
        return _fail(f"cannot write {error.filename or output}: {error.strerror}")
    return 0


def _save_figure(rows, dataset_name: str, output: pathlib.Path) -> None:
    networks = [row for row in rows if row.name.startswith("MLP")]
    if not networks:
        print("Figure skipped: no MLP among the estimators.")
        return
    if not figure.matplotlib_available():
        print(
            "Figure skipped: matplotlib is not installed; to get it: "
            f"{figure.INSTALL_HINT}"
        )
        return
    best = networks[0]
    path = output / figure.FILE_NAME
    title = f"{best.name} on {dataset_name}\n{leaderboard.format_params(best.params)}"
    figure.save_training_history(best.best_estimator, path, title=title)
    print(f"Training curves of the best {best.name} saved to {path}")


def _split_names(values: list[str] | None) -> list[str] | None:
    """``--estimators mlp knn`` and ``--estimators mlp,knn`` mean the same."""
    if values is None:
        return None
    names = [name for value in values for name in value.split(",") if name.strip()]
    if not names:
        raise DemoInputError("--estimators needs at least one name")
    return names


def _make_output_directory(path: pathlib.Path) -> pathlib.Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise DemoInputError(f"--output {path} exists and is not a directory") from None
    except OSError as error:
        raise DemoInputError(
            f"cannot create the output directory {path}: {error.strerror}"
        ) from None
    # mkdir succeeds on an existing read-only directory (or /proc): find out
    # now, not after every search has run.
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".skdeep-write-test"):
            pass
    except OSError as error:
        raise DemoInputError(
            f"cannot write to the output directory {path} ({error.strerror}); "
            "choose another --output"
        ) from None
    return path.resolve()


def _fail(message: str) -> int:
    print(f"skdeep: error: {message}", file=sys.stderr)
    return 2
