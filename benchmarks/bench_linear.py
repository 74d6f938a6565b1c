"""skdeep's linear models against scikit-learn, same data, same process.

Three benchmarks (issue 4), each timed as the best of ``--repeat`` runs with
``time.perf_counter``, skdeep and scikit-learn taking turns run by run:

1. lbfgs on ``make_classification(20000, 784, 10 classes)``, float64 and
   float32: SoftmaxClassifier against scikit-learn's (multinomial)
   LogisticRegression, and LogisticRegression on the binary task "class 0 or
   not" against scikit-learn's binary LogisticRegression -- same C, tol and
   max_iter. Both final objectives are evaluated by the same float64 code; the
   ratio only means something when they agree (``obj rel diff``).
2. LeastSquaresRegressor(solver="auto") against LinearRegression on a
   200000 × 200 float64 problem.
3. 5-fold ``cross_validate`` fit time on load_digits (standardised):
   SoftmaxClassifier against LogisticRegression, default options.

Ratios are skdeep time / scikit-learn time (below 1 is faster). Targets from
the issue: <= 1.0, <= 0.2 and <= 1.0. ``--quick`` shrinks the first two
problems tenfold (a smoke run, not a measurement).

Run: ``python benchmarks/bench_linear.py [--quick] [--repeat 3] [--threads N]``
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import threadpoolctl
from _machine import blas_description  # benchmarks/ is on sys.path for scripts
from sklearn.datasets import load_digits, make_classification
from sklearn.linear_model import LinearRegression
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import cross_validate
from sklearn.preprocessing import StandardScaler

from skdeep import LeastSquaresRegressor, LogisticRegression, SoftmaxClassifier
from skdeep.linear_model._objectives import GLMObjective


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tenfold smaller data")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best)")
    parser.add_argument("--threads", type=int, default=None, help="limit BLAS threads")
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--max-iter", type=int, default=100)
    return parser.parse_args()


def best_times(fit_ours, fit_theirs, repeat: int):
    """Best wall times of ``repeat`` calls of each fit, taking turns, and the models.

    Alternating spreads the load of other processes over both alike.
    """
    times: tuple[list, list] = ([], [])
    models = [None, None]
    for _ in range(repeat):
        for i, fit in enumerate((fit_ours, fit_theirs)):
            start = time.perf_counter()
            models[i] = fit()
            times[i].append(time.perf_counter() - start)
    return min(times[0]), min(times[1]), models[0], models[1]


def objective(X, y, coef, intercept, C, kind):
    """scikit-learn's objective divided by C·n, evaluated in float64 for both."""
    X = np.asarray(X, dtype=np.float64)
    n_classes = coef.shape[0]
    objective = GLMObjective(
        X, y, np.full(len(y), 1.0 / len(y)), 1.0 / (C * len(y)), True, kind, n_classes
    )
    theta = np.vstack([np.asarray(coef, np.float64).T, np.asarray(intercept)[None]])
    return objective.value(theta)


def bench_lbfgs(args, rows):
    n = 2000 if args.quick else 20000
    X, y = make_classification(
        n_samples=n, n_features=784, n_informative=60, n_classes=10, random_state=0
    )
    X = StandardScaler().fit_transform(X)
    options = dict(C=1.0, tol=args.tol, max_iter=args.max_iter)
    for dtype in (np.float64, np.float32):
        Xd = X.astype(dtype)
        for name, ours, target, kind in (
            ("softmax lbfgs", SoftmaxClassifier, y, "multinomial"),
            ("logistic lbfgs (binary)", LogisticRegression, (y == 0).astype(int),
             "binary"),
        ):  # fmt: skip
            t_ours, t_sk, m_ours, m_sk = best_times(
                lambda o=ours, X=Xd, t=target: o(**options).fit(X, t),
                lambda X=Xd, t=target: SkLogisticRegression(**options).fit(X, t),
                args.repeat,
            )
            f_ours = objective(X, target, m_ours.coef_, m_ours.intercept_, 1.0, kind)
            f_sk = objective(X, target, m_sk.coef_, m_sk.intercept_, 1.0, kind)
            rows.append(
                dict(
                    name=f"{name} {n}x784 {np.dtype(dtype).name}",
                    ours=t_ours,
                    sklearn=t_sk,
                    target=1.0,
                    extra=f"obj {f_ours:.10g} vs {f_sk:.10g}, rel diff "
                    f"{abs(f_ours - f_sk) / abs(f_sk):.1e}, iters "
                    f"{int(np.max(m_ours.n_iter_))}/{int(np.max(m_sk.n_iter_))}",
                )
            )


def bench_least_squares(args, rows):
    n = 20000 if args.quick else 200000
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 200))
    y = X @ rng.normal(size=200) + rng.normal(size=n)
    t_ours, t_sk, ours, theirs = best_times(
        lambda: LeastSquaresRegressor().fit(X, y),
        lambda: LinearRegression().fit(X, y),
        args.repeat,
    )
    diff = np.abs(ours.coef_ - theirs.coef_).max() / np.abs(theirs.coef_).max()
    rows.append(
        dict(
            name=f"least squares 'auto' {n}x200",
            ours=t_ours,
            sklearn=t_sk,
            target=0.2,
            extra=f"solver_={ours.solver_}, coef rel diff {diff:.1e}",
        )
    )


def bench_digits_cv(args, rows):
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)

    def cv_fit_time(estimator):
        return float(np.sum(cross_validate(estimator, X, y, cv=5)["fit_time"]))

    times_ours, times_sk = [], []
    for _ in range(args.repeat):
        times_ours.append(cv_fit_time(SoftmaxClassifier()))
        times_sk.append(cv_fit_time(SkLogisticRegression()))
    rows.append(
        dict(
            name="digits 5-fold CV fit (softmax)",
            ours=min(times_ours),
            sklearn=min(times_sk),
            target=1.0,
            extra="sum of the 5 fit times",
        )
    )


def main() -> None:
    args = parse_args()
    limits = threadpoolctl.threadpool_limits(args.threads, user_api="blas")
    rows: list[dict] = []
    with limits:
        blas, n_threads = blas_description()
        bench_lbfgs(args, rows)
        bench_least_squares(args, rows)
        bench_digits_cv(args, rows)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"skdeep linear models vs scikit-learn{' (--quick)' if args.quick else ''}")
    print(
        f"numpy {np.__version__} | BLAS {blas}, num_threads={n_threads} | "
        f"os.cpu_count()={os.cpu_count()} | load average {load:.2f}"
    )
    print(f"best of {args.repeat} | tol={args.tol:g}, max_iter={args.max_iter}\n")
    header = (
        f"{'benchmark':44} {'skdeep s':>9} {'sklearn s':>9} {'ratio':>6} {'target':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        ratio = row["ours"] / row["sklearn"]
        verdict = "ok" if ratio <= row["target"] else "SLOW"
        print(
            f"{row['name']:44} {row['ours']:9.3f} {row['sklearn']:9.3f} "
            f"{ratio:6.2f} <={row['target']:<4} {verdict}"
        )
        print(f"{'':44} {row['extra']}")


if __name__ == "__main__":
    main()
