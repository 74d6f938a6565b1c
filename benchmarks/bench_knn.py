"""How fast and how lean is KNN's prediction next to scikit-learn's?

Measured: ``fit`` and ``predict`` of a k=5 classifier (scikit-learn's fit only
stores the data and is not timed; skdeep's builds the integer grid of the
Manhattan and Chebyshev kernels, about a second here, and is timed)
on a training set of 60000 x 784 float32 points and 10000 float32 queries,
drawn uniformly from [0, 1) (the shape of MNIST; uniform data keep every
distance close to every other, so neither side can prune), with all cores
(``n_jobs=-1`` on both sides; scikit-learn's kernels also use OpenMP).

* Euclidean: skdeep against ``KNeighborsClassifier(algorithm='brute')`` and
  ``algorithm='auto'`` on the same queries. Targets: <= 0.7 x each.
* Manhattan and Chebyshev: scikit-learn needs minutes for all the queries,
  so it is timed on the first ``--sklearn-queries`` of them and its time is
  scaled linearly to the full count (its cost is linear in the number of
  queries; the table marks those rows). Target: <= 0.1 x.
* Memory: peak of the memory allocated (tracemalloc, which sees NumPy's
  buffers) during ``predict`` of ``--memory-queries`` Euclidean queries,
  beyond the queries themselves and the model. Target: <= 1 GiB.

Every skdeep prediction is also checked against scikit-learn's on the
queries both sides ran; where they differ, skdeep's neighbours are checked
against exact float64 distances (scikit-learn ranks float32 data in float32,
so neighbours closer than its rounding may swap places). Times are the best
of ``--repeat`` runs with ``time.perf_counter``; the machine's load average is
printed because other work on the machine slows both sides, not always alike.

Low- and mid-dimensional section (issue 16): d = 2, 8, 32 with 200000 /
100000 / 50000 uniform float64 training points and 20000 / 10000 / 10000
queries; L1, L2 and L-infinity; ``fit`` + ``kneighbors`` (k=5, ``n_jobs``) of
skdeep's ``algorithm='auto'`` against scikit-learn's
``KNeighborsClassifier(algorithm='auto')`` and scipy's
``cKDTree(X).query(Q, workers=n_jobs)``, in the same run. Target: skdeep <= 1.0
x the faster of the two. Its neighbours are checked against cKDTree's.

Run: ``python benchmarks/bench_knn.py [--quick] [--n-train N] [--n-queries N]
[--sections high,low]``
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np
from _machine import blas_description  # benchmarks/ is on sys.path for scripts
from joblib import effective_n_jobs
from scipy.spatial import cKDTree
from sklearn.neighbors import KNeighborsClassifier

from skdeep import KNN

GiB = 2**30


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=60000)
    parser.add_argument("--n-queries", type=int, default=10000)
    parser.add_argument("--n-features", type=int, default=784)
    parser.add_argument("--n-neighbors", type=int, default=5)
    parser.add_argument(
        "--sklearn-queries",
        type=int,
        default=500,
        help="queries scikit-learn is timed on for manhattan/chebyshev",
    )
    parser.add_argument("--memory-queries", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=1, help="best of this many")
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--sections",
        default="high,low",
        help="comma-separated: 'high' (784 features), 'low' (2, 8, 32 features)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes (2000 train, 200 queries, 50 for scikit-learn's slow "
        "metrics, 1000 for memory): a smoke run, not a measurement",
    )
    args = parser.parse_args()
    if args.quick:
        args.n_train, args.n_queries = 2000, 200
        args.sklearn_queries, args.memory_queries = 50, 1000
    args.sklearn_queries = min(args.sklearn_queries, args.n_queries)
    return args


def best_time(fn, repeat: int):
    """(best seconds, last result) over ``repeat`` calls."""
    best, result = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_predict_memory(model, queries) -> tuple[int, np.ndarray]:
    """Peak bytes allocated during ``model.predict(queries)`` (tracemalloc)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        pred = model.predict(queries)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - base, pred


def exact_neighbours(X, q, metric: str, k: int) -> np.ndarray:
    """The k nearest rows of X to q in float64, ties broken by index."""
    distances = np.empty(X.shape[0])
    q = q.astype(np.float64)
    for start in range(0, X.shape[0], 4096):
        diff = np.abs(X[start : start + 4096].astype(np.float64) - q)
        if metric == "euclidean":
            distances[start : start + 4096] = np.sqrt((diff * diff).sum(axis=1))
        elif metric == "manhattan":
            distances[start : start + 4096] = diff.sum(axis=1)
        else:
            distances[start : start + 4096] = diff.max(axis=1)
    return np.lexsort((np.arange(X.shape[0]), distances))[:k]


def compare_predictions(model, X, queries, p_ours, p_ref, metric) -> str:
    """ "yes", or how many predictions differ and who is right there.

    scikit-learn ranks float32 data in float32, so two neighbours whose exact
    distances differ by less than its rounding can swap places; skdeep's
    neighbours are the exact ones. Each differing query is checked against
    float64 distances to every training point.
    """
    differ = np.nonzero(p_ours != p_ref)[0]
    if differ.size == 0:
        return "yes"
    _, ours = model.kneighbors(queries[differ])
    k = ours.shape[1]
    exact = all(
        np.array_equal(row, exact_neighbours(X, queries[q], metric, k))
        for q, row in zip(differ, ours, strict=True)
    )
    who = "skdeep's neighbours exact" if exact else "skdeep WRONG"
    return f"{differ.size} differ: {who}"


# (features, training points, queries) of the low-dimensional section.
LOW_DIMENSIONAL = [(2, 200_000, 20_000), (8, 100_000, 10_000), (32, 50_000, 10_000)]
MINKOWSKI_P = {"manhattan": 1, "euclidean": 2, "chebyshev": np.inf}


def time_low_dimensional(X, y, Q, metric, p, args):
    """Best times of skdeep, scikit-learn and cKDTree, skdeep's model and the
    neighbours skdeep and cKDTree found."""
    k, n_jobs = args.n_neighbors, args.n_jobs

    def ours():
        model = KNN(k, metric=metric, n_jobs=n_jobs).fit(X, y)
        return model, model.kneighbors(Q)[1]

    def theirs():
        model = KNeighborsClassifier(k, metric=metric, n_jobs=n_jobs).fit(X, y)
        return model.kneighbors(Q)[1]

    def scipy_tree():
        return cKDTree(X).query(Q, k=k, p=p, workers=n_jobs)[1]

    t_ours, (model, ind) = best_time(ours, args.repeat)
    t_sk, _ = best_time(theirs, args.repeat)
    t_ckd, ind_ckd = best_time(scipy_tree, args.repeat)
    return t_ours, t_sk, t_ckd, model, ind, ind_ckd


def low_dimensional(args) -> None:
    """Print the low- and mid-dimensional table (see the module docstring)."""
    rng = np.random.default_rng(args.seed)
    k, n_jobs = args.n_neighbors, args.n_jobs
    scale = 100 if args.quick else 1
    print(
        f"\nlow/mid-dimensional: fit + kneighbors, k={k}, n_jobs={n_jobs} "
        f"(joblib threads={effective_n_jobs(n_jobs)}), float64 uniform data, "
        f"best of {args.repeat}\n"
    )
    header = (
        f"{'d':>3} {'n':>7} {'queries':>7} {'metric':10} {'skdeep s':>9} "
        f"{'search':8} {'sklearn s':>9} {'cKDTree s':>9} {'ratio':>6}  verdict  "
        "same neighbours"
    )
    print(header)
    print("-" * len(header))
    for d, n, n_queries in LOW_DIMENSIONAL:
        X = rng.random((n // scale, d))
        y = rng.integers(0, 10, size=X.shape[0])
        Q = rng.random((n_queries // scale, d))
        for metric, p in MINKOWSKI_P.items():
            t_ours, t_sk, t_ckd, model, ind, ind_ckd = time_low_dimensional(
                X, y, Q, metric, p, args
            )
            ratio = t_ours / min(t_sk, t_ckd)
            differ = int((ind != ind_ckd).any(axis=1).sum())
            print(
                f"{d:3} {X.shape[0]:7} {Q.shape[0]:7} {metric:10} {t_ours:9.3f} "
                f"{model._index.algorithm:8} {t_sk:9.3f} {t_ckd:9.3f} {ratio:6.2f}"
                f"  {'PASS' if ratio <= 1.0 else 'FAIL':7}  "
                f"{'yes' if differ == 0 else f'{differ} rows differ'}"
            )
    print("ratio: skdeep time / the faster of scikit-learn 'auto' and cKDTree.")


def main() -> None:
    args = parse_args()
    sections = set(args.sections.split(","))
    if "high" in sections:
        high_dimensional(args)
    if "low" in sections:
        low_dimensional(args)


def high_dimensional(args) -> None:
    """Print the 784-feature table (see the module docstring)."""
    rng = np.random.default_rng(args.seed)
    shape = (args.n_train, args.n_features)
    X = rng.random(shape, dtype=np.float32)
    y = rng.integers(0, 10, size=args.n_train)
    Q = rng.random((args.n_queries, args.n_features), dtype=np.float32)
    k, n_jobs = args.n_neighbors, args.n_jobs

    def ours(metric):
        return KNN(k, metric=metric, n_jobs=n_jobs).fit(X, y)

    def theirs(metric, algorithm="brute"):
        model = KNeighborsClassifier(
            k, metric=metric, algorithm=algorithm, n_jobs=n_jobs
        )
        return model.fit(X, y)

    rows = []  # (name, skdeep s, sklearn s, scaled?, target, same predictions)
    # skdeep's fit is timed with its predict: for Manhattan and Chebyshev it
    # builds the integer grid (about a second here), scikit-learn's only
    # stores the data.
    t_ours, p_ours = best_time(lambda: ours("euclidean").predict(Q), args.repeat)
    euclidean = ours("euclidean")  # for checking differing predictions
    for algorithm in ("brute", "auto"):
        model = theirs("euclidean", algorithm)
        t_ref, p_ref = best_time(lambda m=model: m.predict(Q), args.repeat)
        same = compare_predictions(euclidean, X, Q, p_ours, p_ref, "euclidean")
        rows.append((f"euclidean vs {algorithm}", t_ours, t_ref, False, 0.7, same))
    n_sub = args.sklearn_queries
    for metric in ("manhattan", "chebyshev"):
        t_ours, p_ours = best_time(lambda m=metric: ours(m).predict(Q), args.repeat)
        fitted = ours(metric)
        model = theirs(metric)
        t_sub, p_ref = best_time(lambda m=model: m.predict(Q[:n_sub]), args.repeat)
        same = compare_predictions(fitted, X, Q[:n_sub], p_ours[:n_sub], p_ref, metric)
        scaled = t_sub * args.n_queries / n_sub
        rows.append(
            (f"{metric} vs brute", t_ours, scaled, n_sub < args.n_queries, 0.1, same)
        )

    Q_memory = rng.random((args.memory_queries, args.n_features), dtype=np.float32)
    model = ours("euclidean")
    peak, _ = peak_predict_memory(model, Q_memory)

    blas, blas_threads = blas_description()
    print(
        f"skdeep KNN: train {args.n_train} x {args.n_features} float32, "
        f"{args.n_queries} queries, k={k}, n_jobs={n_jobs}"
    )
    print(
        f"numpy {np.__version__} | BLAS {blas}, num_threads={blas_threads} | "
        f"joblib threads={effective_n_jobs(n_jobs)} | os.cpu_count()={os.cpu_count()}"
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average (1, 5, 15 min): {load} | best of {args.repeat}\n")
    header = (
        f"{'predict':24} {'skdeep s':>9} {'sklearn s':>10} {'ratio':>7} "
        f"{'target':>7}  verdict  same predictions"
    )
    print(header)
    print("-" * len(header))
    for name, t_ours, t_ref, scaled, target, same in rows:
        ratio = t_ours / t_ref
        verdict = "PASS" if ratio <= target else "FAIL"
        mark = "*" if scaled else " "
        print(
            f"{name:24} {t_ours:9.2f} {t_ref:9.2f}{mark} {ratio:7.3f} "
            f"{'<=' + str(target):>7}  {verdict:7}  {same}"
        )
    if any(row[3] for row in rows):
        print(
            f"* scikit-learn timed on {n_sub} of the {args.n_queries} queries and "
            "scaled linearly to all of them."
        )
    verdict = "PASS" if peak <= GiB else "FAIL"
    print(
        f"\npeak extra memory, predict of {args.memory_queries} queries: "
        f"{peak / 2**20:.0f} MiB (target <= 1024 MiB: {verdict})"
    )
    print("skdeep time / sklearn time: see the ratio column.")
    print(f"knn algorithm at {args.n_features} features: {model._index.algorithm}")


if __name__ == "__main__":
    main()
