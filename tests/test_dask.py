"""Scaling out on Dask: the cluster finds what a local run finds; training by blocks.

The code under test is the code the documentation shows (docs/scaling/*.py,
included verbatim by docs/scaling.rst), so the page cannot drift from what runs.
"""

import faulthandler
import importlib.util
import pathlib
import signal

import dask
import numpy as np
import pytest
import threadpoolctl
from dask.distributed import Client, LocalCluster, get_task_stream
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skdeep

from estimator_configurations import find

SCRIPTS = pathlib.Path(__file__).resolve().parents[1] / "docs" / "scaling"


def load_script(name):
    spec = importlib.util.spec_from_file_location(f"scaling_{name}", SCRIPTS / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


grid_search = load_script("grid_search.py")
partial_fit_blocks = load_script("partial_fit_blocks.py")


@pytest.fixture(autouse=True)
def fail_instead_of_hanging():
    """A deadlock between the client and the workers would hold the test run
    until CI's time limit. After 5 minutes (the slowest test here takes a few
    seconds) the test fails with a TimeoutError raised where it waits; if even
    that cannot get through, every thread's stack is dumped a minute later and
    the run ends."""

    def give_up(signum, frame):
        raise TimeoutError("no result from the Dask cluster after 300 s")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(300)
    faulthandler.dump_traceback_later(360, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


def local_reference(function, *args):
    # The workers run one BLAS thread (see the first test); so does the local
    # reference, so that both sum every product in the same order.
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        return function(*args)


def workers_used(task_stream) -> set:
    return {task["worker"] for task in task_stream.data}


def test_precondition_workers_run_one_blas_thread_like_the_local_reference(client):
    # Not a test of skdeep (tests/test_threads.py checks that skdeep never raises
    # a thread limit) but of what the comparisons below assume: Dask's nanny
    # sets these before it spawns a worker, so the workers sum every product in
    # the same order as the single-threaded local reference.
    environ = dask.config.get("distributed.nanny.pre-spawn-environ")
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        assert int(environ[variable]) == 1

    def blas_threads():
        controller = threadpoolctl.ThreadpoolController().select(user_api="blas")
        return {library.num_threads for library in controller.lib_controllers}

    assert client.run(blas_threads) == {
        address: {1} for address in client.scheduler_info()["workers"]
    }


@pytest.mark.parametrize(
    "make_search",
    [pytest.param("network_search", marks=pytest.mark.slow), "neighbors_search"],
)
def test_grid_search_on_the_cluster_matches_the_local_run(client, digits, make_search):
    X, y = digits
    make_search = getattr(grid_search, make_search)
    local = local_reference(make_search().fit, X, y)
    with get_task_stream(client) as tasks:
        remote = grid_search.fit_on_dask(make_search(), X, y)
    assert len(workers_used(tasks)) == 2  # the folds really ran on both workers
    assert remote.cv_results_["params"] == local.cv_results_["params"]
    for key in ("mean_test_score", *(f"split{i}_test_score" for i in range(3))):
        assert_array_equal(remote.cv_results_[key], local.cv_results_[key], key)
    assert remote.best_params_ == local.best_params_
    assert_array_equal(
        remote.best_estimator_.predict(X), local.best_estimator_.predict(X)
    )


@pytest.mark.parametrize(
    "estimator",
    [
        find(skdeep.SoftmaxClassifier),
        # Query threads inside a worker's task: they must stay on that worker.
        find(skdeep.KNN, n_jobs=2),
    ],
    ids=["SoftmaxClassifier", "KNN"],
)
def test_cross_validate_on_the_cluster_matches_the_local_run(client, digits, estimator):
    X, y = digits
    pipeline = make_pipeline(StandardScaler(), estimator)
    local = local_reference(cross_validate, clone(pipeline), X, y)
    with get_task_stream(client) as tasks:
        remote = grid_search.cross_validate_on_dask(clone(pipeline), X, y)
    assert len(workers_used(tasks)) == 2
    assert_array_equal(remote["test_score"], local["test_score"])


# ---- data larger than memory: partial_fit over the blocks of a dask.array ------

EPOCHS = 10
# Block-wise and in-memory training see the same rows and make the same number
# of updates per epoch (a 200-row block is one 'auto' minibatch); they differ
# only in which rows share a minibatch, i.e. in SGD noise. 0.02 is 9 of the 450
# test digits, a little more than that noise: the in-memory MLP's test accuracy
# spans 0.013 over random_state 0..7 on this split.
SAME_QUALITY = 0.02


def in_memory_accuracy(model, X, y, X_test, y_test):
    X, y = dask.compute(X, y)
    fitted = clone(model).set_params(max_iter=EPOCHS).fit(X, y)
    accuracy = fitted.score(X_test, y_test)
    # A 10-class linear model already reaches over 0.9 on digits: the
    # comparison below is between trained models.
    assert accuracy > 0.9
    return accuracy


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", ["MLPClassifier", "SoftmaxClassifier"])
def test_partial_fit_over_blocks_trains_as_well_as_in_memory(name):
    X, y, X_test, y_test = partial_fit_blocks.digits_blocks()
    assert X.numblocks[0] >= 5 and y.numblocks[0] == X.numblocks[0]
    model = partial_fit_blocks.models()[name]
    by_blocks = partial_fit_blocks.partial_fit_by_blocks(
        clone(model), X, y, classes=np.arange(10), epochs=EPOCHS
    )
    assert by_blocks.n_iter_ > 0
    expected = in_memory_accuracy(model, X, y, X_test, y_test)
    assert by_blocks.score(X_test, y_test) >= expected - SAME_QUALITY


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", ["MLPClassifier", "SoftmaxClassifier"])
def test_dask_ml_incremental_on_the_cluster_trains_as_well_as_in_memory(client, name):
    X, y, X_test, y_test = partial_fit_blocks.digits_blocks()
    model = partial_fit_blocks.models()[name]
    with get_task_stream(client) as tasks:
        incremental = partial_fit_blocks.incremental_fit(
            clone(model), X, y, classes=np.arange(10), epochs=EPOCHS
        )
    assert workers_used(tasks)  # the blocks were trained on by the workers
    expected = in_memory_accuracy(model, X, y, X_test, y_test)
    assert incremental.score(X_test, y_test) >= expected - SAME_QUALITY
