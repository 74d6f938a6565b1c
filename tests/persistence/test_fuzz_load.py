"""Fuzzing :func:`skdeep.load` with mutated copies of real saved files.

Every estimator family is fitted small (files of a few kB) and saved, a
Pipeline and networks with batch norm, layer norm and dropout included; each
example then mutates one file and loads it:

* bytes: flipped, inserted or deleted anywhere, or the file truncated;
* the JSON header: a value replaced by one of another JSON type, a huge,
  negative or NaN-like number, another class name or a tagged entry; keys
  added or removed; lists lengthened, shortened or made to repeat an item;
  values copied from elsewhere in the header;
* the zip container: declared sizes, CRCs, flags and compression methods of
  the local and central headers, the end-of-directory counts; members
  renamed, duplicated, dropped, added or recompressed;
* the ``.npy`` members: shape, descr and fortran_order of their headers, the
  header length and format version; and arrays replaced by others (special
  values, other dtypes and shapes), consistently in the member and in the
  JSON declaration, so that the checks of the fitted state are reached.

Every outcome must be a ``ValueError`` or ``TypeError`` from ``load``, or a
model that predicts finite values of the right shape for valid queries of its
width (or refuses them with a ``ValueError``/``TypeError``), within 64 MiB of
traced memory and 2 s. Examples are derandomized, so CI runs the same files
every time.
"""

import functools
import io
import json
import struct
import time
import tracemalloc
import warnings
import zipfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import is_classifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

import skdeep
from skdeep import (
    KNN,
    KNNRegressor,
    LeastSquaresRegressor,
    LogisticRegression,
    MLPClassifier,
    MLPRegressor,
    SoftmaxClassifier,
)
from skdeep.persistence import _allowlist

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=120,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MEMORY_BUDGET = 64 * 2**20
TIME_BUDGET = 2.0

RNG = np.random.default_rng(15)
X = RNG.normal(size=(12, 3))
LABELS = np.arange(12) % 3
TARGET = X @ [1.0, -2.0, 0.5]
QUERIES = np.random.default_rng(16).normal(size=(5, 3))
SMALL_MLP = dict(max_iter=3, batch_size=4, random_state=0)
MODELS = {
    "KNN": lambda: KNN(n_neighbors=3).fit(X, LABELS),
    "KNN-2d": lambda: KNN(n_neighbors=2).fit(X, np.c_[LABELS, LABELS % 2]),
    "KNNRegressor": lambda: KNNRegressor(weights="distance").fit(X, TARGET),
    "LeastSquaresRegressor": lambda: LeastSquaresRegressor().fit(X, TARGET),
    "LogisticRegression": lambda: LogisticRegression().fit(X, LABELS % 2),
    "SoftmaxClassifier": lambda: SoftmaxClassifier(max_iter=20).fit(X, LABELS),
    "MLPClassifier": lambda: MLPClassifier(
        hidden_layer_sizes=(4,), normalization="batch", dropout=0.1, **SMALL_MLP
    ).fit(X, LABELS),
    "MLPRegressor": lambda: MLPRegressor(
        hidden_layer_sizes=(3,), normalization="layer", **SMALL_MLP
    ).fit(X, TARGET),
    "Pipeline": lambda: make_pipeline(
        StandardScaler(), MinMaxScaler(), KNN(n_neighbors=2)
    ).fit(X, LABELS),
    "Pipeline-MLP": lambda: make_pipeline(
        StandardScaler(), MLPClassifier(hidden_layer_sizes=(2,), **SMALL_MLP)
    ).fit(X, LABELS % 2),
}


@functools.cache
def saved(name: str) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of tiny fits
        model = MODELS[name]()
    buffer = io.BytesIO()
    skdeep.save(model, buffer)
    return buffer.getvalue()


@functools.cache
def members(name: str) -> tuple[tuple[str, bytes, int], ...]:
    """``(name, data, compress_type)`` of each member of the saved file."""
    with zipfile.ZipFile(io.BytesIO(saved(name))) as archive:
        return tuple(
            (info.filename, archive.read(info), info.compress_type)
            for info in archive.infolist()
        )


def rezip(items) -> bytes:
    """A zip of ``(name, data, compress_type)`` items, duplicates included."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name"
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data, compress_type in items:
                archive.writestr(name, data, compress_type=compress_type)
    return buffer.getvalue()


# ----------------------------------------------------------------- outcome


def check_outcome(data: bytes) -> str:
    """Load ``data`` (and predict with what loads) within the budgets; return
    ``"refused"``, ``"predicts"`` or ``"refuses queries"``."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        outcome = _load_and_predict(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - start
    assert peak < MEMORY_BUDGET, f"{peak / 2**20:.0f} MiB traced ({outcome})"
    assert elapsed < TIME_BUDGET, f"{elapsed:.1f} s ({outcome})"
    return outcome


def _load_and_predict(data: bytes) -> str:
    try:
        with warnings.catch_warnings():
            # Editing sklearn_version asks for a check of scikit-learn objects.
            warnings.filterwarnings("ignore", "This skdeep file holds scikit-learn")
            warnings.simplefilter("error", RuntimeWarning)
            model = skdeep.load(io.BytesIO(data))
    except (ValueError, TypeError) as error:
        assert str(error), "an error without a message"
        return "refused"
    width = getattr(model, "n_features_in_", 3)
    if type(width) is not int or not 1 <= width <= 64:
        width = 3  # queries of another width must then be refused
    queries = np.resize(QUERIES, (len(QUERIES), width))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            predictions = model.predict(queries)
            probabilities = (
                model.predict_proba(queries)
                if hasattr(model, "predict_proba")
                else None
            )
    except (ValueError, TypeError) as error:
        assert str(error), "an error without a message"
        return "refuses queries"
    _check_predictions(model, predictions, probabilities)
    return "predicts"


def _check_predictions(model, predictions, probabilities) -> None:
    assert type(predictions) is np.ndarray
    assert predictions.ndim in (1, 2) and len(predictions) == len(QUERIES)
    if is_classifier(model):
        classes = model.classes_
        per_output = classes if type(classes) is list else [classes]
        columns = predictions.reshape(len(predictions), -1).T
        assert len(columns) == len(per_output)
        for column, labels in zip(columns, per_output, strict=True):
            assert np.isin(column, labels).all(), (column, labels)
    else:
        assert np.isfinite(predictions).all(), predictions
    for proba in probabilities if type(probabilities) is list else [probabilities]:
        if proba is None:
            continue
        assert proba.shape[0] == len(QUERIES)
        assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def test_every_unmutated_file_loads_and_predicts():
    for name in MODELS:
        assert check_outcome(saved(name)) == "predicts", name
        assert check_outcome(rezip(members(name))) == "predicts", name


model_names = st.sampled_from(sorted(MODELS))


# ------------------------------------------------------------------- bytes


@st.composite
def byte_mutations(draw) -> bytes:
    data = bytearray(saved(draw(model_names)))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            data[at] = draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF]))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        else:
            del data[at:]
        if not data:
            break
    return bytes(data)


@FUZZ
@given(byte_mutations())
def test_files_with_mutated_bytes_load_validly_or_are_refused(data):
    check_outcome(data)


# -------------------------------------------------------------- JSON header


def _header(name: str) -> dict:
    (document,) = [data for member, data, _ in members(name) if member == "model.json"]
    return json.loads(document)


def _with_header(name: str, header: dict) -> bytes:
    document = json.dumps(header).encode()
    return rezip(
        (member, document if member == "model.json" else data, compress_type)
        for member, data, compress_type in members(name)
    )


def _places(node, found: list) -> list:
    """Every ``(container, key)`` of the JSON tree, parents before children."""
    items = node.items() if type(node) is dict else enumerate(node)
    for key, value in list(items):
        found.append((node, key))
        if type(value) in (dict, list):
            _places(value, found)
    return found


CLASS_NAMES = sorted(_allowlist.allowed_classes())
PLAIN_VALUES = [
    None, True, False, 0, 1, -1, 2, 3, 2**31, 2**63, -(2**63), 10**30, 10**400,
    0.0, -0.0, 0.5, 1e-320, 1e308, -1e308, "", "a", "auto", "nan", "NaN",
    "Infinity", "__ref__", "<f8", "|S0", "<U0", "|O", [], {}, [1, 2, 3],
    [[1, 2], [3, 4]], {"a": 1},
]  # fmt: skip
TAGGED_VALUES = [
    {"__float__": "nan"}, {"__float__": "inf"}, {"__float__": "x"},
    {"__ref__": 0}, {"__ref__": 1}, {"__ref__": 10**6}, {"__array__": 0},
    {"__array__": 1}, {"__array__": -1}, {"__tuple__": []},
    {"__tuple__": [1, {"__array__": 0}]}, {"__list__": [1]},
    {"__dict__": [[1, 2]]}, {"__dict__": [[[1], 2]]},
    {"__scalar__": "<f8", "value": 1.0}, {"__scalar__": "<i8", "value": 10**30},
    {"__scalar__": "<U3", "value": 1}, {"__dtype__": "<f4"}, {"__dtype__": "<U0"},
    {"__nptype__": "<i8"}, {"__function__": "skdeep.nn.activations.sigmoid"},
    {"__generator__": "PCG64", "state": {}}, {"__random_state__": {}},
    {"__class__": "skdeep.nn.Dense", "attributes": {}},
    {"__class__": "skdeep.nn.Dropout", "params": {}, "attributes": {"rate": 2}},
    {"__id__": 0},
]  # fmt: skip
json_values = st.one_of(
    st.sampled_from(PLAIN_VALUES),
    st.sampled_from(CLASS_NAMES),
    st.sampled_from(TAGGED_VALUES),
)
json_keys = st.sampled_from(
    ["x", "coef_", "classes_", "predict_proba", "transform", "_index", "dtype",
     "__id__", "__ref__", "__array__", "value", "params", "attributes", "member",
     "offset", "strides", "owner_shape", "items", "kind", "shape"]
)  # fmt: skip


def _fresh(value):
    # A copy: the strategies' values and the header's own must stay unshared.
    return json.loads(json.dumps(value))


@st.composite
def header_mutations(draw) -> bytes:
    name = draw(model_names)
    header = _header(name)
    for _ in range(draw(st.integers(1, 3))):
        places = _places(header, [])
        container, key = places[draw(st.integers(0, len(places) - 1))]
        kind = draw(st.sampled_from(["replace", "copy", "remove", "add", "lengthen"]))
        if kind == "replace":
            container[key] = _fresh(draw(json_values))
        elif kind == "copy":  # a value from elsewhere: the right kind, wrong place
            source, other = places[draw(st.integers(0, len(places) - 1))]
            container[key] = _fresh(source[other])
        elif kind == "remove":
            del container[key]
        elif kind == "add" and type(container) is dict:
            container[draw(json_keys)] = _fresh(draw(json_values))
        elif type(container[key]) is list and container[key]:
            items = container[key]
            extra = draw(st.integers(1, 3))
            items.extend(_fresh(items[-1]) for _ in range(extra))
        else:
            container[key] = [container[key]] * 2
    return _with_header(name, header)


@FUZZ
@given(header_mutations())
def test_files_with_mutated_json_load_validly_or_are_refused(data):
    check_outcome(data)


# ------------------------------------------------------------ zip container

# (offset, width) of the fields of a local header (after b"PK\x03\x04"), a
# central directory entry (b"PK\x01\x02") and the end record (b"PK\x05\x06").
LOCAL_FIELDS = [(4, 2), (6, 2), (8, 2), (14, 4), (18, 4), (22, 4), (26, 2), (28, 2)]
CENTRAL_FIELDS = [(6, 2), (8, 2), (10, 2), (16, 4), (20, 4), (24, 4), (28, 2),
                  (30, 2), (32, 2), (34, 2), (42, 4)]  # fmt: skip
END_FIELDS = [(4, 2), (6, 2), (8, 2), (10, 2), (12, 4), (16, 4), (20, 2)]
SIGNATURES = {b"PK\x03\x04": LOCAL_FIELDS, b"PK\x01\x02": CENTRAL_FIELDS,
              b"PK\x05\x06": END_FIELDS}  # fmt: skip


def _records(data: bytes) -> list[tuple[int, list]]:
    """``(offset, fields)`` of every zip record signature in ``data``."""
    found = []
    for signature, fields in SIGNATURES.items():
        at = data.find(signature)
        while at >= 0:
            found.append((at, fields))
            at = data.find(signature, at + 1)
    return sorted(found, key=lambda record: record[0])


@st.composite
def field_mutations(draw) -> bytes:
    data = bytearray(saved(draw(model_names)))
    records = _records(bytes(data))
    for _ in range(draw(st.integers(1, 2))):
        at, fields = records[draw(st.integers(0, len(records) - 1))]
        offset, width = fields[draw(st.integers(0, len(fields) - 1))]
        fmt = "<H" if width == 2 else "<I"
        (value,) = struct.unpack_from(fmt, data, at + offset)
        top = 2 ** (8 * width) - 1
        values = [0, 1, 8, 9, 12, 14, 93, 99, top, value + 1, value - 1, value * 2,
                  value // 2, value | 1, value | 8, value ^ 0x800]  # fmt: skip
        value = draw(st.sampled_from(values))
        struct.pack_into(fmt, data, at + offset, min(max(value, 0), top))
    return bytes(data)


@FUZZ
@given(field_mutations())
def test_files_with_mutated_zip_headers_load_validly_or_are_refused(data):
    check_outcome(data)


NAMES = ["model.json", "arrays/0.npy", "arrays/1.npy", "arrays/99.npy",
         "arrays/00.npy", "arrays/-1.npy", "../model.json", "/model.json",
         "arrays/0.npy/", "MODEL.JSON", "arrays"]  # fmt: skip
METHODS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
           zipfile.ZIP_LZMA]  # fmt: skip


@st.composite
def member_mutations(draw) -> bytes:
    items = list(members(draw(model_names)))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(items) - 1))
        name, data, method = items[at]
        kind = draw(st.sampled_from(["rename", "duplicate", "drop", "add", "method"]))
        if kind == "rename":
            items[at] = (draw(st.sampled_from(NAMES)), data, method)
        elif kind == "duplicate":
            other = items[draw(st.integers(0, len(items) - 1))][1]
            items.append((name, draw(st.sampled_from([data, other, b""])), method))
        elif kind == "drop" and len(items) > 1:
            del items[at]
        elif kind == "add":
            items.append((draw(st.sampled_from(NAMES)), data, method))
        else:
            items[at] = (name, data, draw(st.sampled_from(METHODS)))
    return rezip(items)


@FUZZ
@given(member_mutations())
def test_files_with_mutated_members_load_validly_or_are_refused(data):
    check_outcome(data)


# ------------------------------------------------------------ .npy members


def _npy(header: dict, data: bytes, version=(1, 0)) -> bytes:
    """An .npy member: its header written out as text, whatever it says."""
    text = (
        f"{{'descr': {header['descr']!r}, 'fortran_order': "
        f"{header['fortran_order']!r}, 'shape': {header['shape']!r}, }}"
    )
    length = "<H" if version == (1, 0) else "<I"
    prefix = 6 + 2 + struct.calcsize(length)
    text += " " * (-(prefix + len(text) + 1) % 64) + "\n"
    size = struct.pack(length, len(text))
    return b"\x93NUMPY" + bytes(version) + size + text.encode("latin1") + data


def _split_npy(member: bytes) -> tuple[dict, bytes, tuple]:
    stream = io.BytesIO(member)
    version = np.lib.format.read_magic(stream)
    read = {(1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0}[version]  # fmt: skip
    shape, fortran, dtype = read(stream)
    header = {"descr": np.lib.format.dtype_to_descr(dtype),
              "fortran_order": fortran, "shape": shape}  # fmt: skip
    return header, member[stream.tell() :], version


npy_shapes = st.one_of(
    st.sampled_from([(), (0,), (1,), (2**40,), (2**62, 2), (3, 0), (0, 2**63 - 1)]),
    st.lists(st.integers(0, 20), max_size=3).map(tuple),
)
npy_descrs = st.sampled_from(
    ["<f8", ">f8", "<f4", "<f2", "<i8", "|u1", "|b1", "<c16", "|S0", "<U0", "|S8",
     "<U2", "|O", "|V8", "<M8[s]", "<m8[s]", [("a", "<f8")], "(2,)<f8", "<f16"]
)  # fmt: skip


@st.composite
def npy_mutations(draw) -> bytes:
    name = draw(model_names)
    items = list(members(name))
    arrays = [i for i, item in enumerate(items) if item[0].endswith(".npy")]
    at = draw(st.sampled_from(arrays))
    member, data, method = items[at]
    header, payload, version = _split_npy(data)
    kind = draw(st.sampled_from(["shape", "descr", "fortran", "length", "version"]))
    if kind == "shape":
        header["shape"] = draw(npy_shapes)
    elif kind == "descr":
        header["descr"] = draw(npy_descrs)
    elif kind == "fortran":
        header["fortran_order"] = draw(st.sampled_from([True, False, 1, None, "yes"]))
    new = bytearray(_npy(header, payload, version))
    if kind == "length":
        struct.pack_into("<H", new, 8, draw(st.integers(0, 2**16 - 1)))
    elif kind == "version":
        new[6:8] = bytes(draw(st.sampled_from([(0, 0), (2, 0), (3, 0), (9, 9)])))
    items[at] = (member, bytes(new), method)
    return rezip(items)


@FUZZ
@given(npy_mutations())
def test_files_with_mutated_npy_headers_load_validly_or_are_refused(data):
    check_outcome(data)


# ------------------------------------------------------ arrays, consistently


def _changed_array(draw, array: np.ndarray) -> np.ndarray:
    kind = draw(st.sampled_from(["value", "dtype", "shape", "fortran"]))
    if kind == "value" and array.size and array.dtype.kind in "fc":
        array = array.copy()
        array.flat[draw(st.integers(0, array.size - 1))] = draw(
            st.sampled_from([np.nan, np.inf, -np.inf, 1e300, -1e300, 1e-310, 0.0])
        )
    elif kind == "value" and array.size and array.dtype.kind in "iu":
        array = array.copy()
        info = np.iinfo(array.dtype)
        value = draw(st.sampled_from([-1, 3, 99, info.min, info.max]))
        array.flat[draw(st.integers(0, array.size - 1))] = max(info.min, value)
    elif kind == "dtype":
        dtype = draw(st.sampled_from(["<f4", "<f2", "<i8", "<i4", "|u1", "|b1",
                                      "<c16", ">f8", "<U3", "|S2"]))  # fmt: skip
        array = array.astype(dtype)
    elif kind == "shape":
        shapes = [array.T, array.reshape(-1), array[None], array[..., None],
                  array[:1], array[1:], np.concatenate([array, array]),
                  np.zeros((0, *array.shape[1:]), array.dtype)]  # fmt: skip
        array = np.ascontiguousarray(draw(st.sampled_from(shapes)))
    else:
        array = np.asfortranarray(array)
    return array


@st.composite
def array_replacements(draw) -> bytes:
    name = draw(model_names)
    header = _header(name)
    items = dict((member, data) for member, data, _ in members(name))
    table = header["arrays"]
    stored = [e for e in table if e["kind"] == "npy"]
    entry = draw(st.sampled_from(stored))
    member = f"arrays/{entry['member']}.npy"
    array = _changed_array(draw, np.load(io.BytesIO(items[member])))
    buffer = io.BytesIO()
    np.save(buffer, array)
    items[member] = buffer.getvalue()
    entry.update(dtype=array.dtype.str, shape=list(array.shape))
    for view in table:
        if view["kind"] == "view" and view["member"] == entry["member"]:
            view.update(owner_dtype=entry["dtype"], owner_shape=entry["shape"])
    items["model.json"] = json.dumps(header).encode()
    return rezip((member, data, zipfile.ZIP_STORED) for member, data in items.items())


@FUZZ
@given(array_replacements())
def test_files_with_other_arrays_load_validly_or_are_refused(data):
    check_outcome(data)
