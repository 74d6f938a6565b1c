"""TF-IDF text classification: skdeep's linear classifiers vs scikit-learn on sparse X.

The corpus is generated, no download: ``--n-docs`` documents over a vocabulary
of ``--vocabulary`` words, each document of one of ``--topics`` topics. Word
ranks follow a Zipf-Mandelbrot law (p(r) ∝ (r + 2.7)^-1.1); a fraction
``TOPIC_SHARE`` of each document's words is drawn instead from its topic's own
Zipfian list of ``TOPIC_WORDS`` words, so the classes are learnable but
overlap. Everything comes from one seeded ``numpy.random.Generator``.
``TfidfVectorizer`` (scikit-learn's defaults, float64) turns it into a CSR
matrix, once, before any timing.

Tasks, each fitted by skdeep and by ``sklearn.linear_model.LogisticRegression``
with the same objective (same C, tol, max_iter, lbfgs):

* binary: skdeep ``LogisticRegression`` on "topic 0 or not";
* softmax: skdeep ``SoftmaxClassifier`` on the topics (scikit-learn's
  LogisticRegression is multinomial);
* logistic multiclass: skdeep ``LogisticRegression`` on the topics. The
  objective column shows whether it minimises scikit-learn's (multinomial)
  objective: a one-vs-rest fit does not.

Each (task, library) runs in its own child process that loads the matrix from
an ``.npz`` file, so no library's allocations hide another's; it reports the
best wall time of ``--repeat`` fits, its peak resident set size (``VmHWM``)
and the resident set just before fitting (their difference is what fitting
costs), and the final objective -- scikit-learn's, divided by C·n, evaluated
in float64 by the same code for both -- to show both reached the same optimum.
The time ratio is skdeep / scikit-learn (target <= 1.0).

Run: ``python benchmarks/bench_sparse.py [--n-docs 50000] [--repeat 3]
[--threads N] [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
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

SEED = 0
TOPIC_SHARE = 0.15
TOPIC_WORDS = 400
TASKS = ("binary", "softmax", "logistic multiclass")
LIBRARIES = ("skdeep", "sklearn")
RESULT_TAG = "RESULT "


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-docs", type=int, default=50_000)
    parser.add_argument("--vocabulary", type=int, default=30_000)
    parser.add_argument("--topics", type=int, default=8)
    parser.add_argument("--mean-length", type=int, default=120, help="words/doc")
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="fits per child")
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 2000 documents, 1 fit"
    )
    # Internal: one (task, library) in this child process.
    parser.add_argument("--worker", choices=LIBRARIES, help=argparse.SUPPRESS)
    parser.add_argument("--task", choices=TASKS, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.n_docs, args.vocabulary, args.repeat = 2000, 5000, 1
    return args


# ----------------------------------------------------------------------- corpus
def zipf_probabilities(n_words: int) -> np.ndarray:
    ranks = np.arange(n_words, dtype=np.float64)
    weights = (ranks + 2.7) ** -1.1
    return weights / weights.sum()


def make_corpus(args) -> tuple[list[str], np.ndarray]:
    """``n_docs`` documents as strings and their topics, from one seeded Generator."""
    rng = np.random.default_rng(SEED)
    vocabulary = np.array([f"w{i}" for i in range(args.vocabulary)])
    background = rng.permutation(args.vocabulary)  # rank -> word, shared by topics
    topic_words = [
        rng.choice(args.vocabulary, size=TOPIC_WORDS, replace=False)
        for _ in range(args.topics)
    ]
    topics = rng.integers(0, args.topics, size=args.n_docs)
    lengths = np.maximum(5, rng.poisson(args.mean_length, size=args.n_docs))
    n_tokens = int(lengths.sum())
    words = background[
        rng.choice(
            args.vocabulary, size=n_tokens, p=zipf_probabilities(args.vocabulary)
        )
    ]
    token_topic = np.repeat(topics, lengths)
    from_topic = rng.random(n_tokens) < TOPIC_SHARE
    topic_rank = rng.choice(
        TOPIC_WORDS, size=n_tokens, p=zipf_probabilities(TOPIC_WORDS)
    )
    table = np.stack(topic_words)  # (topics, TOPIC_WORDS)
    words[from_topic] = table[token_topic[from_topic], topic_rank[from_topic]]
    ends = np.cumsum(lengths)
    tokens = vocabulary[words]
    spans = zip(ends - lengths, ends, strict=True)
    documents = [" ".join(tokens[start:end]) for start, end in spans]
    return documents, topics


# ----------------------------------------------------------------------- children
def make_estimator(library: str, task: str, args):
    options = dict(C=args.C, tol=args.tol, max_iter=args.max_iter)
    if library == "sklearn":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(solver="lbfgs", **options)
    from skdeep import LogisticRegression, SoftmaxClassifier

    estimator = SoftmaxClassifier if task == "softmax" else LogisticRegression
    return estimator(solver="lbfgs", **options)


def task_labels(task: str, topics: np.ndarray) -> np.ndarray:
    return (topics == 0).astype(int) if task == "binary" else topics


def objective(X, y, model, C: float) -> float:
    """scikit-learn's objective divided by C·n, in float64, for either model."""
    from skdeep.linear_model._objectives import GLMObjective

    coef = np.asarray(model.coef_, dtype=np.float64)
    binary = coef.shape[0] == 1
    kind = "binary" if binary else "multinomial"
    target = y if binary else np.searchsorted(model.classes_, y)
    n = X.shape[0]
    glm = GLMObjective(
        X.astype(np.float64), target, np.full(n, 1.0 / n), 1.0 / (C * n), True, kind,
        coef.shape[0],
    )  # fmt: skip
    theta = np.vstack([coef.T, np.asarray(model.intercept_, np.float64)[None]])
    return glm.value(theta)


def run_worker(args) -> None:
    import scipy.sparse
    import threadpoolctl

    X = scipy.sparse.load_npz(pathlib.Path(args.data) / "X.npz").tocsr()
    y = task_labels(args.task, np.load(pathlib.Path(args.data) / "topics.npy"))
    with threadpoolctl.threadpool_limits(args.threads, user_api="blas"):
        make_estimator(args.worker, args.task, args)  # imports before the baseline
        rss_before = current_rss_mb()
        times, model = [], None
        for _ in range(args.repeat):
            model = make_estimator(args.worker, args.task, args)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a max_iter stop shows in n_iter
                start = time.perf_counter()
                model.fit(X, y)
                times.append(time.perf_counter() - start)
        peak = peak_rss_mb()
    result = {
        "seconds": min(times),
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak,
        "objective": objective(X, y, model, args.C),
        "n_iter": int(np.max(model.n_iter_)),
        "accuracy": float(model.score(X, y)),
    }
    print(RESULT_TAG + json.dumps(result))


# ------------------------------------------------------------------------- parent
def run_child(library: str, task: str, args, data: pathlib.Path) -> dict:
    command = [
        sys.executable, __file__, "--worker", library, "--task", task,
        "--data", str(data), "--repeat", str(args.repeat), "--C", str(args.C),
        "--tol", str(args.tol), "--max-iter", str(args.max_iter),
    ]  # fmt: skip
    if args.threads:
        command += ["--threads", str(args.threads)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{library} {task} failed:\n{done.stderr}")
    lines = [s for s in done.stdout.splitlines() if s.startswith(RESULT_TAG)]
    return json.loads(lines[-1][len(RESULT_TAG) :])


def vectorize(args, data: pathlib.Path):
    """Generate the corpus, TF-IDF it, save the matrix; (X, seconds taken)."""
    import scipy.sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    start = time.perf_counter()
    documents, topics = make_corpus(args)
    generated = time.perf_counter() - start
    start = time.perf_counter()
    X = TfidfVectorizer().fit_transform(documents)
    vectorized = time.perf_counter() - start
    scipy.sparse.save_npz(data / "X.npz", X, compressed=False)
    np.save(data / "topics.npy", topics)
    return X, generated, vectorized


def print_report(args, X, seconds, results) -> None:
    import threadpoolctl

    with threadpoolctl.threadpool_limits(args.threads, user_api="blas"):
        blas, n_threads = blas_description()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    generated, vectorized = seconds
    print(f"TF-IDF linear classifiers, sparse X{' (--quick)' if args.quick else ''}")
    print(
        f"numpy {np.__version__} | BLAS {blas}, num_threads={n_threads} | "
        f"os.cpu_count()={os.cpu_count()} | load average {load:.2f}"
    )
    print(
        f"{args.n_docs} documents, {args.topics} topics, {X.shape[1]} terms, "
        f"{X.nnz} stored ({X.nnz / X.shape[0]:.0f}/doc, "
        f"{X.data.nbytes / 2**20:.0f} MB of values) | corpus {generated:.1f} s, "
        f"TfidfVectorizer {vectorized:.1f} s"
    )
    print(
        f"lbfgs, C={args.C:g}, tol={args.tol:g}, max_iter={args.max_iter}, best of "
        f"{args.repeat} | each (task, library) in its own process\n"
    )
    header = (
        f"{'task':20} {'library':8} {'fit s':>8} {'ratio':>6} {'objective':>16} "
        f"{'rel diff':>8} {'iters':>5} {'acc':>6} {'peak RSS MB':>11} {'fit +MB':>8}"
    )
    print(header)
    print("-" * len(header))
    for task in TASKS:
        ours, theirs = results[task]["skdeep"], results[task]["sklearn"]
        ratio = ours["seconds"] / theirs["seconds"]
        diff = abs(ours["objective"] - theirs["objective"]) / abs(theirs["objective"])
        for library, r in (("skdeep", ours), ("sklearn", theirs)):
            mine = library == "skdeep"
            print(
                f"{task if mine else '':20} {library:8} {r['seconds']:8.3f} "
                f"{f'{ratio:6.2f}' if mine else '':>6} {r['objective']:16.10g} "
                f"{f'{diff:8.1e}' if mine else '':>8} {r['n_iter']:5d} "
                f"{r['accuracy']:6.3f} {r['peak_rss_mb']:11.0f} "
                f"{r['peak_rss_mb'] - r['rss_before_mb']:8.0f}"
            )
    print()
    for task in TASKS:
        ours, theirs = results[task]["skdeep"], results[task]["sklearn"]
        ratio = ours["seconds"] / theirs["seconds"]
        same = abs(ours["objective"] - theirs["objective"]) <= 1e-4 * abs(
            theirs["objective"]
        )
        verdict = "PASS" if ratio <= 1.0 else "FAIL"
        note = "" if same else " (different optimum: not the same objective)"
        print(f"{task}: skdeep time / sklearn time = {ratio:.3f} (target <= 1.0: "
              f"{verdict}){note}")  # fmt: skip


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.worker:
        run_worker(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp)
        X, generated, vectorized = vectorize(args, data)
        results = {
            task: {
                lib: run_child(lib, task, args, data) for lib in ("skdeep", "sklearn")
            }
            for task in TASKS
        }
    print_report(args, X, (generated, vectorized), results)


if __name__ == "__main__":
    main()
