"""The array table of a skdeep file: how each numpy array is saved and rebuilt.

Each distinct array reachable from the estimator is one entry: an ``.npy``
member of the zip (``arrays/<j>.npy``), a view into such a member (offset,
shape and strides into its bytes, so that aliasing survives), or, for object
arrays of labels (strings from a DataFrame), its items as JSON. The helpers
that check dtypes and turn floats into JSON and back live here too.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from . import _allowlist as allow

FLOAT_NAMES = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


# -------------------------------------------------------------------- save
def describe(arrays: list[np.ndarray]) -> tuple[list[dict], list[np.ndarray]]:
    """``(table, stored)``: how each of ``arrays`` (distinct objects) is saved.

    ``table[i]`` describes ``arrays[i]``: ``{"kind": "npy", "member": j}``
    (its data is ``stored[j]``), ``{"kind": "view", "member": j, "offset": ...,
    "strides": ...}`` (a view into ``stored[j]``) or ``{"kind": "object",
    "items": [...]}`` (labels as JSON), each with its dtype and shape. Entries
    past ``len(arrays)`` describe arrays that only views refer to.
    """
    reachable = {id(a) for a in arrays}
    owners: Counter = Counter(
        id(a.base) for a in arrays if _viewable_owner(a) is not None
    )
    table: list[dict] = []
    stored: list[np.ndarray] = []
    member_of: dict[int, int] = {}  # id(stored array) → member number

    def store(array: np.ndarray) -> int:
        if id(array) not in member_of:
            member_of[id(array)] = len(stored)
            stored.append(array)
        return member_of[id(array)]

    for array in arrays:
        entry = {"dtype": array.dtype.str, "shape": list(array.shape)}
        if array.dtype.kind == "O":
            entry["dtype"] = "object"
            entry["kind"] = "object"
            entry["items"] = [object_item(v) for v in array.ravel(order="C")]
        else:
            owner = _viewable_owner(array)
            # A view becomes a view again when what it views is saved anyway
            # (reachable itself) or is shared with another saved view;
            # otherwise only the view's own elements are saved.
            if owner is not None and (id(owner) in reachable or owners[id(owner)] > 1):
                entry["kind"] = "view"
                entry["member"] = store(owner)
                entry["offset"] = _address(array) - _address(owner)
                entry["strides"] = list(array.strides)
            else:
                entry["kind"] = "npy"
                entry["member"] = store(array)
        table.append(entry)
    # Every member has an "npy" entry, the loader's list of members to read:
    # an owner that only views reach gets one that nothing in the tree names.
    for number, array in enumerate(stored):
        if id(array) not in reachable:
            table.append(
                {"dtype": array.dtype.str, "shape": list(array.shape),
                 "kind": "npy", "member": number}
            )  # fmt: skip
    # Describe each stored owner, for the loader's size and dtype checks.
    for entry in table:
        if entry["kind"] == "view":
            owner = stored[entry["member"]]
            entry["owner_dtype"] = owner.dtype.str
            entry["owner_shape"] = list(owner.shape)
    return table, stored


def _viewable_owner(array: np.ndarray) -> np.ndarray | None:
    owner = array.base
    if (
        isinstance(owner, np.ndarray)
        and owner.base is None
        and (owner.flags.c_contiguous or owner.flags.f_contiguous)
        and owner.dtype.kind in allow.ARRAY_KINDS
    ):
        return owner
    return None


def _address(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


def check_array(array: np.ndarray, path: str) -> None:
    """Raise ``TypeError`` naming ``path`` if ``array`` cannot be saved."""
    if array.dtype.kind == "O":
        check_object_items(array, path)
    else:
        checked_dtype(array.dtype, allow.ARRAY_KINDS, path)


def check_object_items(array: np.ndarray, path: str) -> None:
    for value in array.ravel(order="C"):
        item = value.item() if isinstance(value, np.generic) else value
        if type(item) not in (str, int, float, bool):
            raise TypeError(
                f"Cannot save {path}: an object array may only hold str, int, float "
                f"or bool items (labels), found {type(value).__qualname__}."
            )


def object_item(value):
    if isinstance(value, np.generic):
        value = value.item()
    return encode_float(value) if type(value) is float else value


def encode_float(value: float):
    if math.isfinite(value):
        return value
    return {
        "__float__": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    }


def checked_dtype(dtype, kinds: frozenset, path: str) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind not in kinds or dtype.fields is not None or dtype.subdtype:
        raise TypeError(
            f"Cannot save {path}: numpy dtype {dtype} is not supported (only "
            "booleans, integers, floats, complex numbers and strings; object "
            "arrays only of str, int, float or bool labels)."
        )
    if dtype.kind in "fc" and dtype.itemsize > (8 if dtype.kind == "f" else 16):
        raise TypeError(
            f"Cannot save {path}: extended precision {dtype} is not supported."
        )
    return dtype


def decode_float(node: dict, path: str) -> float:
    """The float of a ``{"__float__": "nan" | "inf" | "-inf"}`` entry."""
    name = node["__float__"]
    if name not in FLOAT_NAMES:
        raise ValueError(f"{path}: unknown float {name!r}.")
    return FLOAT_NAMES[name]


# -------------------------------------------------------------------- load
def build(table, read_member) -> list[np.ndarray]:
    """The arrays of ``table`` (see :func:`describe`), in order.

    ``read_member(j, dtype, shape)`` returns stored array ``j`` after checking
    it against the declared dtype and shape.
    """
    table = expect(table, list, "arrays")
    members: dict[int, np.ndarray] = {}
    arrays: list = [None] * len(table)
    for i, entry in enumerate(table):
        path = f"arrays[{i}]"
        entry = expect(entry, dict, path)
        kind = entry.get("kind")
        keys = {
            "npy": {"kind", "dtype", "shape", "member"},
            "view": {"kind", "dtype", "shape", "member", "offset", "strides",
                     "owner_dtype", "owner_shape"},
            "object": {"kind", "dtype", "shape", "items"},
        }.get(kind)  # fmt: skip
        if keys is None or set(entry) != keys:
            raise ValueError(
                f"{path}: malformed array entry with keys {sorted(entry)}."
            )
        shape = _shape(entry["shape"], path)
        if kind == "object":
            arrays[i] = _object_array(entry, shape, path)
            continue
        number = entry["member"]
        if type(number) is not int or number < 0:
            raise ValueError(f"{path}: invalid member number {number!r}.")
        if kind == "npy":
            dtype = _array_dtype(entry["dtype"], path)
            if number in members:
                raise ValueError(f"{path}: member {number} is declared twice.")
            members[number] = arrays[i] = read_member(number, dtype, shape)
    for i, entry in enumerate(table):
        if entry["kind"] == "view":
            arrays[i] = _view(entry, members, f"arrays[{i}]", read_member)
    return arrays


def _shape(value, path: str) -> tuple[int, ...]:
    if type(value) is not list or not all(type(n) is int and n >= 0 for n in value):
        raise ValueError(f"{path}: a shape must be a list of non-negative integers.")
    return tuple(value)


def _object_array(entry, shape, path) -> np.ndarray:
    if entry["dtype"] != "object":
        raise ValueError(f"{path}: an object entry must have dtype 'object'.")
    items = expect(entry["items"], list, path)
    if len(items) != math.prod(shape):
        raise ValueError(
            f"{path}: {len(items)} items do not fill an array of shape {shape}."
        )
    decoded = []
    for item in items:
        if type(item) is dict and set(item) == {"__float__"}:
            item = decode_float(item, path)
        if type(item) not in (str, int, float, bool):
            raise ValueError(f"{path}: object arrays hold only str, int, float, bool.")
        decoded.append(item)
    array = np.empty(len(decoded), dtype=object)
    array[:] = decoded
    return array.reshape(shape)


def _view(entry, members, path, read_member) -> np.ndarray:
    number = entry["member"]
    if number not in members:
        raise ValueError(f"{path}: a view of member {number}, which is not stored.")
    owner = members[number]
    owner_dtype = _array_dtype(entry["owner_dtype"], path)
    if owner.dtype != owner_dtype or list(owner.shape) != entry["owner_shape"]:
        raise ValueError(f"{path}: the array it views does not match its description.")
    dtype = _array_dtype(entry["dtype"], path)
    shape = _shape(entry["shape"], path)
    strides = entry["strides"]
    offset = entry["offset"]
    if (
        type(strides) is not list
        or len(strides) != len(shape)
        or not all(type(s) is int for s in strides)
        or type(offset) is not int
        or offset < 0
    ):
        raise ValueError(f"{path}: invalid view offset or strides.")
    if _overlaps_itself(shape, strides, dtype.itemsize):
        raise ValueError(
            f"{path}: a view whose elements overlap (strides {strides} for shape "
            f"{list(shape)}); save only writes views made by slicing."
        )
    # The owner's memory as bytes; numpy checks that the view stays inside it.
    memory = owner.reshape(-1, order="A").view(np.uint8)
    try:
        return np.ndarray(shape, dtype, buffer=memory, offset=offset, strides=strides)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{path}: the view does not fit in its array ({error})."
        ) from error


def _overlaps_itself(shape: tuple, strides: list, itemsize: int) -> bool:
    """Whether two elements of the view would share bytes.

    A slice of an array never does, while a zero stride (a broadcast) lets a
    few bytes pose as an array of any size, which the first copy allocates
    in full. Axes by increasing stride must each step over all of the
    smaller ones.
    """
    if math.prod(shape) <= 1:
        return False
    extent = itemsize
    for stride, n in sorted((abs(s), n) for s, n in zip(strides, shape, strict=True)):
        if n == 1:
            continue
        if stride < extent:
            return True
        extent = stride * (n - 1) + extent
    return False


def expect(value, kind: type, path: str):
    if type(value) is not kind:
        raise ValueError(f"{path}: expected a JSON {kind.__name__}, got {value!r:.80}.")
    return value


def _array_dtype(text, path: str) -> np.dtype:
    dtype = parse_dtype(text, allow.ARRAY_KINDS, path)
    # numpy never makes an array of a zero-width dtype (|S0 becomes |S1), so
    # save never writes one, and its size check (elements × 0 bytes) would let
    # any shape through: np.empty would then allocate one byte an element.
    if dtype.itemsize == 0:
        raise ValueError(f"{path}: zero-width dtype {dtype} (no array has one).")
    return dtype


def parse_dtype(text, kinds: frozenset, path: str) -> np.dtype:
    if type(text) is not str:
        raise ValueError(f"{path}: a dtype must be a string, got {text!r:.80}.")
    try:
        dtype = np.dtype(text)
    except (TypeError, ValueError, SyntaxError) as error:
        raise ValueError(f"{path}: unknown dtype {text!r}.") from error
    try:
        return checked_dtype(dtype, kinds, path)
    except TypeError as error:
        raise ValueError(str(error).replace("Cannot save", "Cannot load")) from error
