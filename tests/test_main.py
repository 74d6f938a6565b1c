"""The ``python -m skdeep`` demo: leaderboards, files written and every error path."""

import csv
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_iris
from sklearn.metrics import accuracy_score
from sklearn.model_selection import KFold, ParameterGrid, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skdeep
from skdeep.__main__ import main
from skdeep._demo import candidates as candidates_module
from skdeep._demo import data as data_module
from skdeep._demo import leaderboard
from skdeep._demo.data import CLASSIFICATION, REGRESSION, load_csv
from skdeep.nn import TrainingDivergedError

# The checkout under test, for the subprocesses (the installed skdeep may be another).
SOURCE_ROOT = str(Path(skdeep.__file__).resolve().parents[1])


def _run(capsys, *argv):
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _read_leaderboard(path):
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _iris_rows():
    data = load_iris()
    names = data.target_names[data.target]
    return [[*map(float, x), name] for x, name in zip(data.data, names, strict=True)]


IRIS_HEADER = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]


@pytest.fixture(scope="module")
def digits_quick(tmp_path_factory):
    """One in-process quick run on the default dataset, shared by several tests."""
    output = tmp_path_factory.mktemp("digits")
    code = main(["--quick", "--n-jobs", "1", "--output", str(output)])
    return code, output


def test_quick_default_run_ranks_the_four_classifiers(digits_quick):
    code, output = digits_quick
    assert code == 0
    rows = _read_leaderboard(output / "leaderboard.csv")
    assert sorted(row["estimator"] for row in rows) == [
        "KNN",
        "LogisticRegression",
        "MLPClassifier",
        "SoftmaxClassifier",
    ]
    cv_scores = [float(row["cv_accuracy_mean"]) for row in rows]
    assert cv_scores == sorted(cv_scores, reverse=True)
    assert [int(row["rank"]) for row in rows] == [1, 2, 3, 4]
    for row in rows:
        assert 0.0 <= float(row["cv_accuracy_std"]) <= 1.0
        assert 0.0 <= float(row["test_accuracy"]) <= 1.0
        assert float(row["fit_time_s"]) >= 0.0


def test_quick_default_run_saves_the_mlp_figure(digits_quick):
    _, output = digits_quick
    figure = output / "mlp_training_history.png"
    assert figure.read_bytes().startswith(b"\x89PNG")


def test_held_out_accuracy_matches_scikit_learn_on_the_same_split(digits_quick):
    # KNN is deterministic: the demo's held-out score for its chosen k must be
    # scikit-learn's KNeighborsClassifier's on the same stratified quarter.
    from sklearn.datasets import load_digits

    _, output = digits_quick
    knn = next(
        row for row in _read_leaderboard(output / "leaderboard.csv")
        if row["estimator"] == "KNN"
    )  # fmt: skip
    k = int(knn["best_parameters"].removeprefix("n_neighbors="))
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    reference = make_pipeline(StandardScaler(), KNeighborsClassifier(k))
    expected = accuracy_score(y_test, reference.fit(X_train, y_train).predict(X_test))
    assert float(knn["test_accuracy"]) == pytest.approx(expected, abs=1e-12)


def test_progress_and_leaderboard_are_printed(capsys, tmp_path):
    code, out, err = _run(
        capsys, "--dataset", "iris", "--quick", "--estimators", "knn,softmax",
        "--output", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    assert "[1/2] KNN: 2 configuration(s) x 5 folds = 10 fits" in out
    assert "[2/2] SoftmaxClassifier: CV accuracy" in out
    table = out[out.index("Leaderboard (sorted by CV accuracy):") :].splitlines()
    assert table[1].split() == [
        "#", "estimator", "best", "parameters", "CV", "accuracy", "±", "std",
        "test", "accuracy", "fit", "time",
    ]  # fmt: skip
    assert "Figure skipped: no MLP among the estimators." in out
    assert not (tmp_path / "mlp_training_history.png").exists()


def test_runs_are_reproducible(capsys, tmp_path):
    scores = []
    for run in ("first", "second"):
        code, _, err = _run(
            capsys, "--dataset", "wine", "--quick", "--estimators", "mlp", "knn",
            "--output", tmp_path / run,
        )  # fmt: skip
        assert code == 0, err
        rows = _read_leaderboard(tmp_path / run / "leaderboard.csv")
        scores.append([{k: v for k, v in r.items() if k != "fit_time_s"} for r in rows])
    assert scores[0] == scores[1]


def test_csv_with_text_labels_is_a_classification(capsys, tmp_path):
    path = _write_csv(tmp_path / "iris.csv", IRIS_HEADER, _iris_rows())
    code, out, err = _run(
        capsys, "--csv", path, "--target", "species", "--quick", "--output", tmp_path
    )
    assert code == 0, err
    assert "iris.csv: 150 samples, 4 features, 3 classes (classification)" in out
    rows = _read_leaderboard(tmp_path / "leaderboard.csv")
    assert {row["estimator"] for row in rows} == {
        "MLPClassifier",
        "SoftmaxClassifier",
        "LogisticRegression",
        "KNN",
    }
    assert (tmp_path / "mlp_training_history.png").exists()


def test_csv_with_a_continuous_target_is_a_regression(capsys, tmp_path):
    X, y = load_diabetes(return_X_y=True)
    header = [f"x{i}" for i in range(X.shape[1])] + ["progression"]
    rows = [[*x, target + 0.5] for x, target in zip(X, y, strict=True)]
    path = _write_csv(tmp_path / "diabetes.csv", header, rows)
    code, out, err = _run(
        capsys, "--csv", path, "--target", "progression", "--quick",
        "--output", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    assert "(regression)" in out and "Leaderboard (sorted by CV R²):" in out
    board = _read_leaderboard(tmp_path / "leaderboard.csv")
    assert {row["estimator"] for row in board} == {
        "MLPRegressor",
        "LeastSquaresRegressor",
        "KNNRegressor",
    }
    assert set(board[0]) >= {"cv_r2_mean", "cv_r2_std", "test_r2", "test_mae"}
    assert all(float(row["test_mae"]) > 0 for row in board)
    assert (tmp_path / "mlp_training_history.png").exists()


def test_semicolon_csv_and_estimators_by_class_name(capsys, tmp_path):
    path = tmp_path / "iris.csv"
    lines = [";".join(IRIS_HEADER)] + [";".join(map(str, row)) for row in _iris_rows()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = _run(
        capsys, "--csv", path, "--target", "species", "--quick",
        "--estimators", "MLPClassifier", "Knn", "--output", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    assert "iris.csv: 150 samples, 4 features, 3 classes" in out
    board = _read_leaderboard(tmp_path / "leaderboard.csv")
    assert sorted(row["estimator"] for row in board) == ["KNN", "MLPClassifier"]


def test_integer_target_is_classified_unless_told_otherwise(capsys, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)
    path = _write_csv(tmp_path / "counts.csv", ["a", "b", "n"], np.c_[X, y])
    common = ["--csv", path, "--target", "n", "--quick", "--estimators", "knn"]
    code, out, err = _run(capsys, *common, "--output", tmp_path / "auto")
    assert code == 0, err
    assert "(classification)" in out
    code, out, err = _run(
        capsys, *common, "--task", "regression", "--output", tmp_path / "reg"
    )
    assert code == 0, err
    assert "(regression)" in out and "KNNRegressor" in out


def test_without_matplotlib_the_figure_is_skipped_with_the_install_hint(
    capsys, tmp_path, monkeypatch
):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, out, err = _run(
        capsys, "--dataset", "iris", "--quick", "--estimators", "mlp",
        "--output", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    hint = 'pip install "skdeep[plot]"'
    assert f"Figure skipped: matplotlib is not installed; to get it: {hint}" in out
    assert not (tmp_path / "mlp_training_history.png").exists()


def test_help_and_version(capsys):
    code, out, _ = _run(capsys, "--help")
    assert code == 0
    for option in ("--dataset", "--csv", "--target", "--estimators", "--cv",
                   "--n-jobs", "--quick", "--output", "--version"):  # fmt: skip
        assert option in out
    code, out, _ = _run(capsys, "--version")
    assert code == 0 and out.strip() == skdeep.__version__


def _error_cases(tmp_path):
    """(argv, text the one-line message must contain) for every way to get it wrong."""
    iris = _write_csv(tmp_path / "iris.csv", IRIS_HEADER, _iris_rows())
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "blank.csv").write_text("\n\n")
    header_only = _write_csv(tmp_path / "header.csv", ["a", "y"], [])
    text_feature = _write_csv(
        tmp_path / "text.csv", ["size", "city", "name", "y"],
        [[1.0, "Paris", "x", 0], [2.0, "Oslo", "z", 1]] * 5,
    )  # fmt: skip
    holes = _write_csv(
        tmp_path / "holes.csv", ["a", "b", "y"], [[1.0, "", 0], [2.0, 3.0, 1]] * 5
    )
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b,y\n1,2,0\n3,4\n")
    duplicated = _write_csv(tmp_path / "dup.csv", ["a", "a", "y"], [[1, 2, 0]] * 4)
    only_target = _write_csv(tmp_path / "only.csv", ["y"], [[0], [1]])
    one_class = _write_csv(
        tmp_path / "one.csv", ["a", "y"], [[i, 1] for i in range(20)]
    )
    lonely = _write_csv(
        tmp_path / "lonely.csv", ["a", "y"], [[i, i % 2] for i in range(20)] + [[9, 2]]
    )
    pair = _write_csv(
        tmp_path / "pair.csv",
        ["a", "y"],
        [[i, i % 2] for i in range(18)] + [[8, 2]] * 2,
    )
    missing_target = _write_csv(
        tmp_path / "notarget.csv", ["a", "y"], [[1, 0], [2, ""], [3, 1]]
    )
    huge_feature = _write_csv(
        tmp_path / "huge.csv", ["a", "b", "y"],
        [[1.0, 1e300 * (i % 2), i % 2] for i in range(20)],
    )  # fmt: skip
    huge_target = _write_csv(
        tmp_path / "hugey.csv", ["a", "y"], [[i, 1e300 * (i + 0.5)] for i in range(20)]
    )
    infinite_target = _write_csv(
        tmp_path / "infy.csv",
        ["a", "y"],
        [[i, i + 0.5] for i in range(19)] + [[1, "inf"]],
    )
    five_rows = _write_csv(
        tmp_path / "five.csv", ["a", "y"], [[i, i + 0.5] for i in range(5)]
    )
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("x")
    not_utf8 = tmp_path / "latin1.csv"
    not_utf8.write_bytes("a,y\n1,caf\xe9\n".encode("latin-1"))
    return [
        (["--csv", tmp_path / "nope.csv", "--target", "y"], "no such file"),
        (["--csv", tmp_path, "--target", "y"], "is a directory"),
        (["--csv", tmp_path / "empty.csv", "--target", "y"], "is empty"),
        (["--csv", tmp_path / "blank.csv", "--target", "y"], "is empty"),
        (["--csv", header_only, "--target", "y"], "has a header but no data rows"),
        (["--csv", not_utf8, "--target", "y"], "is not UTF-8 text"),
        (["--csv", iris, "--target", "kind"],
         "no column 'kind' in {iris}; its columns are: sepal_length, sepal_width, "
         "petal_length, petal_width, species"),
        (["--csv", text_feature, "--target", "y"],
         "non-numeric feature column(s) 'city', 'name'"),
        (["--csv", holes, "--target", "y"], "missing or infinite values in feature "
         "column(s) 'b'"),
        (["--csv", ragged, "--target", "y"], "line 3 of {ragged} has 2 fields but "
         "the header has 3"),
        (["--csv", duplicated, "--target", "y"], "repeats the column name(s) 'a'"),
        (["--csv", only_target, "--target", "y"], "has no feature columns"),
        (["--csv", missing_target, "--target", "y"], "has 1 missing value(s)"),
        (["--csv", huge_feature, "--target", "y"],
         "column 'b' of {huge} holds values up to 1e+300; values beyond ±1e+150 "
         "overflow the scaling: rescale the column"),
        (["--csv", huge_target, "--target", "y"],
         "column 'y' of {hugey} holds values up to 1.95e+301"),
        (["--csv", infinite_target, "--target", "y"],
         "the target column 'y' of {infy} has 1 infinite value(s)"),
        (["--csv", five_rows, "--target", "y"],
         "five.csv has too few samples (5) for a held-out quarter and 2-fold "
         "cross-validation on the rest; the demo needs at least 6"),
        (["--csv", one_class, "--target", "y"], "has a single class"),
        (["--csv", lonely, "--target", "y"], "class 2.0 of lonely.csv has a single "
         "sample"),
        (["--csv", pair, "--target", "y"], "class 2.0 has a single training sample"),
        (["--csv", iris, "--target", "species", "--task", "regression"],
         "--task regression needs a numeric target"),
        (["--csv", iris, "--target", "species", "--cv", "50"],
         "fewer than the 50 cross-validation folds; choose --cv 37 or fewer"),
        (["--csv", iris], "--csv and --target go together"),
        (["--target", "y"], "--csv and --target go together"),
        (["--dataset", "iris", "--csv", iris, "--target", "y"], "not allowed with"),
        (["--task", "regression"], "--task applies to --csv data"),
        (["--estimators", "mlp", "forest"],
         "unknown estimator(s) 'forest' for classification; choose from: mlp, "
         "softmax, logistic, knn"),
        (["--dataset", "diabetes", "--estimators", "softmax"],
         "choose from: mlp, least_squares, knn"),
        (["--estimators", ","], "--estimators needs at least one name"),
        (["--dataset", "mnist"], "invalid choice: 'mnist'"),
        (["--cv", "1"], "needs at least 2 folds, got 1"),
        (["--cv", "five"], "expected an integer, got 'five'"),
        (["--n-jobs", "0"], "0 jobs cannot run anything"),
        (["--output", a_file], "exists and is not a directory"),
        # mkdir accepts /proc, which exists, but nothing can be written there.
        (["--output", "/proc"], "cannot write to the output directory /proc"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ]  # fmt: skip


def test_every_input_error_is_one_line_on_stderr_with_status_2(capsys, tmp_path):
    for argv, expected in _error_cases(tmp_path):
        code, out, err = _run(capsys, *argv)
        expected = expected.format(
            **{
                name: tmp_path / f"{name}.csv"
                for name in ("iris", "ragged", "huge", "hugey", "infy")
            }
        )
        assert code == 2, (argv, out, err)
        assert err.count("\n") == 1 and err.startswith("skdeep: error: "), (argv, err)
        assert expected in err, (argv, err)
        assert "Traceback" not in err and out == "", (argv, out)


def _checkout_env():
    """The environment of a subprocess that imports this checkout's skdeep."""
    return {
        **os.environ,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join(
            [SOURCE_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }


def test_the_command_runs_as_a_process_and_writes_to_skdeep_demo(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "skdeep", "--quick", "--dataset", "breast_cancer"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=_checkout_env(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no warnings from the short --quick fits
    assert "Leaderboard (sorted by CV accuracy):" in result.stdout
    output = tmp_path / "skdeep-demo"
    assert f"Leaderboard saved to {output / 'leaderboard.csv'}" in result.stdout
    assert (output / "leaderboard.csv").exists()
    assert (output / "mlp_training_history.png").exists()


def test_an_error_in_a_process_is_one_line_and_status_2(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "skdeep", "--csv", "missing.csv", "--target", "y"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=_checkout_env(),
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == "skdeep: error: no such file: missing.csv\n"


def test_a_process_runs_the_checkout_under_test(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import skdeep; print(skdeep.__file__)"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, env=_checkout_env(),
    )  # fmt: skip
    assert Path(result.stdout.strip()).resolve() == Path(skdeep.__file__).resolve()


def _small_regression_csv(path, n_samples):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, 3))
    y = X @ [1.0, 2.0, 3.0] + 0.1 * rng.normal(size=n_samples)
    return _write_csv(path, ["a", "b", "c", "t"], np.c_[X, y])


def test_small_data_search_only_the_neighbour_counts_every_fold_can_fit(
    capsys, tmp_path
):
    # 24 rows: 18 to train on, whose 5 folds train on 14 or 15, so of the full
    # grid's 3, 5, 9, 15, 25 neighbours only 3, 5 and 9 are possible.
    path = _small_regression_csv(tmp_path / "small.csv", 24)
    code, out, err = _run(
        capsys, "--csv", path, "--target", "t", "--estimators", "knn",
        "--output", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    assert "KNNRegressor: 6 configuration(s) x 5 folds = 30 fits" in out
    (row,) = _read_leaderboard(tmp_path / "leaderboard.csv")
    assert int(row["best_parameters"].split(",")[0].removeprefix("n_neighbors=")) <= 9


def test_the_smallest_data_the_advice_allows_run(capsys, tmp_path):
    # The error for 5 rows says 6 are needed: 6 rows with 2 folds must run,
    # each fold training on 2 rows (so KNN gets n_neighbors=2).
    path = _small_regression_csv(tmp_path / "six.csv", 6)
    code, out, err = _run(
        capsys, "--csv", path, "--target", "t", "--cv", "2", "--quick",
        "--estimators", "knn", "least_squares", "--output", tmp_path,
    )  # fmt: skip
    assert code == 0, err
    assert "KNNRegressor: 1 configuration(s)" in out


def test_fit_to_folds_drops_only_the_neighbour_counts_above_the_fold():
    chosen = candidates_module.choose(CLASSIFICATION, None, quick=False)
    fitted = candidates_module.fit_to_folds(chosen, 10)
    grids = {candidate.key: candidate.grid for candidate in fitted}
    assert grids["knn"]["n_neighbors"] == [1, 3, 5, 9]
    assert grids["mlp"] == next(c.grid for c in chosen if c.key == "mlp")
    (knn,) = candidates_module.fit_to_folds(
        candidates_module.choose(REGRESSION, ["knn"], quick=False), 2
    )
    assert knn.grid["n_neighbors"] == [2]


def test_smallest_training_fold_is_the_fewest_rows_a_fold_trains_on():
    X = np.zeros((18, 1))
    split = leaderboard.Split(X, X[:2], X[:, 0], X[:2, 0], KFold(5))
    # 18 rows in 5 folds: test folds of 4, 4, 4, 3, 3 rows.
    assert split.smallest_training_fold == 14


def test_a_failing_search_is_one_line_and_status_2(capsys, tmp_path, monkeypatch):
    # Without trimming the grid, 15 and 25 neighbours cannot fit 14 rows: the
    # fit's own ValueError must reach the user as one line naming the estimator.
    monkeypatch.setattr(candidates_module, "fit_to_folds", lambda chosen, n: chosen)
    path = _small_regression_csv(tmp_path / "small.csv", 24)
    code, _, err = _run(
        capsys, "--csv", path, "--target", "t", "--estimators", "knn",
        "--output", tmp_path,
    )  # fmt: skip
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(
        "skdeep: error: the grid search of KNNRegressor failed: Expected "
        "n_neighbors <= n_samples_fit"
    )


def test_a_diverging_network_is_one_line_and_status_2(capsys, tmp_path, monkeypatch):
    def diverge(candidate, data, task, n_jobs):
        raise TrainingDivergedError("Training diverged in epoch 3:\nlower the rate.")

    monkeypatch.setattr(leaderboard, "search", diverge)
    code, _, err = _run(
        capsys, "--dataset", "iris", "--quick", "--estimators", "mlp",
        "--output", tmp_path,
    )  # fmt: skip
    assert code == 2
    assert err == (
        "skdeep: error: the grid search of MLPClassifier failed: Training diverged "
        "in epoch 3: lower the rate.\n"
    )


def test_a_failed_write_is_one_line_and_status_2(capsys, tmp_path, monkeypatch):
    def disk_full(rows, task, path):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(leaderboard, "write_csv", disk_full)
    code, _, err = _run(
        capsys, "--dataset", "iris", "--quick", "--estimators", "knn",
        "--output", tmp_path,
    )  # fmt: skip
    assert code == 2
    assert err == (
        f"skdeep: error: cannot write {tmp_path.resolve() / 'leaderboard.csv'}: "
        "No space left on device\n"
    )


def test_a_guessed_classification_suggests_a_regression(capsys, tmp_path):
    # Integer counts with one lone value: auto mode classifies them, and the
    # lone "class" cannot be split; the user may have meant a quantity.
    rows = [[i, i % 3] for i in range(30)] + [[31, 7]]
    path = _write_csv(tmp_path / "ints.csv", ["a", "n"], rows)
    hint = "; if the target is a quantity, use --task regression"
    code, _, err = _run(capsys, "--csv", path, "--target", "n")
    assert code == 2
    assert err == (
        "skdeep: error: class 7.0 of ints.csv has a single sample; every class "
        f"needs at least 2 (to train on and to test on){hint}\n"
    )
    # Told to classify, the user needs no hint.
    code, _, err = _run(
        capsys, "--csv", path, "--target", "n", "--task", CLASSIFICATION
    )
    assert code == 2 and "class 7.0" in err and hint not in err
    code, _, err = _run(
        capsys, "--csv", path, "--target", "n", "--task", REGRESSION, "--quick",
        "--estimators", "knn", "--output", tmp_path,
    )  # fmt: skip
    assert code == 0, err


def test_the_delimiter_comes_from_the_header_after_blank_lines(tmp_path):
    # The first line is blank, so it cannot tell "," from ";".
    path = tmp_path / "semicolons.csv"
    path.write_text("\n  \na;b;y\n1;2;0\n3;4;1\n", encoding="utf-8")
    dataset = load_csv(path, "y", task=CLASSIFICATION)
    np.testing.assert_array_equal(dataset.X, [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(dataset.y, [0.0, 1.0])


@pytest.mark.parametrize("task", [CLASSIFICATION, REGRESSION])
@pytest.mark.parametrize("quick", [False, True])
def test_every_grid_configuration_is_valid(task, quick):
    # Cheap: set every configuration on a fresh pipeline and validate the
    # estimator's parameters, without fitting anything.
    for candidate in candidates_module.choose(task, None, quick=quick):
        for entry in ParameterGrid(candidate.param_grid(task)):
            pipeline = clone(candidate.pipeline(task)).set_params(**entry)
            if isinstance(pipeline, TransformedTargetRegressor):
                pipeline = pipeline.regressor
            estimator = pipeline[-1]
            assert type(estimator) is type(candidate.model)
            estimator._validate_params()


def test_a_wide_regression_csv_runs_in_memory_linear_in_the_data(capsys, tmp_path):
    # 40 rows × 10,000 features: LeastSquaresRegressor's normal equations were
    # a 763 MiB matrix per fit (a MemoryError with less to spare); the thin
    # SVD needs a few copies of the 3 MiB of data.
    import tracemalloc

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 10_000))
    y = X[:, :5] @ np.arange(1.0, 6.0) + 0.1 * rng.normal(size=40)
    header = [f"x{i}" for i in range(X.shape[1])] + ["y"]
    path = _write_csv(tmp_path / "wide.csv", header, np.c_[X, y].tolist())
    tracemalloc.start()
    try:
        code, out, err = _run(
            capsys, "--csv", path, "--target", "y", "--quick",
            "--estimators", "least_squares", "--output", tmp_path,
        )  # fmt: skip
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 0, err
    assert "LeastSquaresRegressor" in out
    assert peak < 200 * 2**20


def _one_line_refusal(capsys, path, expected):
    code, out, err = _run(capsys, "--csv", path, "--target", "y")
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("skdeep: error: "), err
    assert expected in err and "Traceback" not in err and out == ""


def test_a_csv_beyond_the_size_limit_is_refused(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(data_module, "MAX_CSV_BYTES", 1000)
    rows = [[i, i % 2] for i in range(200)]
    path = _write_csv(tmp_path / "big.csv", ["a", "y"], rows)
    assert path.stat().st_size > 1000
    _one_line_refusal(capsys, path, "big.csv holds more than 1000 bytes")
    small = _write_csv(tmp_path / "small.csv", ["a", "y"], [[1.5, 0]] * 10)
    assert data_module.load_csv(small, "y").X.shape == (10, 1)


def test_an_endless_device_is_refused_at_the_limit(capsys, monkeypatch):
    monkeypatch.setattr(data_module, "MAX_CSV_BYTES", 2**20)
    _one_line_refusal(capsys, "/dev/zero", "/dev/zero holds more than 1 MiB")


def _fifo_with_writer(tmp_path, chunk: bytes, repeat: int | None):
    """A FIFO and the thread writing ``chunk`` to it (forever if ``repeat`` is None)."""
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)

    def write():
        try:
            with open(fifo, "wb") as pipe:
                count = 0
                while repeat is None or count < repeat:
                    pipe.write(chunk)
                    count += 1
        except BrokenPipeError:  # the reader stopped at its limit
            pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return fifo, writer


def test_an_endless_fifo_is_refused_at_the_limit(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(data_module, "MAX_CSV_BYTES", 2**20)
    fifo, writer = _fifo_with_writer(tmp_path, b"a,y\n" + b"1,0\n" * 4096, None)
    _one_line_refusal(capsys, fifo, "pipe.csv holds more than 1 MiB")
    writer.join(timeout=30)
    assert not writer.is_alive()


def test_a_fifo_within_the_limit_is_read_to_its_end(tmp_path):
    fifo, writer = _fifo_with_writer(tmp_path, b"a,y\n" + b"1.5,0\n2.5,1\n" * 20, 1)
    dataset = data_module.load_csv(fifo, "y")
    writer.join(timeout=30)
    assert dataset.X.shape == (40, 1)


def test_dev_zero_as_a_process_ends_with_one_line_within_bounded_memory(tmp_path):
    # Before, the whole of /dev/zero was read: MemoryError or the OOM killer.
    # The address-space limit keeps a regression from taking the machine down.
    import resource

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))

    result = subprocess.run(
        [sys.executable, "-m", "skdeep", "--csv", "/dev/zero", "--target", "y"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env=_checkout_env(), preexec_fn=limit_memory,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        "skdeep: error: /dev/zero holds more than 256 MiB, the most the demo "
        "reads; use a sample of the rows\n"
    )


@pytest.mark.parametrize("column", ["b", "y"])
def test_columns_too_small_to_standardise_are_refused(capsys, tmp_path, column):
    # Exactly linear data with a column below 1e-150: its squares underflow,
    # StandardScaler leaves it unscaled, and the leaderboard showed
    # LeastSquaresRegressor at R² = -0.02 with exit status 0.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = X @ np.array([1.0, 2.0]) + 0.5
    if column == "b":
        X[:, 1] *= 1e-170
    else:
        y *= 1e-170
    rows = [[*map(float, x), float(t)] for x, t in zip(X, y, strict=True)]
    path = _write_csv(tmp_path / "tiny.csv", ["a", "b", "y"], rows)
    _one_line_refusal(
        capsys, path, f"column {column!r} of {path} holds values no larger than"
    )


def test_small_values_next_to_larger_ones_and_zero_columns_are_accepted(tmp_path):
    # Column a reaches 1.9e-99, b holds 1e-200 beside 1.0, "zero" is constant.
    rows = [[i * 1e-100, 1e-200 if i else 1.0, 0.0, i % 2] for i in range(20)]
    path = _write_csv(tmp_path / "small.csv", ["a", "b", "zero", "y"], rows)
    assert data_module.load_csv(path, "y").X.shape == (20, 3)
