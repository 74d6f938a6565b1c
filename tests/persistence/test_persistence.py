"""skdeep.save / skdeep.load: exact round trips, continued training, refusals."""

import copy
import io
import json
import math
import pathlib
import pickle
import re
import time
import tracemalloc
import warnings
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    PolynomialFeatures,
    RobustScaler,
    StandardScaler,
)

import skdeep
from skdeep import (
    KNN,
    KNNRegressor,
    LeastSquaresRegressor,
    LogisticRegression,
    MLPClassifier,
    MLPRegressor,
    SoftmaxClassifier,
    nn,
)
from skdeep.persistence import _allowlist as allow

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# ------------------------------------------------------------------- helpers


def _data(n=60, d=4, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    classes = rng.integers(0, 3, size=n)
    target = X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)
    return X, classes, target


def _round_trip(estimator):
    buffer = io.BytesIO()
    skdeep.save(estimator, buffer)
    buffer.seek(0)
    return skdeep.load(buffer)


def _assert_same_state(a, b, path="estimator"):
    """Same types and values along the whole object graph (caches excluded)."""
    assert type(a) is type(b), path
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, path
        assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, float):
        assert a == b or (math.isnan(a) and math.isnan(b)), path
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b, strict=True)):
            _assert_same_state(u, v, f"{path}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for key in a.keys() - {"time"}:  # wall-clock seconds per epoch differ
            _assert_same_state(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, np.random.Generator):
        assert a.bit_generator.state == b.bit_generator.state, path
    elif isinstance(a, np.random.RandomState):
        _assert_same_state(
            a.get_state(legacy=False), b.get_state(legacy=False), f"{path}.state"
        )
    elif type(a) in allow.class_names():
        dropped, zeroed = allow.transient_attributes(type(a))
        names = vars(a).keys() - dropped - zeroed
        assert names == vars(b).keys() - dropped - zeroed, path
        for name in names:
            _assert_same_state(getattr(a, name), getattr(b, name), f"{path}.{name}")
    else:
        assert a == b, path


def _assert_same_predictions(a, b, X):
    for method in ("predict", "predict_proba", "decision_function", "transform"):
        if hasattr(a, method):
            assert_array_equal(getattr(a, method)(X), getattr(b, method)(X))


X, CLASSES, TARGET = _data()
LABELS = np.array(["cat", "dog", "eel"], dtype=object)[CLASSES]
MULTILABEL = (np.random.default_rng(1).random((60, 3)) > 0.5).astype(int)
FAST = dict(hidden_layer_sizes=(6,), max_iter=8, random_state=0)

# (estimator, X, y): every estimator in several configurations, chosen so that
# each kind of fitted state (optimizer state, generators, schedules, running
# statistics, label encoders, grids, callables) is saved at least once.
CASES = [
    (MLPClassifier(**FAST), X, CLASSES),
    (
        MLPClassifier(
            **FAST, dropout=0.2, normalization="batch", activation="prelu",
            learning_rate="cosine", solver="rmsprop",
        ),
        X, LABELS,
    ),
    (
        MLPClassifier(
            **FAST, solver="sgd", learning_rate="adaptive", early_stopping=True,
            label_smoothing=0.1, class_weight={0: 1.0, 1: 2.0, 2: 0.5},
            n_iter_no_change=np.inf,
        ),
        X, CLASSES,
    ),
    (MLPClassifier(**FAST, solver="lbfgs", normalization="layer"), X, MULTILABEL),
    (MLPClassifier(**FAST), X.astype(np.float32), CLASSES),
    (MLPRegressor(**FAST), X, TARGET),
    (
        MLPRegressor(
            **FAST, learning_rate=nn.schedules.StepDecay(0.01, step_size=2),
            activation="gelu", l1=1e-4, max_norm=3.0,
        ),
        X.astype(np.float32), TARGET,
    ),
    (
        MLPRegressor(**FAST, solver="sgd", learning_rate="invscaling", loss="poisson"),
        scipy.sparse.csr_matrix(X), np.abs(TARGET),
    ),
    (LogisticRegression(), X, CLASSES % 2),
    (LogisticRegression(solver="sgd", random_state=0, max_iter=5), X, LABELS),
    (LogisticRegression(solver="gd", l1_ratio=0.5), X.astype(np.float32), CLASSES),
    (SoftmaxClassifier(), X, CLASSES),
    (
        SoftmaxClassifier(
            solver="adam", random_state=np.random.RandomState(3), max_iter=5,
            class_weight="balanced",
        ),
        X, CLASSES,
    ),
    (LeastSquaresRegressor(), X, TARGET),
    (LeastSquaresRegressor(solver="sgd", random_state=0, max_iter=5), X, TARGET),
    (LeastSquaresRegressor(solver="cholesky", fit_intercept=False), X, MULTILABEL),
    (KNN(), X, LABELS),
    (KNN(n_neighbors=3, weights="distance", metric="manhattan"), X, CLASSES),
    (KNN(metric="chebyshev"), X.astype(np.float32), MULTILABEL),
    (KNNRegressor(p=3, weights=nn.activations.sigmoid), X, TARGET),
    (KNNRegressor(metric="minkowski", p=np.inf, weights="distance"), X, TARGET),
    (make_pipeline(StandardScaler(), MLPClassifier(**FAST)), X, CLASSES),
    (
        make_pipeline(
            MinMaxScaler(), MaxAbsScaler(), RobustScaler(), Normalizer(),
            PolynomialFeatures(2), KNN(),
        ),
        X, CLASSES,
    ),
]  # fmt: skip


def _case_id(case):
    estimator, data, _ = case
    kind = "sparse" if scipy.sparse.issparse(data) else data.dtype.name
    return f"{type(estimator).__name__}-{kind}"


@pytest.fixture(params=CASES, ids=[_case_id(case) for case in CASES])
def fitted(request):
    estimator, data, y = request.param
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of small budgets
        estimator = copy.deepcopy(estimator).fit(data, y)
    return estimator, data, y


# ------------------------------------------------------------- round trips


def test_every_estimator_is_round_tripped():
    saved = {type(case[0]).__name__ for case in CASES}
    assert set(skdeep.ESTIMATORS) <= saved


def test_round_trip_keeps_predictions_parameters_and_fitted_state(fitted):
    estimator, data, _ = fitted
    loaded = _round_trip(estimator)
    assert type(loaded) is type(estimator)
    _assert_same_predictions(estimator, loaded, data)
    _assert_same_state(
        estimator.get_params(deep=False), loaded.get_params(deep=False), "params"
    )
    _assert_same_state(estimator, loaded)


def test_round_trip_of_an_unfitted_estimator_keeps_its_parameters():
    estimator = MLPClassifier(
        hidden_layer_sizes=(5, 4), learning_rate=nn.schedules.CosineAnnealing(0.1, 9),
        dropout=[0.1, 0.2], n_iter_no_change=np.inf, random_state=np.int64(4),
    )  # fmt: skip
    loaded = _round_trip(estimator)
    _assert_same_state(estimator, loaded)
    assert set(vars(loaded)) == set(loaded.get_params(deep=False))
    assert type(loaded.random_state) is np.int64
    # The copy trains like the original.
    assert_array_equal(
        loaded.fit(X, CLASSES).predict_proba(X),
        estimator.fit(X, CLASSES).predict_proba(X),
    )


def test_predictions_keep_the_float32_dtype():
    estimator = MLPRegressor(**FAST).fit(X.astype(np.float32), TARGET)
    loaded = _round_trip(estimator)
    assert loaded.network_.dtype == np.float32
    assert loaded.predict(X).dtype == np.float32


@pytest.mark.parametrize("kind", ["str", "pathlib", "file"])
def test_paths_and_file_objects_are_accepted(tmp_path, kind):
    estimator = KNN(n_neighbors=2).fit(X, CLASSES)
    target = tmp_path / "model.skdeep"
    if kind == "file":
        with open(target, "wb") as file:
            skdeep.save(estimator, file)
        with open(target, "rb") as file:
            loaded = skdeep.load(file)
    else:
        where = str(target) if kind == "str" else target
        skdeep.save(estimator, where)
        loaded = skdeep.load(where)
    assert_array_equal(loaded.predict(X), estimator.predict(X))
    assert [p.name for p in tmp_path.iterdir()] == ["model.skdeep"]  # no temp files


def test_feature_names_from_a_dataframe_survive():
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    estimator = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        frame, CLASSES
    )
    loaded = _round_trip(estimator)
    assert_array_equal(loaded.feature_names_in_, ["a", "b", "c", "d"])
    assert_array_equal(loaded.predict_proba(frame), estimator.predict_proba(frame))


# --------------------------------------------------- identity and training


def test_coefficients_stay_the_arrays_the_network_trains():
    estimator = MLPClassifier(hidden_layer_sizes=(300, 300), max_iter=1).fit(X, CLASSES)
    loaded = _round_trip(estimator)
    dense = [layer for layer in loaded.network_.layers if isinstance(layer, nn.Dense)]
    for coef, intercept, layer in zip(
        loaded.coefs_, loaded.intercepts_, dense, strict=True
    ):
        assert coef is layer.W and intercept is layer.b
    assert all(
        a is b for a, b in zip(loaded.network_.params[::2], loaded.coefs_, strict=True)
    )
    # The 300x300 kernel is updated in blocks: views into the Adam moments.
    state, blocks = loaded._optimizer._state[2], loaded._optimizer._blocks[2]
    assert len(blocks) == 2
    for _, _, views in blocks:
        assert np.shares_memory(views["m"], state["m"])
        assert np.shares_memory(views["v"], state["v"])


@pytest.mark.parametrize(
    "estimator",
    [
        MLPClassifier(
            hidden_layer_sizes=(6, 5), alpha=0.5, l1=0.01, activation="prelu",
            normalization="batch", dropout=0.3, max_iter=2, random_state=0,
        ),
        MLPRegressor(
            hidden_layer_sizes=(6,), alpha=0.5, normalization="layer", max_iter=2,
            random_state=0,
        ),
    ],
    ids=["batch-norm-dropout-prelu", "layer-norm"],
)  # fmt: skip
def test_a_model_saved_mid_training_holds_no_layer_cache_and_trains_on_the_same(
    estimator,
):
    """Saved after a training-mode forward and backward (from a callback, or a
    thread), every layer leaves out the caches its class declares and carries
    its scratch buffers as zeros; the loaded model's Dense layers add their own
    ``l2·W`` in backward, and it trains and predicts exactly as the original."""
    y = CLASSES if isinstance(estimator, MLPClassifier) else TARGET
    estimator = clone(estimator).fit(X, y)
    network = estimator.network_
    scores = network.forward(X, training=True)
    network.backward(np.ones_like(scores))
    loaded = _round_trip(estimator)
    layers = [loaded.network_, *loaded.network_.layers]
    assert {type(layer) for layer in layers} >= {nn.Sequential, nn.Dense}
    for original, layer in zip([network, *network.layers], layers, strict=True):
        caches, scratch = type(layer).transient_attributes()
        assert not caches & vars(layer).keys(), type(layer).__name__
        assert caches <= vars(original).keys(), type(layer).__name__
        for name in scratch:
            assert_array_equal(getattr(layer, name), 0.0)
    dense = loaded.network_.layers[0]
    dense.forward(X, training=True)
    dense.backward(np.zeros((X.shape[0], dense.n_out)), input_grad=False)
    np.testing.assert_allclose(
        dense.dW, dense.l2 * dense.W + dense.l1 * np.sign(dense.W), rtol=1e-12
    )
    for model in (estimator, loaded):
        model.partial_fit(X, y)
    _assert_same_predictions(estimator, loaded, X)
    for a, b in zip(estimator.coefs_, loaded.coefs_, strict=True):
        assert_array_equal(a, b)


def _continue_both(estimator, step):
    """Save, load, then apply ``step`` to the original and the loaded copy."""
    loaded = _round_trip(estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        step(estimator)
        step(loaded)
    return estimator, loaded


CONTINUATIONS = [
    (
        MLPClassifier(
            hidden_layer_sizes=(300, 5), max_iter=3, dropout=0.3,
            normalization="batch", random_state=1,
        ),
        lambda e: e.partial_fit(X, CLASSES),
    ),
    (
        MLPClassifier(
            **FAST, solver="sgd", momentum=0.9, learning_rate="cosine",
            activation="prelu", warm_start=True,
        ),
        lambda e: e.fit(X, CLASSES),
    ),
    (
        MLPRegressor(
            **FAST, early_stopping=True, warm_start=True, solver="adagrad",
            learning_rate=nn.schedules.ExponentialDecay(0.01, gamma=0.9),
        ),
        lambda e: e.fit(X, TARGET),
    ),
    (
        MLPRegressor(**FAST, solver="sgd", learning_rate="invscaling"),
        lambda e: e.partial_fit(X, TARGET),
    ),
    (LogisticRegression(solver="sgd", random_state=0, max_iter=3),
     lambda e: e.partial_fit(X, CLASSES % 2)),
    (SoftmaxClassifier(solver="adam", random_state=0, max_iter=3),
     lambda e: e.partial_fit(X, CLASSES)),
    (LeastSquaresRegressor(solver="adam", random_state=0, max_iter=3),
     lambda e: e.partial_fit(X, TARGET)),
]  # fmt: skip


@pytest.mark.parametrize(
    "estimator, step", CONTINUATIONS, ids=[type(c[0]).__name__ for c in CONTINUATIONS]
)
def test_training_continues_after_loading_as_without_saving(estimator, step):
    y = {"MLPRegressor": TARGET, "LeastSquaresRegressor": TARGET}.get(
        type(estimator).__name__, CLASSES
    )
    if type(estimator) is LogisticRegression:
        y = CLASSES % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = copy.deepcopy(estimator).fit(X, y)
    before = _first_weights(estimator).copy()
    original, loaded = _continue_both(estimator, step)
    # The step changed the model, and changed both copies identically.
    assert not np.array_equal(_first_weights(original), before)
    _assert_same_predictions(original, loaded, X)
    _assert_same_state(original, loaded)


def _first_weights(estimator):
    return estimator.coefs_[0] if hasattr(estimator, "coefs_") else estimator.coef_


# ------------------------------------------------------------------ refusals


def _archive(estimator=None) -> dict[str, bytes]:
    buffer = io.BytesIO()
    skdeep.save(estimator or MLPClassifier(**FAST).fit(X, CLASSES), buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def _with_header(change, estimator=None) -> io.BytesIO:
    members = _archive(estimator)
    header = json.loads(members["model.json"])
    change(header)
    members["model.json"] = json.dumps(header).encode()
    return _zip(members)


def test_a_model_loaded_from_joblib_memory_maps_saves_its_data(tmp_path):
    model = MLPClassifier(**FAST).fit(X, CLASSES)
    joblib.dump(model, tmp_path / "model.joblib")
    mapped = joblib.load(tmp_path / "model.joblib", mmap_mode="r")
    assert type(mapped.coefs_[0]) is np.memmap
    loaded = _round_trip(mapped)
    assert type(loaded.coefs_[0]) is np.ndarray
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def _layer(header, position):
    return header["estimator"]["attributes"]["network_"]["attributes"]["layers"][
        position
    ]


@pytest.mark.parametrize(
    "position, change, message",
    [
        (0, dict(grads=[]), r"0 stored arrays for the 2 attributes \['dW', 'db'\]"),
        (0, dict(params={"__array__": 1}), "expected a JSON list"),
        (1, dict(function=None, grads=[]), "incomplete object"),
    ],
)
def test_malformed_legacy_array_lists_are_refused(position, change, message):
    # Files of 0.1.0.dev0 hold a layer's params/grads/state lists, of which
    # loading takes the arrays that have no attribute of their own.
    def tamper(header):
        _layer(header, position)["attributes"].update(change)

    with pytest.raises(ValueError, match=message):
        skdeep.load(_with_header(tamper, MLPClassifier(**FAST).fit(X, CLASSES)))


def test_legacy_array_lists_are_not_kept_beside_the_attributes():
    def add_lists(header):
        dense = _layer(header, 0)["attributes"]
        dense.update(params=[dense["W"], dense["b"]], grads=[dense["dW"], dense["db"]])
        dense.update(state=[])

    loaded = skdeep.load(_with_header(add_lists, MLPClassifier(**FAST).fit(X, CLASSES)))
    dense = loaded.network_.layers[0]
    assert not {"params", "grads", "state"} & vars(dense).keys()
    assert dense.params[0] is dense.W and dense.grads[1] is dense.db


class _Marker:
    """Unpickling it creates a file: the proof that code would have run."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.path),))


def test_a_pickle_is_refused_without_being_unpickled(tmp_path):
    marker = tmp_path / "code-ran"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(_Marker(marker)))
    with pytest.raises(ValueError, match=r"is a pickle.*never unpickles"):
        skdeep.load(path)
    joblib.dump(_Marker(marker), tmp_path / "model.joblib")
    with pytest.raises(ValueError, match="is a pickle"):
        skdeep.load(tmp_path / "model.joblib")
    assert not marker.exists()
    pickle.loads(path.read_bytes())  # the payload is live: loading it does run code
    assert marker.exists()


def test_a_pickled_object_array_inside_the_zip_is_refused(tmp_path):
    marker = tmp_path / "code-ran"
    members = _archive(LeastSquaresRegressor().fit(X, TARGET))
    (name,) = [n for n in members if n.endswith(".npy")]
    payload = io.BytesIO()
    np.save(payload, np.array([_Marker(marker)] * 4, dtype=object), allow_pickle=True)
    members[name] = payload.getvalue()
    with pytest.raises(ValueError, match=r"object arrays are never loaded"):
        skdeep.load(_zip(members))
    assert not marker.exists()


@pytest.mark.parametrize("name", ["os.system", "builtins.eval", "posix.system"])
def test_a_class_outside_the_allow_list_is_refused(name):
    def at_top(header):
        header["estimator"]["__class__"] = name

    with pytest.raises(ValueError, match=f"{name}.*not on skdeep's allow-list"):
        skdeep.load(_with_header(at_top))

    def nested(header):
        header["estimator"]["attributes"]["_loss"] = {
            "__class__": name, "attributes": {"command": "touch /tmp/x"},
        }  # fmt: skip

    with pytest.raises(ValueError, match=rf"_loss: class '{name}' is not on"):
        skdeep.load(_with_header(nested))


def test_a_newer_format_version_asks_for_an_upgrade():
    def newer(header):
        header["format_version"] = 99
        header["skdeep_version"] = "9.0"

    with pytest.raises(ValueError, match=r"newer skdeep \('9.0'.*Upgrade skdeep"):
        skdeep.load(_with_header(newer))


def test_not_a_zip_and_a_truncated_zip_are_refused(tmp_path):
    with pytest.raises(ValueError, match="does not start like a zip"):
        skdeep.load(io.BytesIO(b"hello world"))
    data = _zip(_archive()).getvalue()
    with pytest.raises(ValueError, match="truncated or corrupt"):
        skdeep.load(io.BytesIO(data[: len(data) // 2]))


def test_a_flipped_byte_in_an_array_is_detected():
    members = _archive()
    buffer = _zip(members)
    data = bytearray(buffer.getvalue())
    position = data.find(b"NUMPY") + 200  # inside the first array's data
    data[position] ^= 0xFF
    with pytest.raises(ValueError, match=r"truncated or corrupt.*CRC"):
        skdeep.load(io.BytesIO(bytes(data)))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda h: h.clear() or h.update(format="other"), "format 'other'"),
        (lambda h: h.update(format_version="1"), "invalid format_version"),
        (lambda h: h.update(extra=1), "header has keys"),
        (lambda h: h.update({"class": "skdeep.KNN"}), "declares class 'skdeep.KNN'"),
        (
            lambda h: h.update(
                estimator={"__class__": "skdeep.nn.Dense", "attributes": {}}
            ),
            "holds Dense",
        ),
        (lambda h: h["arrays"][0].update(member=[1]), "missing|invalid member"),
        (
            lambda h: h["estimator"]["attributes"].update(alpha=1.0),
            r"\['alpha'\] are given both",
        ),
        (lambda h: h["arrays"][0].update(shape=[2, 2]), r"declared int64 of shape"),
        (lambda h: h["arrays"][0].update(shape=[10**6]), r"size \(.*does not match"),
        (lambda h: h["arrays"][0].update(dtype="<f4"), r"declared float32"),
        (lambda h: h["arrays"][0].update(dtype="|O"), "dtype object"),
        (lambda h: h["estimator"]["params"].pop("alpha"), r"missing \['alpha'\]"),
        (lambda h: h["estimator"]["params"].update(evil=1), r"unknown \['evil'\]"),
        (
            lambda h: h["estimator"]["attributes"].update(__class__="x"),
            "invalid attribute name '__class__'",
        ),
        (
            lambda h: h["estimator"]["attributes"].update(n_iter_={"__ref__": 999}),
            "not defined before it",
        ),
        (
            lambda h: h["estimator"]["attributes"].update(n_iter_={"__array__": 999}),
            "no array number 999",
        ),
        (
            lambda h: h["estimator"]["attributes"].update(n_iter_={"__eval__": "1"}),
            "unknown entry type '__eval__'",
        ),
        (
            lambda h: h["estimator"]["attributes"].update(
                n_iter_={"__scalar__": "<i1", "value": 1000}
            ),
            "does not fit dtype",
        ),
        (
            lambda h: h["estimator"]["attributes"].update(
                n_iter_={"__scalar__": "<c16", "value": ["1", "2"]}
            ),
            r"complex scalar is a \[real, imag\] pair of numbers",
        ),
        (
            lambda h: h["estimator"]["attributes"].update(
                n_iter_={"__scalar__": "<c16", "value": [[1], [2]]}
            ),
            r"complex scalar is a \[real, imag\] pair of numbers",
        ),
    ],
)
def test_tampered_headers_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        skdeep.load(_with_header(change))


def test_a_member_larger_than_its_declared_array_is_not_read():
    members = _archive(LeastSquaresRegressor().fit(X, TARGET))
    (name,) = [n for n in members if n.endswith(".npy")]
    payload = io.BytesIO()
    np.save(payload, np.zeros(10**4))
    members[name] = payload.getvalue()
    with pytest.raises(ValueError, match=r"size \(80128 bytes\) does not match"):
        skdeep.load(_zip(members))


def _npy_member(header: dict, data: bytes) -> bytes:
    """An .npy member whose header says ``header``, followed by ``data``."""
    member = io.BytesIO()
    np.lib.format.write_array_header_1_0(member, header)
    return member.getvalue() + data


def _with_member(shape, dtype, member: bytes, compress=zipfile.ZIP_STORED):
    """A fitted LeastSquaresRegressor's file whose only array member is
    replaced by ``member`` and declared as ``dtype`` of ``shape`` in the JSON."""
    members = _archive(LeastSquaresRegressor().fit(X, TARGET))
    (name,) = [n for n in members if n.endswith(".npy")]
    header = json.loads(members["model.json"])
    (entry,) = [e for e in header["arrays"] if e["kind"] == "npy"]
    entry.update(shape=list(shape), dtype=dtype)
    members["model.json"] = json.dumps(header).encode()
    members[name] = member
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member_name, data in members.items():
            archive.writestr(
                member_name, data, compress_type=compress if member_name == name else 0
            )
    buffer.seek(0)
    return buffer


def test_a_compressed_array_member_is_refused_before_decompressing():
    # A zip bomb: 8 MB of zeros deflate to 8 kB, and the JSON declares them.
    payload = io.BytesIO()
    np.save(payload, np.zeros(10**6))
    buffer = _with_member((10**6,), "<f8", payload.getvalue(), zipfile.ZIP_DEFLATED)
    assert len(buffer.getvalue()) < 100_000
    with pytest.raises(ValueError, match=r"0.npy: array members must be stored un"):
        skdeep.load(buffer)


def test_the_npy_header_is_checked_against_the_declaration_before_reading():
    data = np.arange(2.0).tobytes()
    # The member's own header claims 2**45 elements (256 TiB): numpy would
    # allocate by it; load compares it with the JSON's (1, 2) first.
    huge = _npy_member(
        {"descr": "<f8", "fortran_order": False, "shape": (2**45,)}, data
    )
    with pytest.raises(ValueError, match=r"holds a float64 array of shape \(35184"):
        skdeep.load(_with_member((1, 2), "<f8", huge))
    other = _npy_member({"descr": "<i8", "fortran_order": False, "shape": (1, 2)}, data)
    with pytest.raises(ValueError, match=r"holds a int64 array.*declared float64"):
        skdeep.load(_with_member((1, 2), "<f8", other))
    extra = _npy_member(
        {"descr": "<f8", "fortran_order": False, "shape": (1, 2)}, data + b"\0" * 8
    )
    with pytest.raises(ValueError, match="trailing data after the array"):
        skdeep.load(_with_member((1, 2), "<f8", extra))
    # Declaration and header agree: the array is read as declared, writable.
    coef = np.array([1.0, -2.0, 3.0, 0.5])
    member = _npy_member(
        {"descr": "<f8", "fortran_order": False, "shape": (4,)}, coef.tobytes()
    )
    loaded = skdeep.load(_with_member((4,), "<f8", member))
    assert_array_equal(loaded.coef_, coef)
    assert loaded.coef_.flags.writeable


def test_a_pipeline_cache_folder_is_refused_at_save_and_at_load(tmp_path):
    # Pipeline(memory=folder) writes joblib pickles there during fit and
    # unpickles them on a cache hit.
    cached = make_pipeline(StandardScaler(), KNN(), memory=str(tmp_path))
    with pytest.raises(TypeError, match=r"Pipeline.memory must be None.*pickles"):
        skdeep.save(cached, io.BytesIO())

    def point_at_folder(header):
        header["estimator"]["params"]["memory"] = str(tmp_path)

    pipeline = make_pipeline(StandardScaler(), KNN())
    with pytest.raises(ValueError, match=r"Pipeline.memory must be None"):
        skdeep.load(_with_header(point_at_folder, pipeline))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "estimator, name, value",
    [
        (LogisticRegression(), "C", "oops"),
        (MLPClassifier(**FAST), "hidden_layer_sizes", -3),
        (KNN(), "n_neighbors", 0),
        (make_pipeline(StandardScaler(), KNN()), "verbose", "loud"),
    ],
)
def test_parameters_are_validated_at_save_and_at_load(estimator, name, value):
    cls = type(estimator).__name__

    def tamper(header):
        header["estimator"]["params"][name] = value

    with pytest.raises(ValueError, match=rf"invalid parameters of {cls}.*'{name}'"):
        skdeep.load(_with_header(tamper, estimator))
    estimator.set_params(**{name: value})
    with pytest.raises(TypeError, match=rf"Cannot save {cls}: invalid parameters"):
        skdeep.save(estimator, io.BytesIO())


@pytest.mark.parametrize(
    "estimator, attribute",
    [
        (LeastSquaresRegressor(), "predict"),
        (MLPClassifier(**FAST), "fit"),
        (MLPClassifier(**FAST), "_validate_params"),
        (KNN(), "_get_param_names"),  # a classmethod
        (make_pipeline(StandardScaler(), KNN()), "predict_proba"),  # available_if
        (make_pipeline(StandardScaler(), KNN()), "named_steps"),  # a property
        (LogisticRegression(), "_parameter_constraints"),  # would disable checks
    ],
)
def test_an_attribute_cannot_replace_a_method(estimator, attribute):
    def shadow(header):
        header["estimator"]["attributes"][attribute] = (
            {} if attribute == "_parameter_constraints"
            else {"__function__": "skdeep.nn.activations.sigmoid"}
        )  # fmt: skip

    with pytest.raises(ValueError, match=rf"'{attribute}' would replace the method"):
        skdeep.load(_with_header(shadow, estimator))


def _deflated(members: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def test_a_header_that_expands_too_much_is_not_parsed():
    members = _archive(LeastSquaresRegressor().fit(X, TARGET))
    header = json.loads(members["model.json"])
    header["estimator"]["attributes"]["n_iter_"] = "placeholder"
    # A million empty lists: 3 MB of JSON that deflate to a few kB and would
    # take ~140 MB to parse.
    document = json.dumps(header).replace('"placeholder"', "[" + "[]," * 10**6 + "0]")
    members["model.json"] = document.encode()
    buffer = _deflated(members)
    assert len(buffer.getvalue()) < 50_000
    with pytest.raises(ValueError, match=r"expands from \d+ to \d+ bytes, more than"):
        skdeep.load(buffer)
    # Too large even uncompressed (whitespace is valid JSON).
    padding = b" " * (skdeep.persistence.MAX_HEADER_BYTES + 1)
    members["model.json"] = json.dumps(header).encode() + padding
    with pytest.raises(ValueError, match=r"declares \d+ bytes, more than the"):
        skdeep.load(_zip(members))


def test_real_headers_are_far_within_the_header_limits(fitted):
    estimator, _, _ = fitted
    buffer = io.BytesIO()
    skdeep.save(estimator, buffer)
    with zipfile.ZipFile(buffer) as archive:
        info = archive.getinfo("model.json")
    assert info.file_size < skdeep.persistence.MAX_HEADER_BYTES / 100
    ratio = info.file_size / info.compress_size
    assert ratio < skdeep.persistence.MAX_HEADER_COMPRESSION_RATIO / 4


def test_save_writes_only_headers_that_load_accepts(monkeypatch):
    # A long history of identical values deflates far beyond the bound that
    # load enforces: save stores such a header uncompressed instead.
    estimator = LeastSquaresRegressor().fit(X, TARGET)
    estimator.n_iter_ = [0.25] * 50_000
    buffer = io.BytesIO()
    skdeep.save(estimator, buffer)
    with zipfile.ZipFile(buffer) as archive:
        assert archive.getinfo("model.json").compress_type == zipfile.ZIP_STORED
    buffer.seek(0)
    assert skdeep.load(buffer).n_iter_ == estimator.n_iter_
    # A header larger than load accepts is refused by save (a small limit
    # here, rather than writing 16 MiB).
    monkeypatch.setattr(skdeep.persistence, "MAX_HEADER_BYTES", 10_000)
    with pytest.raises(ValueError, match=r"model.json would take \d+ bytes, more"):
        skdeep.save(estimator, io.BytesIO())


def test_deeply_nested_values_are_refused():
    members = _archive(LeastSquaresRegressor().fit(X, TARGET))
    header = json.loads(members["model.json"])
    header["estimator"]["attributes"]["n_iter_"] = "placeholder"
    document = json.dumps(header).replace(
        '"placeholder"', "[" * 100_000 + "]" * 100_000
    )
    members["model.json"] = document.encode()
    with pytest.raises(ValueError, match=r"not valid JSON|nests its values too"):
        skdeep.load(_zip(members))


def test_a_header_that_is_not_a_json_object_is_refused():
    for document in (b"[1, 2]", b"{not json", b'{"a": NaN}', b'{"a": 1, "a": 2}'):
        with pytest.raises(ValueError, match=r"not a JSON object|not valid JSON"):
            skdeep.load(_zip({"model.json": document}))


def test_missing_extra_and_traversal_members_are_refused():
    members = _archive()
    first = next(name for name in members if name.endswith(".npy"))
    without = {k: v for k, v in members.items() if k != first}
    with pytest.raises(ValueError, match=rf"missing \['{first}'\]"):
        skdeep.load(_zip(without))
    for extra in ("../../evil.npy", "/etc/passwd", "arrays/999.npy"):
        with pytest.raises(ValueError, match=r"unexpected \[.*evil|passwd|999"):
            skdeep.load(_zip({**members, extra: b"x"}))
    with pytest.raises(ValueError, match=r"no model.json"):
        skdeep.load(_zip({"other.json": b"{}"}))


def test_a_view_reaching_outside_its_array_is_refused():
    estimator = MLPClassifier(hidden_layer_sizes=(300,), max_iter=1).fit(X, CLASSES)

    def outside(header):
        view = next(e for e in header["arrays"] if e["kind"] == "view")
        view["offset"] = 10**9

    with pytest.raises(ValueError, match="view does not fit"):
        skdeep.load(_with_header(outside, estimator))


def test_values_that_cannot_be_saved_are_named():
    with pytest.raises(TypeError, match=r"KNN\.weights.*function.*not supported"):
        skdeep.save(KNN(weights=lambda d: 1 / d), io.BytesIO())
    with pytest.raises(TypeError, match=r"random_state.*SeedSequence"):
        skdeep.save(MLPClassifier(random_state=np.random.SeedSequence(0)), io.BytesIO())
    with pytest.raises(TypeError, match=r"object array may only hold str"):
        knn = KNN().fit(X, CLASSES)
        knn.classes_ = np.array([object(), object(), object()])
        skdeep.save(knn, io.BytesIO())
    knn = KNN()
    del knn.p
    with pytest.raises(TypeError, match=r"KNN: its parameters \['p'\] are not stored"):
        skdeep.save(knn, io.BytesIO())
    with pytest.raises(TypeError, match="save takes a scikit-learn-compatible"):
        skdeep.save({"not": "an estimator"}, io.BytesIO())

    class MyKNN(KNN):
        pass

    with pytest.raises(TypeError, match="MyKNN: only the classes on skdeep's"):
        skdeep.save(MyKNN(), io.BytesIO())


def test_a_failed_save_leaves_no_file(tmp_path):
    with pytest.raises(TypeError):
        skdeep.save(KNN(weights=lambda d: d), tmp_path / "model.skdeep")
    assert list(tmp_path.iterdir()) == []


def test_a_different_scikit_learn_version_warns_for_its_objects():
    def older(header):
        header["sklearn_version"] = "0.1"

    with pytest.warns(UserWarning, match=r"scikit-learn 0.1"):
        skdeep.load(_with_header(older, make_pipeline(StandardScaler(), KNN())))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        skdeep.load(_with_header(older, KNN()))  # no scikit-learn object inside


@pytest.mark.parametrize("order", ["C", "F"])
def test_views_of_any_layout_keep_sharing_memory(order):
    estimator = KNN().fit(X, CLASSES)
    owner = np.asarray(np.arange(24.0).reshape(4, 6), order=order)
    estimator.owner_ = owner
    estimator.views_ = [owner[1:, ::2], owner.T[::-1], owner.reshape(-1, order="A")]
    loaded = _round_trip(estimator)
    assert loaded.owner_.flags.f_contiguous == (order == "F")
    for view, original in zip(loaded.views_, estimator.views_, strict=True):
        assert_array_equal(view, original)
        assert np.shares_memory(view, loaded.owner_)
    loaded.owner_[2, 2] = -1.0
    assert loaded.views_[0][1, 1] == -1.0


def test_two_views_of_an_unsaved_array_still_share_it():
    estimator = KNN().fit(X, CLASSES)
    hidden = np.arange(10.0)
    estimator.first_, estimator.second_ = hidden[:6], hidden[4:]
    loaded = _round_trip(estimator)
    loaded.first_[5] = -1.0
    assert loaded.second_[1] == -1.0
    # A lone view saves only its own elements.
    estimator = KNN().fit(X, CLASSES)
    estimator.lone_ = np.arange(10**5)[:3]
    members = _archive(estimator)
    assert max(len(data) for data in members.values()) < 10**5


def test_the_allow_list_holds_exactly_the_public_estimators():
    top_level = {
        name.removeprefix("skdeep.")
        for name in allow.allowed_classes()
        if name.startswith("skdeep.") and name.count(".") == 1
    }
    assert top_level == set(skdeep.ESTIMATORS)


# ------------------------------------------- hostile files (issue 15)


@pytest.mark.parametrize(
    "source", [b"PK\x03\x04", None, io.StringIO("model"), 3], ids=repr
)
def test_load_refuses_what_is_not_a_path_or_binary_file(source):
    with pytest.raises(TypeError, match=r"path .* or a binary file object"):
        skdeep.load(source)


@pytest.mark.parametrize("dtype", ["|S0", "<U0"])
def test_a_zero_width_dtype_is_refused(dtype):
    # Zero bytes an element pass every size check whatever the shape, and
    # numpy widens the dtype to one byte (or character) an element when it
    # allocates: 2**20 elements here, 2**40 in the same kilobyte of file.
    shape = (2**20,)
    member = _npy_member({"descr": dtype, "fortran_order": False, "shape": shape}, b"")
    with pytest.raises(ValueError, match=rf"zero-width dtype {re.escape(dtype)}"):
        skdeep.load(_with_member(shape, dtype, member))


def test_duplicate_keys_are_found_in_linear_time():
    # One repeated key among 40,000: counting each key's occurrences anew
    # took 17 s or more; one pass takes milliseconds.
    keys = ", ".join(f'"k{i}": 0' for i in range(40_000))
    buffer = _zip({"model.json": f'{{{keys}, "k0": 1}}'.encode()})
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"duplicate JSON keys \['k0'\]"):
        skdeep.load(buffer)
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_a_member_compressed_as_save_never_does_is_refused_unread(method):
    # A bomb: 8 MiB of spaces compress to a few hundred bytes, and the zip
    # directory declares the compressed size, so the ratio check passes;
    # zipfile would decompress the whole member before comparing sizes.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model.json", b" " * 2**23, compress_type=method)
        info = archive.getinfo("model.json")
        info.file_size = info.compress_size
    assert len(buffer.getvalue()) < 2_000
    buffer.seek(0)
    tracemalloc.start()
    try:
        name = zipfile.compressor_names[method]
        with pytest.raises(ValueError, match=rf"compression method {name} \("):
            skdeep.load(buffer)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20


SIGMOID = {"__function__": "skdeep.nn.activations.sigmoid"}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("predict_proba", SIGMOID, "named like a method"),
        ("predict_proba", 1, "named like a method"),
        ("link_", SIGMOID, "holds a callable"),
    ],
)
def test_a_file_cannot_add_methods_the_class_lacks(name, value, message):
    def add(header):
        header["estimator"]["attributes"][name] = value

    buffer = _with_header(add, LeastSquaresRegressor().fit(X, TARGET))
    with pytest.raises(ValueError, match=rf"attribute '{name}' .*{message}"):
        skdeep.load(buffer)
