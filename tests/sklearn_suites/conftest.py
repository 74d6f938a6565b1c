"""Collection of scikit-learn's own test suites run on skdeep.

Tests listed in :mod:`sklearn_suites.not_applicable` are deselected with their
reason; every other test of the suites is applicable and must pass. The
terminal summary counts, per suite: collected, not applicable, passed,
failed, skipped. The suites are marked ``slow`` (about a minute in all), so
``pytest -m "not slow"`` leaves them out.
"""

import collections
import fnmatch

import numpy as np
import pytest
import sklearn.conftest
from sklearn_suites.not_applicable import NOT_APPLICABLE

# scikit-learn's seed parametrisation, so that the suites' tests are
# parametrised (and named) as in scikit-learn's own runs.
pytest_generate_tests = sklearn.conftest.pytest_generate_tests

_SUITES = {
    "test_sklearn_mlp.py": "sklearn/neural_network/tests/test_mlp.py",
    "test_sklearn_neighbors.py": "sklearn/neighbors/tests/test_neighbors.py",
    "test_sklearn_logistic.py": "sklearn/linear_model/tests/test_logistic.py",
}
_COUNTS = pytest.StashKey[dict]()


@pytest.fixture(params=[np.float32, np.float64])
def global_dtype(request):
    """scikit-learn's dtype fixture, float32 included: skdeep computes in
    float32 on float32 input, so those tests apply (scikit-learn runs them only
    when SKLEARN_RUN_FLOAT32_TESTS is set)."""
    return request.param


def pytest_configure(config):
    # Markers scikit-learn's suites use (registered by scikit-learn's conftest
    # or by pytest-run-parallel, neither of which is loaded here).
    config.addinivalue_line("markers", "thread_unsafe: single-threaded test")
    config.addinivalue_line("markers", "parallel_threads(n): threads to run in")
    config.addinivalue_line("markers", "iterations(n): repetitions per thread")
    config.stash[_COUNTS] = collections.defaultdict(collections.Counter)


def not_applicable_reason(suite, name):
    """The reason a suite's test does not apply to skdeep, or None.

    Parameters
    ----------
    suite : str
        The suite's file name, a key of ``NOT_APPLICABLE``.
    name : str
        The test's name with its parametrisation id, ``test_x[a-b]``.

    Returns
    -------
    reason : str or None
    """
    for pattern, reason in NOT_APPLICABLE.get(suite, {}).items():
        if "[" not in pattern:
            if name.partition("[")[0] == pattern:
                return reason
        # '[' and ']' are literal in test ids; '*' matches any run of characters.
        elif fnmatch.fnmatchcase(
            name, pattern.translate({ord("["): "[[]", ord("]"): "[]]"})
        ):
            return reason
    return None


def pytest_collection_modifyitems(config, items):
    counts = config.stash[_COUNTS]
    kept, deselected = [], []
    for item in items:
        suite = item.path.name
        if suite not in _SUITES or item.path.parent.name != "sklearn_suites":
            kept.append(item)
            continue
        counts[suite]["collected"] += 1
        if not_applicable_reason(suite, item.name) is None:
            item.add_marker(pytest.mark.slow)
            kept.append(item)
        else:
            counts[suite]["not applicable"] += 1
            deselected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    suite = item.path.name
    if suite in _SUITES and (report.when == "call" or not report.passed):
        item.config.stash[_COUNTS][suite][report.outcome] += 1
    return report


def pytest_terminal_summary(terminalreporter, config):
    counts = config.stash.get(_COUNTS, {})
    if not counts:
        return
    terminalreporter.section("scikit-learn suites on skdeep")
    columns = ("collected", "not applicable", "passed", "failed", "skipped")
    terminalreporter.write_line(f"{'suite':<46}" + "".join(f"{c:>16}" for c in columns))
    for suite, source in _SUITES.items():
        if suite in counts:
            row = "".join(f"{counts[suite][c]:>16}" for c in columns)
            terminalreporter.write_line(f"{source:<46}{row}")
