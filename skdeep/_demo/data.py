"""The demo's data: scikit-learn's bundled datasets or the user's CSV file.

Everything wrong with the user's input becomes a :class:`DemoInputError` with
a one-line message that says what to fix; the command line prints it and
exits with status 2.
"""

from __future__ import annotations

import csv
import io
import math
import pathlib
from dataclasses import dataclass

import numpy as np
from sklearn import datasets
from sklearn.utils.multiclass import type_of_target

CLASSIFICATION, REGRESSION = "classification", "regression"
# Bundled with scikit-learn: no network needed.
BUILTIN = {
    "digits": (datasets.load_digits, CLASSIFICATION),
    "breast_cancer": (datasets.load_breast_cancer, CLASSIFICATION),
    "wine": (datasets.load_wine, CLASSIFICATION),
    "iris": (datasets.load_iris, CLASSIFICATION),
    "diabetes": (datasets.load_diabetes, REGRESSION),
}
_MISSING = {"", "na", "nan", "n/a", "null", "none", "?"}
_DELIMITERS = (",", ";", "\t")
# StandardScaler squares the values: beyond this size the squares overflow
# float64 (about 1.8e308) and the scaled data become NaN; in a column whose
# values all stay below the smallest size, they underflow (below 2.2e-308) and
# the column is left unscaled, as if constant (linear data then scored R² < 0).
_LARGEST_VALUE = 1e150
_SMALLEST_VALUE = 1e-150
# The most of a --csv file the demo reads: the parsed table takes several
# times its size in memory, and a device (/dev/zero) or a FIFO never ends.
MAX_CSV_BYTES = 256 * 2**20


class DemoInputError(ValueError):
    """The user's data or options cannot be used; the message says why."""


@dataclass(frozen=True)
class Dataset:
    """Features, target and the kind of learning problem they pose."""

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str

    def describe(self) -> str:
        n_samples, n_features = self.X.shape
        if self.task == CLASSIFICATION:
            kind = f"{np.unique(self.y).size} classes"
        else:
            kind = "numeric target"
        return f"{self.name}: {n_samples} samples, {n_features} features, {kind}"


def load_builtin(name: str) -> Dataset:
    """One of scikit-learn's bundled datasets, by name (a key of ``BUILTIN``)."""
    loader, task = BUILTIN[name]
    X, y = loader(return_X_y=True)
    return Dataset(name, X.astype(np.float64), y, task)


def load_csv(path: str | pathlib.Path, target: str, task: str = "auto") -> Dataset:
    """Read a CSV file with a header row; ``target`` names the column to predict.

    The other columns are the features and must all be numeric. ``task`` is
    "auto" (decided by :func:`sklearn.utils.multiclass.type_of_target`),
    "classification" or "regression".
    """
    path = pathlib.Path(path)
    header, rows = _read_table(path)
    if target not in header:
        raise DemoInputError(
            f"no column {target!r} in {path}; its columns are: {', '.join(header)}"
        )
    if len(header) < 2:
        raise DemoInputError(f"{path} has no feature columns besides {target!r}")
    columns = list(zip(*rows, strict=True))
    features = [name for name in header if name != target]
    X = _numeric_features(
        path, {name: columns[header.index(name)] for name in features}
    )
    y = _target(path, target, columns[header.index(target)])
    if y.dtype.kind == "f" and task != CLASSIFICATION:
        # Before deciding the task: type_of_target casts to int, which also
        # overflows.
        _check_scale(path, y[:, np.newaxis], [target])
    return Dataset(path.name, X, y, _decide_task(y, target, task))


def _read_table(path: pathlib.Path) -> tuple[list[str], list[list[str]]]:
    try:
        text = _read_bounded(path).decode("utf-8-sig")
    except FileNotFoundError:
        raise DemoInputError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise DemoInputError(f"{path} is a directory, not a CSV file") from None
    except UnicodeDecodeError:
        raise DemoInputError(f"{path} is not UTF-8 text") from None
    except OSError as error:
        raise DemoInputError(f"cannot read {path}: {error.strerror}") from None
    # The header decides the delimiter; csv skips blank lines before it too.
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(_DELIMITERS, key=header_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header, rows = None, []
    try:
        for fields in reader:
            if not any(field.strip() for field in fields):
                continue  # blank lines carry nothing
            fields = [field.strip() for field in fields]
            if header is None:
                header = fields
            elif len(fields) != len(header):
                raise DemoInputError(
                    f"line {reader.line_num} of {path} has {len(fields)} fields "
                    f"but the header has {len(header)}"
                )
            else:
                rows.append(fields)
    except csv.Error as error:
        raise DemoInputError(
            f"{path} is not valid CSV (line {reader.line_num}: {error})"
        ) from None
    if header is None:
        raise DemoInputError(f"{path} is empty; it needs a header row and data rows")
    if not rows:
        raise DemoInputError(f"{path} has a header but no data rows")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise DemoInputError(
            f"{path} repeats the column name(s) {_quoted(duplicates)}; "
            "names must be unique"
        )
    return header, rows


def _read_bounded(path: pathlib.Path) -> bytes:
    """The file's bytes, refused beyond ``MAX_CSV_BYTES`` (files, FIFOs, devices).

    Read in chunks: ``read(n)`` would allocate all n bytes up front.
    """
    chunks, size = [], 0
    with open(path, "rb") as file:
        while size <= MAX_CSV_BYTES:
            chunk = file.read(min(2**20, MAX_CSV_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    if size > MAX_CSV_BYTES:
        limit = (
            f"{MAX_CSV_BYTES / 2**20:g} MiB"
            if MAX_CSV_BYTES >= 2**20
            else f"{MAX_CSV_BYTES} bytes"
        )
        raise DemoInputError(
            f"{path} holds more than {limit}, the most the demo reads; use a "
            "sample of the rows"
        )
    return b"".join(chunks)


def _numeric_features(path, columns: dict[str, tuple[str, ...]]) -> np.ndarray:
    values, non_numeric, missing = [], [], []
    for name, cells in columns.items():
        parsed = [_to_float(cell) for cell in cells]
        if any(value is None for value in parsed):
            non_numeric.append(name)
        elif any(not math.isfinite(value) for value in parsed):
            missing.append(name)
        values.append(parsed)
    if non_numeric:
        raise DemoInputError(
            f"non-numeric feature column(s) {_quoted(non_numeric)} in {path}; "
            "the demo uses numeric features only: drop or encode them"
        )
    if missing:
        raise DemoInputError(
            f"missing or infinite values in feature column(s) {_quoted(missing)} "
            f"of {path}; fill in or drop those rows"
        )
    X = np.asarray(values, dtype=np.float64).T
    _check_scale(path, X, list(columns))
    return X


def _check_scale(path, values: np.ndarray, names: list[str]) -> None:
    """Refuse columns so large, or so small, that standardising them fails."""
    largest = np.abs(values).max(axis=0)
    too_large = np.flatnonzero(largest > _LARGEST_VALUE)
    if too_large.size:
        column = too_large[0]
        raise DemoInputError(
            f"column {names[column]!r} of {path} holds values up to "
            f"{largest[column]:.3g}; values beyond ±{_LARGEST_VALUE:g} overflow the "
            "scaling: rescale the column"
        )
    too_small = np.flatnonzero((largest > 0) & (largest < _SMALLEST_VALUE))
    if too_small.size:
        column = too_small[0]
        raise DemoInputError(
            f"column {names[column]!r} of {path} holds values no larger than "
            f"{largest[column]:.3g}; when all of a column's values are below "
            f"±{_SMALLEST_VALUE:g} their squares underflow and the scaling leaves "
            "it unscaled: rescale the column"
        )


def _target(path, name: str, cells: tuple[str, ...]) -> np.ndarray:
    blank = sum(cell.lower() in _MISSING for cell in cells)
    if blank:
        raise DemoInputError(
            f"the target column {name!r} of {path} has {blank} missing value(s); "
            "drop those rows"
        )
    parsed = [_to_float(cell) for cell in cells]
    if any(value is None for value in parsed):
        return np.asarray(cells, dtype=str)  # class labels
    infinite = sum(not math.isfinite(value) for value in parsed)
    if infinite:
        raise DemoInputError(
            f"the target column {name!r} of {path} has {infinite} infinite "
            "value(s); fix or drop those rows"
        )
    return np.asarray(parsed, dtype=np.float64)


def _decide_task(y: np.ndarray, name: str, task: str) -> str:
    if task == REGRESSION:
        if y.dtype.kind not in "fiu":
            raise DemoInputError(
                f"--task regression needs a numeric target, but column {name!r} "
                "holds text"
            )
        return REGRESSION
    if task == CLASSIFICATION:
        return CLASSIFICATION
    kind = type_of_target(y, input_name=name)
    if kind == "continuous":
        return REGRESSION
    if kind in ("binary", "multiclass"):
        return CLASSIFICATION
    raise DemoInputError(
        f"cannot tell the task from target column {name!r} ({kind}); "
        "choose --task classification or --task regression"
    )


def _to_float(cell: str) -> float | None:
    """The cell's number; NaN for a missing value; None for text."""
    if cell.lower() in _MISSING:
        return math.nan
    try:
        return float(cell)
    except ValueError:
        return None


def _quoted(names) -> str:
    return ", ".join(repr(name) for name in names)
