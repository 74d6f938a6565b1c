"""Run scikit-learn's own test modules, as installed, on skdeep's estimators.

A suite is the source of an installed scikit-learn test module, executed in a
fresh namespace whose ``import`` statements see skdeep's estimators under
scikit-learn's names (:data:`SWAPS`). Nothing of scikit-learn's code is copied
into this repository: the source is read from the installed package at
collection time. The swap happens at import time, not by patching the module
afterwards, because parametrisation lists (``[MLPClassifier, MLPRegressor]``)
are built while the module executes.
"""

import builtins
import importlib.util
import sys
import types

import skdeep

# scikit-learn module -> {public name -> the skdeep estimator that replaces it}.
SWAPS = {
    "sklearn.neural_network": {
        "MLPClassifier": skdeep.MLPClassifier,
        "MLPRegressor": skdeep.MLPRegressor,
    },
    "sklearn.neighbors": {
        "KNeighborsClassifier": skdeep.KNN,
        "KNeighborsRegressor": skdeep.KNNRegressor,
    },
    "sklearn.linear_model": {
        "LogisticRegression": skdeep.LogisticRegression,
    },
}

SWAPPED_ESTIMATORS = tuple(
    estimator for names in SWAPS.values() for estimator in names.values()
)


class _SwappingImporter:
    """``__import__`` that hands out views of the swapped modules.

    A view is a module object holding the replacements and the views of
    swapped submodules, and delegating every other attribute to the real
    module (PEP 562 ``__getattr__``). Attributes a suite sets on a view (as
    ``neighbors.kneighbors_graph = ignore_warnings(...)``) stay on the view,
    so the real scikit-learn modules are never modified.
    """

    def __init__(self, swaps):
        self._swaps = swaps
        self._views = {}

    def __call__(self, name, globals=None, locals=None, fromlist=(), level=0):
        module = builtins.__import__(name, globals, locals, fromlist, level)
        return self._view(module)

    def _view(self, module):
        name = getattr(module, "__name__", None)
        if not isinstance(name, str) or not self._is_swapped_or_parent(name):
            return module
        if name not in self._views:
            view = types.ModuleType(name, module.__doc__)
            view.__getattr__ = lambda attribute: getattr(module, attribute)
            view.__dict__.update(self._swaps.get(name, {}))
            for swapped in self._swaps:
                parent, _, child = swapped.rpartition(".")
                if parent == name:
                    importlib.import_module(swapped)
                    setattr(view, child, self._view(sys.modules[swapped]))
            self._views[name] = view
        return self._views[name]

    def _is_swapped_or_parent(self, name):
        return any(
            swapped == name or swapped.startswith(name + ".") for swapped in self._swaps
        )


def load_suite(module_name, swaps=SWAPS):
    """Execute an installed scikit-learn test module with skdeep swapped in.

    Parameters
    ----------
    module_name : str
        Dotted name of the installed test module, e.g.
        ``"sklearn.neural_network.tests.test_mlp"``.
    swaps : dict, default=SWAPS
        scikit-learn module name -> {attribute name -> replacement}.

    Returns
    -------
    namespace : dict
        The module's public names (tests, fixtures, helpers, ``pytestmark``),
        whose functions resolve their globals, and their own ``import``
        statements, against the swapped namespace.
    """
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.origin is None:
        raise ImportError(
            f"{module_name} is not installed: the scikit-learn wheel must ship "
            "its tests for the scikit-learn suites to run."
        )
    with open(spec.origin, encoding="utf-8") as file:
        source = file.read()
    namespace = {
        "__name__": f"sklearn_suites.{module_name}",
        "__file__": spec.origin,
        "__builtins__": {**vars(builtins), "__import__": _SwappingImporter(swaps)},
    }
    # Compiled under its own path: tracebacks point into scikit-learn's file.
    exec(compile(source, spec.origin, "exec"), namespace)
    return {name: obj for name, obj in namespace.items() if not name.startswith("__")}
