"""The ``python -m skdeep`` demo: leaderboards, files written and every error path."""

import csv
import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skdeep
from skdeep.__main__ import main


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
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ]  # fmt: skip


def test_every_input_error_is_one_line_on_stderr_with_status_2(capsys, tmp_path):
    for argv, expected in _error_cases(tmp_path):
        code, out, err = _run(capsys, *argv)
        expected = expected.format(
            iris=tmp_path / "iris.csv", ragged=tmp_path / "ragged.csv"
        )
        assert code == 2, (argv, out, err)
        assert err.count("\n") == 1 and err.startswith("skdeep: error: "), (argv, err)
        assert expected in err, (argv, err)
        assert "Traceback" not in err and out == "", (argv, out)


def test_the_command_runs_as_a_process_and_writes_to_skdeep_demo(tmp_path):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "skdeep", "--quick", "--dataset", "breast_cancer"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env,
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
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == "skdeep: error: no such file: missing.csv\n"
