"""What :func:`skdeep.load` may rebuild: the allow-list, by stable public name.

A saved file names classes by these strings, and loading resolves them with a
dictionary lookup in this table, never by importing a module named in the
file. The names are the public ones (``skdeep.nn.Dense``, not
``skdeep.nn.layers.Dense``; ``sklearn.preprocessing.StandardScaler``, not
scikit-learn's private module), so that moving a class inside a package does
not invalidate saved files.

The layers declare which of their attributes are transient (see
:func:`transient_attributes`): caches that the next ``forward`` overwrites
before anything reads them (the last input of a layer, which may be a slice of
the training data), which are never written to a file; and scratch buffers,
which are written as zeros so that a file never carries uninitialised memory.
"""

from __future__ import annotations

import functools

import numpy as np


@functools.cache
def allowed_classes() -> dict[str, type]:
    """Stable name → class of every class whose instances can be saved and loaded."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import LabelBinarizer, LabelEncoder

    from .. import linear_model, neighbors, neural_network, nn
    from ..neighbors import _distances, _metrics
    from ..neural_network import _learning_rate
    from ._sklearn_state import PREPROCESSORS

    table: dict[str, type] = {}
    # Every public estimator, under its top-level name: read off the families'
    # __all__, so that exporting an estimator allows it here.
    for family in (linear_model, neighbors, neural_network):
        for name in family.__all__:
            table[f"skdeep.{name}"] = getattr(family, name)
    for cls in (
        nn.Layer,
        nn.Dense,
        nn.Activation,
        nn.Dropout,
        nn.BatchNorm,
        nn.LayerNorm,
        nn.Sequential,
        nn.History,
    ):
        table[f"skdeep.nn.{cls.__name__}"] = cls
    for module, registry in (
        (nn.activations, nn.activations.ACTIVATIONS),
        (nn.losses, nn.losses.LOSSES),
        (nn.optimizers, nn.optimizers.OPTIMIZERS),
        (nn.schedules, nn.schedules.SCHEDULES),
    ):
        short = module.__name__.rsplit(".", 1)[-1]
        for cls in registry.values():
            table[f"skdeep.nn.{short}.{cls.__name__}"] = cls
    # Fitted internals of the estimators (private: not for users to build).
    # The name of skdeep 0.1.0.dev0, whose files keep loading.
    table["skdeep._base._EpochSchedule"] = _learning_rate.EpochSchedule
    table["skdeep._distances.FittedIndex"] = _distances.FittedIndex
    table["skdeep._distances._Grid"] = _metrics._Grid  # the name files use
    # scikit-learn: the pipeline and the stateless-or-plain-array preprocessors
    # that are commonly put in front of a skdeep estimator, and the label
    # encoders the estimators hold.
    table["sklearn.pipeline.Pipeline"] = Pipeline
    for cls in (*PREPROCESSORS, LabelBinarizer, LabelEncoder):
        table[f"sklearn.preprocessing.{cls.__name__}"] = cls
    return table


@functools.cache
def class_names() -> dict[type, str]:
    """Class → stable name (exact classes only: a subclass is not on the list)."""
    return {cls: name for name, cls in allowed_classes().items()}


@functools.cache
def allowed_functions() -> dict[str, object]:
    """Module-level functions that may appear as parameter values.

    ``KNN(weights=callable)`` takes a function of the distances; the NumPy
    core's stable sigmoid and softplus are the ones skdeep itself offers.
    """
    from ..nn import activations

    return {
        "skdeep.nn.activations.sigmoid": activations.sigmoid,
        "skdeep.nn.activations.softplus": activations.softplus,
    }


@functools.cache
def function_names() -> dict[int, str]:
    return {id(f): name for name, f in allowed_functions().items()}


def transient_attributes(cls: type) -> tuple[frozenset, frozenset]:
    """``(dropped, zeroed)`` attribute names of ``cls``, as the class declares them.

    A layer names its forward-pass caches and scratch buffers itself
    (:meth:`skdeep.nn.Layer.transient_attributes`, which pickling reads too),
    and the neighbours' fitted index its tree; other classes have none.
    """
    declared = getattr(cls, "transient_attributes", None)
    if declared is not None:
        return declared()
    return frozenset(), frozenset()


@functools.cache
def method_names() -> frozenset[str]:
    """Public names that some allow-listed class defines as a method.

    A file may not give an object an attribute of such a name that its own
    class lacks: ``predict_proba`` on a regressor would make it look like a
    classifier to scikit-learn's duck typing (and call whatever it holds).
    """
    import inspect

    def is_method(value) -> bool:
        # Functions, class/static methods and scikit-learn's available_if
        # descriptors; not properties, whose names other classes use for data.
        return not isinstance(value, property) and hasattr(type(value), "__get__")

    return frozenset(
        name
        for cls in allowed_classes().values()
        for name in dir(cls)
        if not name.startswith("_") and is_method(inspect.getattr_static(cls, name))
    )


def callable_attributes(cls: type) -> frozenset[str]:
    """Attributes of ``cls`` that hold a callable: its constructor parameters
    (a schedule, a dtype) and the function an ``Activation`` layer wraps."""
    import inspect

    from .. import nn

    names = set(inspect.signature(cls).parameters)
    if issubclass(cls, nn.Activation):
        names.add("function")
    return frozenset(names)


def legacy_array_lists(cls: type) -> dict[str, str | None]:
    """The lists that old files store for ``cls`` and that ``cls`` now computes.

    skdeep 0.1.0.dev0 stored a layer's (and an activation function's)
    ``params``, ``grads`` and ``state`` as lists beside the attributes they
    aliased. Each maps to the class attribute naming the attributes the list
    is now read from: loading takes from the list only the arrays whose
    attributes the file lacks (the gradients of batch and layer norm had no
    name of their own). ``None``: the list is gathered from other objects
    (:class:`~skdeep.nn.Sequential`'s layers) and loading drops it.
    """
    from .. import nn

    names = {
        "params": "param_attributes",
        "grads": "grad_attributes",
        "state": "state_attributes",
    }
    if issubclass(cls, nn.Sequential):
        return dict.fromkeys(names)
    if issubclass(cls, nn.Layer):
        return names
    if issubclass(cls, nn.activations.ActivationFunction):
        return {"params": names["params"]}
    return {}


@functools.cache
def _must_be_none() -> dict[type, tuple[str, ...]]:
    from sklearn.pipeline import Pipeline

    # A Pipeline's memory caches fitted steps as joblib pickles in a folder it
    # names and unpickles them on a cache hit: a file could point it at any
    # folder. The other parameters of the allow-listed classes name no file
    # and run no code beyond skdeep's and scikit-learn's own (callables are
    # only the allow-listed functions and objects; Pipeline.transform_input is
    # a list of metadata names, verbose only prints).
    return {Pipeline: ("memory",)}


def parameter_problem(obj) -> str | None:
    """Why the constructor parameters of ``obj`` must not be saved or loaded.

    ``None`` if they are fine: the parameters that must be None are None, and
    a class with ``_parameter_constraints`` accepts them
    (``obj._validate_params()``), as its ``fit`` would check.
    """
    cls = type(obj)
    for name in _must_be_none().get(cls, ()):
        value = vars(obj).get(name)
        if value is not None:
            return (
                f"{cls.__name__}.{name} must be None, not {value!r:.80}: a "
                f"{cls.__name__} with {name} reads and writes pickles in the "
                "folder it names."
            )
    problem = _steps_problem(obj)
    if problem is not None:
        return problem
    if hasattr(cls, "_parameter_constraints"):
        try:
            obj._validate_params()
        except (TypeError, ValueError) as error:
            return f"invalid parameters of {cls.__name__} ({error})"
    return None


def _steps_problem(obj) -> str | None:
    """Why a ``Pipeline``'s steps are not (name, estimator) pairs, or None.

    scikit-learn checks them only in ``fit``; a loaded pipeline predicts at
    once, so a layer or a number as a step must be refused here.
    """
    from sklearn.base import BaseEstimator
    from sklearn.pipeline import Pipeline

    if type(obj) is not Pipeline:
        return None
    steps = vars(obj).get("steps")
    if type(steps) is not list or not steps:
        return "Pipeline.steps must be a non-empty list of (name, estimator) pairs"
    for step in steps:
        valid = (
            type(step) is tuple
            and len(step) == 2
            and type(step[0]) is str
            and (step[1] in (None, "passthrough") or isinstance(step[1], BaseEstimator))
        )
        if not valid:
            return f"Pipeline.steps must hold (name, estimator) pairs, not {step!r:.80}"
    return None


# numpy bit generators a saved Generator may use, by name.
BIT_GENERATORS: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        np.random.PCG64,
        np.random.PCG64DXSM,
        np.random.MT19937,
        np.random.Philox,
        np.random.SFC64,
    )
}

# Array and scalar dtypes a file may hold: booleans, integers, floats, complex
# numbers and fixed-width strings. Never object (which would need pickle).
ARRAY_KINDS = frozenset("biufcUS")
SCALAR_KINDS = frozenset("biufcU")


def supported_summary() -> str:
    """A sentence listing what can be saved, for error messages."""
    names = ", ".join(sorted(allowed_classes()))
    return (
        "Supported values are None, bool, int, float, str, lists, tuples, dicts, "
        "numpy arrays (of object dtype only for str, int, float or bool labels), "
        "numpy scalars "
        "and dtypes, numpy Generators and RandomStates, the functions "
        f"{', '.join(sorted(allowed_functions()))}, and instances of: {names}."
    )
