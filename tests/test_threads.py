"""Thread use: never more BLAS threads than the process allows, never a remote pool.

On a Dask worker (whose nanny starts it with ``OMP_NUM_THREADS=1`` and its
BLAS equivalents) or inside a user's ``threadpool_limits``, the estimators may
lower the BLAS thread count for a small problem but must never raise it, must
put it back afterwards, and must keep KNN's query threads in the process even
when a joblib backend that ships work elsewhere (loky, Dask) is active.
"""

import contextlib
import pathlib
import sys
import threading
import types
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import threadpoolctl
from joblib import parallel_config
from numpy.testing import assert_array_equal
from sklearn.base import clone, is_classifier

import skdeep

from estimator_configurations import (
    CONFIGURATIONS,
    LINEAR_CONFIGURATIONS,
    config_id,
    with_budget,
)

PACKAGE = str(pathlib.Path(skdeep.__file__).parent)
BLAS = threadpoolctl.ThreadpoolController().select(user_api="blas")


def blas_threads() -> int:
    return max(library.num_threads for library in BLAS.lib_controllers)


@contextlib.contextmanager
def blas_thread_probe():
    """Record the BLAS thread count at every call of a skdeep function, in any thread.

    The count is process-wide, so sampling it on entry to each of our
    functions (solvers, layers, distance chunks on joblib threads) sees every
    limit our code sets while it runs.
    """
    seen: list[int] = []

    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(PACKAGE):
            seen.append(blas_threads())

    sys.setprofile(profile)
    threading.setprofile(profile)
    try:
        yield seen
    finally:
        sys.setprofile(None)
        threading.setprofile(None)


def small_data(estimator, rng):
    X = rng.standard_normal((200, 8))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    return X, (y if is_classifier(estimator) else X @ np.arange(8.0))


def large_data(estimator, rng):
    # n·p·classes = 3000·100·10 = 3e6 multiply-adds per pass: above the size
    # at which the linear models keep the BLAS threads they are given.
    X = rng.standard_normal((3000, 100))
    y = np.argmax(X[:, :10], axis=1)
    return X, (y if is_classifier(estimator) else X[:, :10] @ np.arange(10.0))


# Every registered configuration on the small problem; the linear models also
# on the large one, where they keep the threads they are given.
_BUDGET = dict(width=8, epochs=3, max_iter=5, random_state=0)
CASES = [
    *((with_budget(est, **_BUDGET), small_data) for est in CONFIGURATIONS),
    *((with_budget(est, **_BUDGET), large_data) for est in LINEAR_CONFIGURATIONS),
]


def _marks(estimator, data):
    # Newton's Hessian on the large problem (1010 × 1010 for ten classes) takes
    # seconds per fit.
    newton = estimator.get_params().get("solver") == "newton"
    return pytest.mark.slow if newton and data is large_data else ()


PARAMS = [
    pytest.param(
        estimator,
        data,
        id=f"{config_id(estimator)}-{data.__name__}",
        marks=_marks(estimator, data),
    )
    for estimator, data in CASES
]

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def fit_and_predict(estimator, data, rng):
    X, y = data(estimator, rng)
    return clone(estimator).fit(X, y).predict(X)


def test_the_probe_sees_a_limit_raised_inside_the_probed_code(rng):
    # Without this the tests below could pass with a probe that never fires.
    def raising_fit():
        with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
            skdeep.nn.activations.get("relu")

    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        with blas_thread_probe() as seen:
            raising_fit()
    assert seen and max(seen) == 2


def test_every_public_estimator_is_probed():
    assert {type(estimator).__name__ for estimator, _ in CASES} == set(
        skdeep.ESTIMATORS
    )


@pytest.mark.parametrize(("estimator", "data"), PARAMS)
def test_a_user_limit_of_one_thread_is_never_raised(estimator, data, rng):
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        with blas_thread_probe() as seen:
            fit_and_predict(estimator, data, rng)
        assert blas_threads() == 1
    assert seen and set(seen) == {1}


@pytest.mark.parametrize(("estimator", "data"), PARAMS)
def test_a_two_thread_process_stays_at_most_two_and_is_restored(estimator, data, rng):
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        with blas_thread_probe() as seen:
            fit_and_predict(estimator, data, rng)
        assert blas_threads() == 2
    assert seen and max(seen) <= 2


def test_small_linear_fits_drop_to_one_thread_and_large_ones_keep_them(rng):
    # The documented trade-off of skdeep.linear_model._base._blas_threads: it
    # only ever lowers the count, and only for problems too small to share.
    seen = {}
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        for data in (small_data, large_data):
            estimator = skdeep.SoftmaxClassifier(max_iter=5)
            X, y = data(estimator, rng)
            with blas_thread_probe() as seen[data]:
                estimator.fit(X, y)
    assert set(seen[small_data]) == {1, 2}  # validation on 2, the solver on 1
    assert set(seen[large_data]) == {2}


@pytest.mark.parametrize("backend", ["loky", "multiprocessing"])
@pytest.mark.parametrize("Estimator", [skdeep.KNN, skdeep.KNNRegressor])
def test_knn_threads_stay_local_under_a_process_backend(Estimator, backend, rng):
    # Under a process (or Dask) backend joblib would pickle the query chunks,
    # which share a per-thread scratch block, and send them to other processes.
    X = rng.standard_normal((600, 5))
    y = (X[:, 0] > 0).astype(int)
    expected = Estimator(n_jobs=1).fit(X, y).predict(X)
    with parallel_config(backend=backend, n_jobs=2):
        for n_jobs in (None, 2, -1):
            got = Estimator(n_jobs=n_jobs).fit(X, y).predict(X)
            assert_array_equal(got, expected)


def test_knn_thread_count_follows_joblib_rules_but_not_its_backend():
    from joblib import cpu_count

    from skdeep.neighbors._distances import _n_threads

    assert _n_threads(None) == 1
    assert _n_threads(3) == 3
    assert _n_threads(-1) == cpu_count()
    with parallel_config(n_jobs=3):
        assert _n_threads(None) == 3
    # On a Dask worker joblib would count the cluster's cores instead.
    with parallel_config(backend="loky"):
        assert _n_threads(None) == 1


# Every query method an estimator has; each returns arrays (kneighbors a pair).
QUERY_METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "kneighbors",
    "kneighbors_graph",
)


def _as_arrays(result):
    if isinstance(result, tuple):
        return [np.asarray(part) for part in result]
    return [result.toarray() if hasattr(result, "toarray") else np.asarray(result)]


@pytest.mark.parametrize(
    "estimator",
    [with_budget(est, **_BUDGET) for est in CONFIGURATIONS],
    ids=config_id,
)
def test_eight_threads_get_the_predictions_of_serial_calls(estimator, rng):
    """A fitted model serves many threads: prediction stores nothing on it
    (issue 15: layer norm once returned another thread's probabilities)."""
    X, y = small_data(estimator, rng)
    fitted = clone(estimator).fit(X, y)
    queries = [rng.standard_normal((20 + 7 * i, X.shape[1])) for i in range(32)]
    methods = [m for m in QUERY_METHODS if hasattr(fitted, m)]
    calls = [(method, Q) for method in methods for Q in queries]
    serial = [_as_arrays(getattr(fitted, m)(Q)) for m, Q in calls]
    threads_before = blas_threads()
    barrier = threading.Barrier(8)

    def call(index):
        if index < 8:  # start the first eight together
            barrier.wait()
        method, Q = calls[index]
        return _as_arrays(getattr(fitted, method)(Q))

    with ThreadPoolExecutor(8) as pool:
        threaded = list(pool.map(call, range(len(calls))))
    for (method, _), expected, got in zip(calls, serial, threaded, strict=True):
        for want, have in zip(expected, got, strict=True):
            assert_array_equal(have, want, err_msg=method)
    assert blas_threads() == threads_before


class _ProcessWideCount:
    """A BLAS library as threadpoolctl sees it: one count for the whole process;
    a limit records the count it finds and puts it back when restored."""

    def __init__(self, count):
        self.count = count

    def limit(self, limits, user_api):
        found, self.count = self.count, limits
        return types.SimpleNamespace(
            restore_original_limits=lambda: setattr(self, "count", found)
        )


def test_limits_left_in_another_order_than_entered_restore_the_count(monkeypatch):
    """Thread A limits BLAS to one thread, B does too, A leaves, B leaves: B
    keeps its limit until it leaves, and the count is back where it started
    (per-call limits left it on one thread, the count B had found).

    The library is simulated: the OpenBLAS builds here ignore a count set from
    a worker thread once the main thread has set one, which would hide the
    order in which the limits are restored.
    """
    from skdeep.linear_model._base import _blas_threads
    from skdeep.nn._blas import single_blas_thread

    library = _ProcessWideCount(2)
    monkeypatch.setattr(single_blas_thread, "_controller", library)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def thread_a():
        with _blas_threads(0):
            a_in.set()
            b_in.wait()
        a_out.set()

    def thread_b():
        a_in.wait()
        with _blas_threads(0):
            b_in.set()
            a_out.wait()
            seen["b after a left"] = library.count

    with ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(thread_a), pool.submit(thread_b)]:
            future.result()
    assert seen["b after a left"] == 1
    assert library.count == 2


@pytest.mark.parametrize(
    "estimator",
    [with_budget(est, **_BUDGET) for est in LINEAR_CONFIGURATIONS],
    ids=config_id,
)
def test_two_threads_fitting_small_linear_models_restore_the_count(estimator, rng):
    X, y = small_data(estimator, rng)
    expected = clone(estimator).fit(X, y).predict(X)
    barrier = threading.Barrier(2)

    def fit_and_predict_together(_):
        barrier.wait()
        return clone(estimator).fit(X, y).predict(X)

    original = threadpoolctl.threadpool_info()
    with ThreadPoolExecutor(2) as pool:
        for _ in range(5):
            for got in pool.map(fit_and_predict_together, range(2)):
                assert_array_equal(got, expected)
    assert threadpoolctl.threadpool_info() == original
