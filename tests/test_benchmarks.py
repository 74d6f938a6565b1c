"""The benchmark scripts keep running (a smoke run: nothing here is timed)."""

import pathlib
import subprocess
import sys

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
    # The benchmark also compares the predictions with scikit-learn's.
    assert "False" not in result.stdout
