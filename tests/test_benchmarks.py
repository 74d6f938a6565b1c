"""The benchmark scripts keep running (a smoke run: nothing here is timed)."""

import importlib.util
import pathlib
import subprocess
import sys

import numpy as np
import pytest

BENCHMARKS = pathlib.Path(__file__).parents[1] / "benchmarks"


def test_bench_core_runs_and_reports_the_ratio_to_matmul():
    result = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "bench_core.py"),
            "--repeat",
            "1",
            "--number",
            "1",
            "--warmup",
            "1",
            "--no-torch",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert "skdeep GFLOP/s / matmul GFLOP/s =" in result.stdout
    assert "num_threads=" in result.stdout


@pytest.mark.slow
def test_bench_linear_runs_and_reports_ratios_and_objectives():
    result = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "bench_linear.py"),
            "--quick",
            "--repeat",
            "1",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    assert "num_threads=" in result.stdout
    for name in ("softmax lbfgs", "least squares 'auto'", "digits 5-fold CV"):
        assert name in result.stdout
    assert "rel diff" in result.stdout


@pytest.mark.slow
def test_bench_sparse_runs_and_reports_ratios_objectives_and_memory():
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_sparse.py"), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    assert "num_threads=" in result.stdout
    for task in ("binary", "softmax", "logistic multiclass"):
        assert f"{task}: skdeep time / sklearn time =" in result.stdout
    for column in ("objective", "rel diff", "peak RSS MB", "TfidfVectorizer"):
        assert column in result.stdout
    # Binary and softmax minimise scikit-learn's objective: the same optimum.
    for task in ("binary", "softmax"):
        line = next(s for s in result.stdout.splitlines() if s.startswith(f"{task}:"))
        assert "different optimum" not in line


@pytest.mark.slow
def test_bench_mlp_runs_and_reports_the_ratios_and_memory():
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_mlp.py"), "--quick", "--no-torch"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert "skdeep time / sklearn time =" in result.stdout
    assert "skdeep peak RSS / sklearn peak RSS =" in result.stdout
    assert "PyTorch row skipped: --no-torch given." in result.stdout
    assert "num_threads=" in result.stdout


def test_bench_knn_runs_and_reports_ratios_threads_and_memory():
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_knn.py"), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    for expected in (
        "euclidean vs brute",
        "euclidean vs auto",
        "manhattan vs brute",
        "chebyshev vs brute",
        "scaled linearly",
        "num_threads=",
        "peak extra memory",
    ):
        assert expected in result.stdout, expected
    # The benchmark also compares the predictions with scikit-learn's, and
    # checks skdeep's neighbours against exact distances wherever they differ.
    assert "WRONG" not in result.stdout


def _bench_knn_module(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # for its `_machine` import
    spec = importlib.util.spec_from_file_location(
        "bench_knn", BENCHMARKS / "bench_knn.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "chebyshev"])
def test_bench_knn_checks_differing_predictions_against_exact_distances(
    metric, monkeypatch
):
    """A prediction scikit-learn gets differently is put down to skdeep only
    if skdeep's neighbours are not the exact ones."""
    from skdeep import KNN

    bench = _bench_knn_module(monkeypatch)
    rng = np.random.default_rng(0)
    X, Q = rng.random((300, 6)), rng.random((20, 6))
    y = rng.integers(0, 3, size=300)
    model = KNN(3, metric=metric).fit(X, y)
    p_ours = model.predict(Q)
    assert bench.compare_predictions(model, X, Q, p_ours, p_ours, metric) == "yes"
    p_other = p_ours.copy()
    p_other[[2, 7]] = (p_other[[2, 7]] + 1) % 3
    verdict = bench.compare_predictions(model, X, Q, p_ours, p_other, metric)
    assert verdict == "2 differ: skdeep's neighbours exact"

    class Swapped:  # neighbours in a wrong order: the exact check must notice
        def kneighbors(self, queries):
            distances, indices = model.kneighbors(queries)
            return distances, indices[:, ::-1]

    verdict = bench.compare_predictions(Swapped(), X, Q, p_ours, p_other, metric)
    assert verdict == "2 differ: skdeep WRONG"


def test_bench_latency_runs_and_reports_every_pair_with_ratios():
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_latency.py"), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert "num_threads=" in result.stdout
    for pair in (
        "LeastSquaresRegressor / LinearRegression",
        "LogisticRegression / LogisticRegression",
        "SoftmaxClassifier / LogisticRegression",
        "KNN / KNeighborsClassifier",
        "KNNRegressor / KNeighborsRegressor",
        "MLPClassifier / MLPClassifier",
        "MLPRegressor / MLPRegressor",
    ):
        line = next(s for s in result.stdout.splitlines() if s.startswith(pair))
        assert line.count("/") == 4, line  # the pair's name and three timings
    assert "ratio = skdeep time / scikit-learn time" in result.stdout
