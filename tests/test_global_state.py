"""Fitting leaves no trace in module state: a worker's fits do not affect each other.

On a Dask worker or a joblib process many fits run one after another in the
same interpreter; they give the same results in any order only if no fit
changes module-level state.
"""

import copy
import importlib
import pkgutil
import types

import numpy as np
import pytest
from sklearn.base import clone, is_classifier

import skdeep

from estimator_configurations import CONFIGURATIONS, with_budget

# Module globals that may legitimately change: a lazily created handle on the
# BLAS libraries loaded in this process (the same in every process, no data).
CACHES = {("skdeep.linear_model._base", "_controller")}

# Every registered configuration, briefly trained.
ESTIMATORS = [
    with_budget(est, width=4, epochs=3, max_iter=5, random_state=0)
    for est in CONFIGURATIONS
]


def module_state() -> dict:
    """A deep copy of every non-callable global of every skdeep module."""
    state = {}
    for info in pkgutil.walk_packages(skdeep.__path__, "skdeep."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (info.name, name) in CACHES or name.startswith("__"):
                continue
            if isinstance(value, (types.ModuleType, types.FunctionType, type)):
                continue
            state[info.name, name] = (id(value), copy.deepcopy(value))
    return state


def assert_same_state(before, after):
    assert before.keys() == after.keys()
    for key, (identity, value) in before.items():
        assert after[key][0] == identity, f"{key} was rebound"
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(after[key][1], value, err_msg=str(key))
        else:
            assert repr(after[key][1]) == repr(value), f"{key} was changed"


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fitting_every_estimator_leaves_module_state_unchanged(rng):
    X = rng.standard_normal((120, 4))
    labels = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    before = module_state()
    assert before  # the registries and constants are there to compare
    for estimator in ESTIMATORS:
        y = labels if is_classifier(estimator) else X @ np.arange(4.0)
        fitted = clone(estimator).fit(X, y)
        fitted.predict(X)
        if hasattr(fitted, "partial_fit"):
            fitted.partial_fit(X, y)
    assert_same_state(before, module_state())
