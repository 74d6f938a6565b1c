"""Seconds per epoch and peak memory: skdeep's MLPClassifier vs scikit-learn vs PyTorch.

The task is the one of issue 3: ``make_classification`` with ``--n-samples``
rows, 784 features (50 informative) and 10 classes, as float32; an MLP with
hidden layers (512, 512) and ReLU, Adam with learning rate 1e-3, minibatches of
256 rows, ``--epochs`` full epochs (no early stop: ``tol=0`` and
``n_iter_no_change`` larger than the budget).

Contenders, each fitted ``--repeat`` times:

* ``skdeep.MLPClassifier`` -- the estimator, as a user runs it;
* ``sklearn.neural_network.MLPClassifier`` with the same configuration;
* a plain PyTorch CPU loop (same layers, Adam, batch 256, a fresh permutation
  each epoch, same thread count), when torch is importable and ``--no-torch``
  is not given. PyTorch is never a dependency of skdeep.

Seconds per epoch are wall-clock fit time divided by the epochs run (the
estimators' validation and set-up included, as a user pays them), best and
median over the repeats; "CPU s/epoch" is the process CPU time (all threads)
per epoch, best over the repeats, which with ``--threads 1`` is a steadier
yardstick on a machine shared with other jobs. skdeep's own per-epoch clock,
``history_["time"]``, is printed as well.

Memory: every contender runs in its own child process that loads the same
float32 data from a ``.npz`` file (written by yet another child, so that the
float64 data of ``make_classification`` is nobody's peak), so no framework's
allocations hide another's. The child reports its peak resident set size
(``VmHWM``, or ``ru_maxrss`` off Linux) and the resident set just before
fitting, framework imported; their difference is what fitting costs.

Run: ``python benchmarks/bench_mlp.py [--n-samples 20000] [--epochs 3]
[--threads 2] [--repeat 3] [--no-torch] [--quick]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from _machine import (  # benchmarks/ is on sys.path for scripts
    blas_description,
    current_rss_mb,
    peak_rss_mb,
)

N_FEATURES = 784
N_INFORMATIVE = 50
N_CLASSES = 10
HIDDEN = (512, 512)
BATCH_SIZE = 256
LEARNING_RATE = 1e-3
SEED = 0
FRAMEWORKS = ("skdeep", "sklearn", "torch")
RESULT_TAG = "RESULT "


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--threads", type=int, default=None, help="BLAS/torch threads (default: as is)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="fits per framework")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    parser.add_argument(
        "--quick", action="store_true", help="tiny smoke run: 512 rows, 1 epoch, 1 fit"
    )
    # Internal: run one framework in this (child) process and print its result.
    parser.add_argument(
        "--worker", choices=(*FRAMEWORKS, "data"), help=argparse.SUPPRESS
    )
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples, args.epochs, args.repeat = 512, 1, 1
    return args


# --------------------------------------------------------------------- children
def fit_skdeep(X, y, epochs):
    from skdeep import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=HIDDEN, batch_size=BATCH_SIZE,
        learning_rate_init=LEARNING_RATE, max_iter=epochs, tol=0.0,
        n_iter_no_change=epochs + 1, random_state=SEED,
    )  # fmt: skip
    start = time.perf_counter()
    clf.fit(X, y)
    wall = time.perf_counter() - start
    return wall, clf.n_iter_, clf.history_["time"]


def fit_sklearn(X, y, epochs):
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=HIDDEN, batch_size=BATCH_SIZE,
        learning_rate_init=LEARNING_RATE, max_iter=epochs, tol=0.0,
        n_iter_no_change=epochs + 1, random_state=SEED,
    )  # fmt: skip
    start = time.perf_counter()
    clf.fit(X, y)
    wall = time.perf_counter() - start
    return wall, clf.n_iter_, []


def fit_torch(X, y, epochs):
    import torch

    torch.manual_seed(SEED)
    sizes = (X.shape[1], *HIDDEN)
    layers = []
    for n_in, n_out in itertools.pairwise(sizes):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-1], N_CLASSES))
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    generator = torch.Generator().manual_seed(SEED)
    start = time.perf_counter()
    X_t = torch.from_numpy(X)
    y_t = torch.from_numpy(np.searchsorted(np.unique(y), y))
    n = X_t.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for i in range(0, n, BATCH_SIZE):
            rows = order[i : i + BATCH_SIZE]
            optimizer.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(X_t[rows]), y_t[rows])
            loss.backward()
            optimizer.step()
    wall = time.perf_counter() - start
    return wall, epochs, []


def describe(framework: str) -> str:
    """Name and version. Imports the framework: its import is not fit memory."""
    if framework == "torch":
        import torch

        return f"torch {torch.__version__}, threads={torch.get_num_threads()}"
    if framework == "sklearn":
        import sklearn
        import sklearn.neural_network

        return f"scikit-learn {sklearn.__version__}"
    import skdeep
    import skdeep.neural_network

    return f"skdeep {getattr(skdeep, '__version__', '?')}"


def run_worker(args) -> None:
    """Fit one framework ``--repeat`` times and print a JSON line for the parent."""
    import threadpoolctl

    fit = {"skdeep": fit_skdeep, "sklearn": fit_sklearn, "torch": fit_torch}
    fit = fit[args.worker]
    data = np.load(args.data)
    X, y = data["X"], data["y"]
    if args.worker == "torch":
        import torch

        torch.set_num_threads(args.threads or blas_description()[1])
    limits = threadpoolctl.threadpool_limits(args.threads, user_api="blas")
    with limits, warnings.catch_warnings():
        # Running the whole epoch budget is the point: no ConvergenceWarning.
        warnings.simplefilter("ignore")
        name = describe(args.worker)
        rss_before = current_rss_mb()
        walls, cpus, epoch_times = [], [], []
        for _ in range(args.repeat):
            cpu = time.process_time()
            wall, n_iter, history_time = fit(X, y, args.epochs)
            cpus.append((time.process_time() - cpu) / n_iter)
            walls.append(wall / n_iter)
            epoch_times += history_time
        result = {
            "name": name,
            "per_epoch": walls,
            "cpu_per_epoch": cpus,
            "history_time": epoch_times,
            "rss_before_mb": rss_before,
            "peak_rss_mb": peak_rss_mb(),
        }
    print(RESULT_TAG + json.dumps(result))


# ----------------------------------------------------------------------- parent


def make_data(n_samples: int, path: pathlib.Path) -> None:
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n_samples, n_features=N_FEATURES, n_informative=N_INFORMATIVE,
        n_classes=N_CLASSES, random_state=SEED,
    )  # fmt: skip
    np.savez(path, X=X.astype(np.float32), y=y)


def run_child(framework: str, args, data: pathlib.Path) -> dict:
    command = [
        sys.executable, __file__, "--worker", framework, "--data", str(data),
        "--epochs", str(args.epochs), "--repeat", str(args.repeat),
        "--n-samples", str(args.n_samples),
    ]  # fmt: skip
    if args.threads:
        command += ["--threads", str(args.threads)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{framework} run failed:\n{done.stderr}")
    lines = [s for s in done.stdout.splitlines() if s.startswith(RESULT_TAG)]
    return json.loads(lines[-1][len(RESULT_TAG) :]) if lines else {}


def torch_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.worker == "data":
        make_data(args.n_samples, pathlib.Path(args.data))
        return
    if args.worker:
        run_worker(args)
        return
    import threadpoolctl

    with threadpoolctl.threadpool_limits(args.threads, user_api="blas"):
        blas, n_threads = blas_description()
    frameworks = ["skdeep", "sklearn"]
    skipped = None
    if args.no_torch:
        skipped = "--no-torch given"
    elif not torch_available():
        skipped = "torch is not installed"
    else:
        frameworks.append("torch")
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data.npz"
        # In a child too: the float64 data would otherwise be this process's peak.
        run_child("data", args, data)
        results = {name: run_child(name, args, data) for name in frameworks}

    sizes = "-".join(str(n) for n in (N_FEATURES, *HIDDEN, N_CLASSES))
    print(
        f"MLP {sizes} ReLU, Adam lr={LEARNING_RATE:g}, batch {BATCH_SIZE}, float32, "
        f"{args.n_samples} samples, {args.epochs} epochs x {args.repeat} fits"
    )
    print(f"numpy {np.__version__} | BLAS {blas}, num_threads={n_threads}")
    print(f"os.cpu_count()={os.cpu_count()} | each framework in its own process\n")
    header = (
        f"{'':34} {'s/epoch best':>12} {'median':>8} {'vs skdeep':>9} "
        f"{'CPU s/epoch':>11} {'peak RSS MB':>11} {'fit +MB':>8}"
    )
    print(header)
    print("-" * len(header))
    best = {name: min(r["per_epoch"]) for name, r in results.items()}
    for name, r in results.items():
        median = statistics.median(r["per_epoch"])
        print(
            f"{r['name']:34} {best[name]:12.3f} {median:8.3f} "
            f"{best[name] / best['skdeep']:9.2f} {min(r['cpu_per_epoch']):11.3f} "
            f"{r['peak_rss_mb']:11.0f} "
            f"{r['peak_rss_mb'] - r['rss_before_mb']:8.0f}"
        )
    epochs = results["skdeep"]["history_time"]
    if epochs:
        print(
            f"\nskdeep history_['time'] per epoch: best {min(epochs):.3f} s, "
            f"median {statistics.median(epochs):.3f} s"
        )
    print()
    ratio = best["skdeep"] / best["sklearn"]
    verdict = "PASS" if ratio <= 0.5 else "FAIL"
    print(f"skdeep time / sklearn time = {ratio:.3f} (target <= 0.5: {verdict})")
    if skipped:
        print(f"PyTorch row skipped: {skipped}.")
    else:
        ratio = best["skdeep"] / best["torch"]
        verdict = "PASS" if ratio <= 1.0 else "FAIL"
        print(
            f"skdeep time / torch time = {ratio:.3f} "
            f"(target <= 1.0, aim 0.75: {verdict})"
        )
    mine, theirs = results["skdeep"]["peak_rss_mb"], results["sklearn"]["peak_rss_mb"]
    verdict = "PASS" if mine <= theirs else "FAIL"
    print(
        f"skdeep peak RSS / sklearn peak RSS = {mine / theirs:.3f} "
        f"(target <= 1: {verdict})"
    )


if __name__ == "__main__":
    main()
