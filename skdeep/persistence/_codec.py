"""Object graph ↔ JSON document plus a table of numpy arrays, with no code in between.

:func:`encode` turns an estimator into a JSON-compatible tree and a list of
arrays; :func:`decode` rebuilds the estimator from them. The JSON tree uses
plain JSON where it can and small tagged objects (keys starting with ``__``)
elsewhere:

=======================================  =====================================
value                                    JSON
=======================================  =====================================
None, bool, int, str, list               themselves
float                                    a number; ``{"__float__": "nan"}``,
                                         ``"inf"`` or ``"-inf"`` otherwise
dict with str keys (none starting __)    an object; else ``{"__dict__": [[k, v],
                                         ...]}``
tuple                                    ``{"__tuple__": [...]}``
numpy array                              ``{"__array__": i}``: entry i of the
                                         array table (an ``.npy`` member, a view
                                         of one, or JSON items for labels)
numpy scalar / dtype / scalar type       ``{"__scalar__": "<f4", "value": ...}``,
                                         ``{"__dtype__": "<f4"}``,
                                         ``{"__nptype__": "<i1"}``
numpy Generator, RandomState             the bit generator's name and state
allow-listed function                    ``{"__function__": name}``
allow-listed object                      ``{"__class__": name, "params": {...},
                                         "attributes": {...}}``
=======================================  =====================================

Identity is kept: an array, list, dict, tuple or object reachable along two
paths is written once (with ``"__id__": n``) and referenced as
``{"__ref__": n}`` afterwards, and an array that is a view of another saved
array is stored as (offset, shape, strides) into it. So the coefficients an
MLP exposes stay the very arrays its layers train, and an optimizer's
per-block views still write into its moment estimates after loading.

Objects are rebuilt with ``cls.__new__(cls)`` and their ``__dict__`` filled in:
no ``__init__``, ``__setstate__`` or ``__reduce__`` runs, and ``cls`` comes from
the allow-list dictionary, never from importing a name found in the file. The
``params``, ``grads`` and ``state`` lists that files of skdeep 0.1.0.dev0 hold
for each layer are not set: the layers compute them from their attributes, and
take from them only the arrays that had no attribute of their own.
"""

from __future__ import annotations

import inspect
from collections import Counter

import numpy as np

from . import _allowlist as allow
from . import _arrays as array_table
from ._arrays import checked_dtype, encode_float, expect, parse_dtype
from ._attribute_names import check_attribute_names
from ._sklearn_state import check_preprocessor_state

_PLAIN_SCALARS = (type(None), bool, int, str)
# What two parameters may hold the very same instance of: random generators
# (one RandomState for every step of a pipeline), which are leaves to
# ``repr`` and ``clone``. A shared container or estimator would let a small
# file describe a parameter graph that ``repr`` and ``clone`` walk in
# exponential time.
_SHAREABLE_IN_PARAMETERS = (np.random.Generator, np.random.RandomState)


# --------------------------------------------------------------------- encode
def encode(root) -> tuple[dict, list[dict], list[np.ndarray]]:
    """``(tree, array_table, arrays_to_store)`` for the object graph under ``root``.

    ``array_table[i]`` describes array ``i`` (``{"kind": "npy"}``, ``"view"`` or
    ``"object"`` with its dtype and shape); ``arrays_to_store[j]`` is the data
    of the table entry whose ``"member"`` is ``j``.

    Raises
    ------
    TypeError
        If the graph holds a value that cannot be saved; the message names
        its path from the root and lists what is supported.
    """
    encoder = _Encoder()
    encoder.count(root)
    tree = encoder.encode(root, type(root).__name__)
    table, stored = array_table.describe(encoder.arrays)
    return tree, table, stored


class _Encoder:
    def __init__(self) -> None:
        self.references: Counter = Counter()  # id → times reached (containers)
        self.alive: list = []  # keeps counted objects alive, so ids stay unique
        self.ids: dict[int, int] = {}  # id(obj) → "__id__" given in the tree
        self.arrays: list[np.ndarray] = []
        self.array_index: dict[int, int] = {}
        self.open_tuples: set[int] = set()
        # Inside constructor parameters (and not inside an object's attributes):
        # containers are written out in full, never as references (see
        # _Decoder.decode_ref), and open_plain guards against a cycle.
        self.in_params = False
        self.open_plain: set[int] = set()

    # Pass 1: how often each container or object is reached, so that only the
    # shared ones carry an "__id__" (most lists and dicts stay plain JSON).
    def count(self, value) -> None:
        stack = [value]
        while stack:
            value = stack.pop()
            if isinstance(value, (*_PLAIN_SCALARS, float, np.ndarray, np.generic)):
                continue
            self.references[id(value)] += 1
            if self.references[id(value)] > 1:
                continue
            self.alive.append(value)
            stack.extend(_children(value))

    def shared(self, value) -> bool:
        return self.references[id(value)] > 1

    def encode(self, value, path: str):
        kind = type(value)
        if kind in _PLAIN_SCALARS:
            return value
        if kind is float:
            return encode_float(value)
        # A memory map (joblib.load(..., mmap_mode="r")) is saved as its data.
        if kind is np.ndarray or kind is np.memmap:
            return {"__array__": self.add_array(value, path)}
        if isinstance(value, np.generic):
            return _encode_scalar(value, path)
        if isinstance(value, np.dtype):
            return {"__dtype__": checked_dtype(value, allow.ARRAY_KINDS, path).str}
        if isinstance(value, type) and issubclass(value, np.generic):
            return {"__nptype__": checked_dtype(value, allow.SCALAR_KINDS, path).str}
        if id(value) in allow.function_names():
            return {"__function__": allow.function_names()[id(value)]}
        if self.in_params and kind in (list, tuple, dict):
            return self.encode_parameter_container(value, path)
        if id(value) in self.ids:
            if self.in_params and kind not in _SHAREABLE_IN_PARAMETERS:
                raise TypeError(
                    f"Cannot save {path}: a parameter holds an object that another "
                    "parameter holds too; parameters must be plain values."
                )
            if id(value) in self.open_tuples:
                raise TypeError(
                    f"Cannot save {path}: it is a tuple that contains itself."
                )
            return {"__ref__": self.ids[id(value)]}
        node = self.encode_new(value, path)
        if node is None:
            raise TypeError(
                f"Cannot save {path}: values of type {_qualname(kind)} are not "
                f"supported. {allow.supported_summary()}"
            )
        return node

    def encode_parameter_container(self, value, path: str):
        if id(value) in self.open_plain:
            raise TypeError(f"Cannot save {path}: a parameter that contains itself.")
        self.open_plain.add(id(value))
        try:
            items = value.items() if type(value) is dict else enumerate(value)
            encoded = [(k, self.encode(v, f"{path}[{k!r}]")) for k, v in items]
        finally:
            self.open_plain.discard(id(value))
        if type(value) is list:
            return [v for _, v in encoded]
        if type(value) is tuple:
            return {"__tuple__": [v for _, v in encoded]}
        if all(type(k) is str and not k.startswith("__") for k in value):
            return dict(encoded)
        return {"__dict__": [[self.encode(k, f"{path} (key)"), v] for k, v in encoded]}

    def with_params(self, in_params: bool, encode, *args):
        """``encode(*args)`` with ``in_params`` set, restored afterwards."""
        outer, self.in_params = self.in_params, in_params
        try:
            return encode(*args)
        finally:
            self.in_params = outer

    def tag(self, value, node: dict) -> dict:
        """Give ``node`` an ``__id__`` if ``value`` is reached more than once."""
        if self.shared(value):
            self.ids[id(value)] = len(self.ids)
            node["__id__"] = self.ids[id(value)]
        return node

    def encode_new(self, value, path: str):
        kind = type(value)
        shared = self.shared(value)
        if kind is list:
            if not shared:
                return [self.encode(v, f"{path}[{i}]") for i, v in enumerate(value)]
            node = self.tag(value, {"__list__": []})
            node["__list__"] = [
                self.encode(v, f"{path}[{i}]") for i, v in enumerate(value)
            ]
            return node
        if kind is tuple:
            node = self.tag(value, {"__tuple__": []})
            self.open_tuples.add(id(value))
            node["__tuple__"] = [
                self.encode(v, f"{path}[{i}]") for i, v in enumerate(value)
            ]
            self.open_tuples.discard(id(value))
            return node
        if kind is dict:
            plain = all(type(k) is str and not k.startswith("__") for k in value)
            if plain and not shared:
                return {k: self.encode(v, f"{path}[{k!r}]") for k, v in value.items()}
            node = self.tag(value, {"__dict__": []})
            node["__dict__"] = [
                [self.encode(k, f"{path} (key)"), self.encode(v, f"{path}[{k!r}]")]
                for k, v in value.items()
            ]
            return node
        if kind is np.random.Generator:
            bit_generator = type(value.bit_generator).__name__
            if bit_generator not in allow.BIT_GENERATORS:
                return None
            node = self.tag(value, {"__generator__": bit_generator})
            node["state"] = self.encode(value.bit_generator.state, f"{path}.state")
            return node
        if kind is np.random.RandomState:
            node = self.tag(value, {"__random_state__": None})
            node["__random_state__"] = self.encode(
                value.get_state(legacy=False), f"{path}.state"
            )
            return node
        name = allow.class_names().get(kind)
        if name is None:
            return None
        node = self.tag(value, {"__class__": name})
        params, attributes = _split_state(value)
        if params is not None and len(params) < len(kind._get_param_names()):
            missing = sorted(set(kind._get_param_names()) - set(params))
            raise TypeError(
                f"Cannot save {path}: its parameters {missing} are not stored as "
                "attributes of the same name, as scikit-learn estimators must."
            )
        if params is not None:
            node["params"] = self.with_params(True, self.encode_all, params, path)
        node["attributes"] = self.with_params(False, self.encode_all, attributes, path)
        if params is not None:
            problem = allow.parameter_problem(value)
            if problem is not None:
                raise TypeError(f"Cannot save {path}: {problem}.")
        return node

    def encode_all(self, values: dict, path: str) -> dict:
        return {k: self.encode(v, f"{path}.{k}") for k, v in values.items()}

    def add_array(self, array: np.ndarray, path: str) -> int:
        if id(array) not in self.array_index:
            array_table.check_array(array, path)
            self.array_index[id(array)] = len(self.arrays)
            self.arrays.append(array)
        return self.array_index[id(array)]


def _children(value) -> list:
    """What pass 1 walks into (the same values :meth:`_Encoder.encode` visits)."""
    kind = type(value)
    if kind in (list, tuple):
        return list(value)
    if kind is dict:
        return [*value.keys(), *value.values()]
    if kind is np.random.Generator:
        return [value.bit_generator.state]
    if kind is np.random.RandomState:
        return [value.get_state(legacy=False)]
    if kind in allow.class_names():
        params, attributes = _split_state(value)
        return [*(params or {}).values(), *attributes.values()]
    return []


def _added_parameter_defaults(cls: type, missing: set) -> dict:
    """Defaults of the parameters ``cls`` gained after files were saved without them.

    A class lists them in ``_added_parameters`` (a new parameter's default
    keeps the earlier behaviour); any other missing parameter is still refused.
    """
    added = missing & getattr(cls, "_added_parameters", frozenset())
    signature = inspect.signature(cls)
    return {name: signature.parameters[name].default for name in added}


def _split_state(obj) -> tuple[dict | None, dict]:
    """``(constructor parameters or None, other attributes)`` of an allow-listed
    object, without its transient caches."""
    state = dict(vars(obj))
    dropped, zeroed = allow.transient_attributes(type(obj))
    for name in dropped:
        state.pop(name, None)
    for name in zeroed & state.keys():
        state[name] = np.zeros_like(state[name])
    get_param_names = getattr(type(obj), "_get_param_names", None)
    if get_param_names is None:
        return None, state
    params = {k: state.pop(k) for k in get_param_names() if k in state}
    return params, state


def _encode_scalar(value: np.generic, path: str) -> dict:
    dtype = checked_dtype(value.dtype, allow.SCALAR_KINDS, path)
    if dtype.kind == "c":
        item = [encode_float(value.real.item()), encode_float(value.imag.item())]
    elif dtype.kind == "f":
        item = encode_float(float(value))
    else:
        item = value.item()
    return {"__scalar__": dtype.str, "value": item}


def _qualname(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


# --------------------------------------------------------------------- decode
def decode(tree, arrays: list[np.ndarray]) -> tuple[object, set[str]]:
    """Rebuild the object graph of :func:`encode` from ``tree`` and the arrays.

    ``arrays[i]`` is the array of entry ``i`` of the array table (see
    :func:`skdeep.persistence._arrays.build`). Returns the root object and the
    names of the classes rebuilt. Raises ``ValueError`` naming the place in
    the file that is malformed.
    """
    decoder = _Decoder(arrays)
    return decoder.decode(tree, "estimator"), decoder.class_names


class _Decoder:
    def __init__(self, arrays: list[np.ndarray]) -> None:
        self.arrays = arrays
        self.objects: dict[int, object] = {}
        self.class_names: set[str] = set()
        # True while decoding constructor parameters (not an object's attributes).
        self.in_params = False

    def register(self, node: dict, value, path: str):
        if "__id__" in node:
            number = node["__id__"]
            if type(number) is not int or number in self.objects:
                raise ValueError(f"{path}: invalid or repeated __id__ {number!r}.")
            self.objects[number] = value
        return value

    def decode(self, node, path: str):
        kind = type(node)
        if kind in (type(None), bool, int, float, str):
            return node
        if kind is list:
            return [self.decode(v, f"{path}[{i}]") for i, v in enumerate(node)]
        if kind is not dict:
            raise ValueError(f"{path}: unexpected JSON value of type {kind.__name__}.")
        if not any(key.startswith("__") for key in node):
            return {k: self.decode(v, f"{path}[{k!r}]") for k, v in node.items()}
        tags = {key for key in node if key.startswith("__") and key != "__id__"}
        if len(tags) != 1:
            raise ValueError(f"{path}: malformed entry with keys {sorted(node)}.")
        (tag,) = tags
        handler = _HANDLERS.get(tag)
        if handler is None:
            raise ValueError(f"{path}: unknown entry type {tag!r}.")
        allowed_keys = _KEYS[tag]
        if not set(node) <= allowed_keys | {tag, "__id__"}:
            raise ValueError(f"{path}: malformed {tag} entry with keys {sorted(node)}.")
        return handler(self, node, path)

    def decode_ref(self, node, path):
        number = node["__ref__"]
        if type(number) is not int or number not in self.objects:
            raise ValueError(
                f"{path}: reference to object {number!r}, which is not defined "
                "before it."
            )
        value = self.objects[number]
        if self.in_params and type(value) not in _SHAREABLE_IN_PARAMETERS:
            raise ValueError(
                f"{path}: a constructor parameter refers to a value stored "
                f"elsewhere in the file ({type(value).__name__}); parameters are "
                "plain values, written out in full."
            )
        return value

    def decode_float(self, node, path):
        return array_table.decode_float(node, path)

    def decode_list(self, node, path):
        items = expect(node["__list__"], list, path)
        value = self.register(node, [], path)
        value.extend(self.decode(v, f"{path}[{i}]") for i, v in enumerate(items))
        return value

    def decode_tuple(self, node, path):
        items = expect(node["__tuple__"], list, path)
        value = tuple(self.decode(v, f"{path}[{i}]") for i, v in enumerate(items))
        return self.register(node, value, path)

    def decode_dict(self, node, path):
        pairs = expect(node["__dict__"], list, path)
        value = self.register(node, {}, path)
        for pair in pairs:
            if type(pair) is not list or len(pair) != 2:
                raise ValueError(f"{path}: a dict entry must be a [key, value] pair.")
            key = self.decode(pair[0], f"{path} (key)")
            try:
                value[key] = self.decode(pair[1], f"{path}[{key!r}]")
            except TypeError as error:  # an unhashable key
                raise ValueError(f"{path}: invalid dict key {key!r}.") from error
        return value

    def decode_array(self, node, path):
        number = node["__array__"]
        if type(number) is not int or not 0 <= number < len(self.arrays):
            raise ValueError(f"{path}: no array number {number!r} in the file.")
        return self.arrays[number]

    def decode_scalar(self, node, path):
        dtype = parse_dtype(node["__scalar__"], allow.SCALAR_KINDS, path)
        value = node.get("value")
        if dtype.kind == "c":
            parts = [self.decode(v, path) for v in expect(value, list, path)]
            if len(parts) != 2 or not all(type(v) in (int, float) for v in parts):
                raise ValueError(
                    f"{path}: a complex scalar is a [real, imag] pair of numbers, "
                    f"got {value!r:.80}."
                )
            value = complex(*parts)
        else:
            value = self.decode(value, path)
        expected = {"b": (bool,), "i": (int,), "u": (int,), "U": (str,)}
        if type(value) not in expected.get(dtype.kind, (int, float, complex)):
            raise ValueError(f"{path}: {value!r} is not a value of dtype {dtype}.")
        try:
            return dtype.type(value)
        except (OverflowError, ValueError, TypeError) as error:
            raise ValueError(
                f"{path}: {value!r} does not fit dtype {dtype}."
            ) from error

    def decode_dtype(self, node, path):
        return parse_dtype(node["__dtype__"], allow.ARRAY_KINDS, path)

    def decode_nptype(self, node, path):
        return parse_dtype(node["__nptype__"], allow.SCALAR_KINDS, path).type

    def decode_function(self, node, path):
        name = node["__function__"]
        functions = allow.allowed_functions()
        if type(name) is not str or name not in functions:
            raise ValueError(
                f"{path}: function {name!r} is not on the allow-list "
                f"({', '.join(sorted(functions))})."
            )
        return functions[name]

    def decode_generator(self, node, path):
        name = node["__generator__"]
        if type(name) is not str or name not in allow.BIT_GENERATORS:
            raise ValueError(
                f"{path}: unknown bit generator {name!r} (known: "
                f"{', '.join(sorted(allow.BIT_GENERATORS))})."
            )
        bit_generator = allow.BIT_GENERATORS[name]()
        state = self.decode(node.get("state"), f"{path}.state")
        try:
            bit_generator.state = state
        except (TypeError, ValueError, KeyError, OverflowError) as error:
            raise ValueError(f"{path}: invalid {name} state ({error}).") from error
        return self.register(node, np.random.Generator(bit_generator), path)

    def decode_random_state(self, node, path):
        state = self.decode(node["__random_state__"], f"{path}.state")
        random_state = np.random.RandomState()
        try:
            random_state.set_state(state)
        except (TypeError, ValueError, KeyError, OverflowError) as error:
            raise ValueError(f"{path}: invalid RandomState state ({error}).") from error
        return self.register(node, random_state, path)

    def decode_object(self, node, path):
        name = node["__class__"]
        classes = allow.allowed_classes()
        if type(name) is not str or name not in classes:
            raise ValueError(
                f"{path}: class {name!r} is not on skdeep's allow-list; load only "
                f"rebuilds {', '.join(sorted(classes))}."
            )
        cls = classes[name]
        self.class_names.add(name)
        # No __init__, no __setstate__: the instance is filled in from data only.
        obj = self.register(node, cls.__new__(cls), path)
        short = name.rsplit(".", 1)[-1]
        get_param_names = getattr(cls, "_get_param_names", None)
        if get_param_names is not None:
            params = self.decode_attributes(
                node.get("params"), f"{path}<{short}>", in_params=True
            )
            expected = set(get_param_names())
            params.update(_added_parameter_defaults(cls, expected - set(params)))
            if set(params) != expected:
                raise ValueError(
                    f"{path}: the file's parameters of {name} do not match this "
                    f"version of the class (missing {sorted(expected - set(params))}, "
                    f"unknown {sorted(set(params) - expected)})."
                )
        elif "params" in node:
            raise ValueError(f"{path}: {name} has no constructor parameters to load.")
        else:
            params = {}
        attributes = self.decode_attributes(node.get("attributes"), f"{path}<{short}>")
        legacy = allow.legacy_array_lists(cls)
        legacy_lists = {
            legacy[kind]: attributes.pop(kind) for kind in legacy if kind in attributes
        }
        if params.keys() & attributes.keys():
            raise ValueError(
                f"{path}: {sorted(params.keys() & attributes.keys())} are given both "
                "as parameters and as attributes."
            )
        check_attribute_names(cls, attributes, f"{path}<{short}>")
        vars(obj).update(params)
        vars(obj).update(attributes)
        _adopt_legacy_lists(obj, legacy_lists, f"{path}<{short}>")
        if get_param_names is not None:
            problem = allow.parameter_problem(obj)
            if problem is not None:
                raise ValueError(f"{path}: {problem}.")
        # The class knows its invariants: its fitted attributes are checked
        # now, before anyone predicts with them.
        check_fitted_state = getattr(cls, "_check_fitted_state", None)
        try:
            check_preprocessor_state(obj)  # scikit-learn's scalers check nothing
            if check_fitted_state is not None:
                check_fitted_state(obj)
        except ValueError as error:
            raise ValueError(f"{path}: invalid fitted state: {error}") from error
        return obj

    def decode_attributes(self, node, path, in_params: bool = False) -> dict:
        node = expect(node, dict, path)
        attributes = {}
        outer, self.in_params = self.in_params, in_params
        try:
            for key, value in node.items():
                if not key.isidentifier() or key.startswith("__"):
                    raise ValueError(f"{path}: invalid attribute name {key!r}.")
                attributes[key] = self.decode(value, f"{path}.{key}")
        finally:
            self.in_params = outer
        return attributes


def _adopt_legacy_lists(obj, lists: dict[str | None, object], path: str) -> None:
    """Give ``obj`` the arrays of an old file's ``params``/``grads``/``state``
    lists that it lacks as attributes (see ``allow.legacy_array_lists``);
    ``lists`` maps the class attribute naming them to the stored list."""
    for names_attribute, arrays in lists.items():
        expect(arrays, list, f"{path}: a stored array list")
        if names_attribute is None:
            continue
        try:
            names = getattr(obj, names_attribute)
        except AttributeError as error:  # Activation names them after its function
            raise ValueError(f"{path}: incomplete object ({error}).") from error
        if len(names) != len(arrays):
            raise ValueError(
                f"{path}: {len(arrays)} stored arrays for the {len(names)} "
                f"attributes {list(names)}."
            )
        for name, array in zip(names, arrays, strict=True):
            vars(obj).setdefault(name, array)


_HANDLERS = {
    "__ref__": _Decoder.decode_ref,
    "__float__": _Decoder.decode_float,
    "__list__": _Decoder.decode_list,
    "__tuple__": _Decoder.decode_tuple,
    "__dict__": _Decoder.decode_dict,
    "__array__": _Decoder.decode_array,
    "__scalar__": _Decoder.decode_scalar,
    "__dtype__": _Decoder.decode_dtype,
    "__nptype__": _Decoder.decode_nptype,
    "__function__": _Decoder.decode_function,
    "__generator__": _Decoder.decode_generator,
    "__random_state__": _Decoder.decode_random_state,
    "__class__": _Decoder.decode_object,
}
# Non-tag keys each entry type may carry.
_KEYS = {tag: frozenset() for tag in _HANDLERS} | {
    "__scalar__": frozenset({"value"}),
    "__generator__": frozenset({"state"}),
    "__class__": frozenset({"params", "attributes"}),
}
