"""skdeep.load on crafted files: parameters are plain values, and the fitted
state of skdeep's own classes is checked before anyone predicts with it.

Each crafted file starts from a real saved one whose JSON header or arrays
are edited inside the zip.
"""

import io
import json
import time
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
import scipy.sparse
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

import skdeep
from skdeep import (
    KNN,
    KNNRegressor,
    LeastSquaresRegressor,
    LogisticRegression,
    MLPClassifier,
    SoftmaxClassifier,
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3))
CLASSES = RNG.integers(0, 3, size=40)
TARGET = X @ [1.0, -2.0, 0.5]


def _members(estimator) -> dict[str, bytes]:
    buffer = io.BytesIO()
    skdeep.save(estimator, buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def _with_header(estimator, change) -> io.BytesIO:
    members = _members(estimator)
    header = json.loads(members["model.json"])
    change(header)
    members["model.json"] = json.dumps(header).encode()
    return _zip(members)


# ---------------------------------------------------------------- parameters


def _shared_list_chain(depth: int) -> list:
    """JSON for a list whose two items are the same list, ``depth`` times over:
    ``depth`` nodes in the file, ``2**depth`` paths for repr and clone."""
    chain = [{"__list__": [1], "__id__": 1000}]
    for level in range(1, depth + 1):
        twice = [{"__ref__": 1000 + level - 1}] * 2
        chain.append({"__list__": twice, "__id__": 1000 + level})
    return chain


def test_a_parameter_built_of_shared_references_is_refused_quickly():
    # A 16 KB file of this shape took 78 s to repr at depth 20.
    def share(header):
        header["estimator"]["params"]["metric_params"] = {"w": _shared_list_chain(40)}

    buffer = _with_header(KNN().fit(X, CLASSES), share)
    assert len(buffer.getvalue()) < 16_000
    start = time.perf_counter()
    with pytest.raises(ValueError, match="parameter refers to a value stored"):
        skdeep.load(buffer)
    assert time.perf_counter() - start < 1.0


def test_a_parameter_may_not_refer_to_a_fitted_attribute():
    # Inside a pipeline, a later step's parameter could name an earlier
    # step's fitted array or object.
    def share(header):
        steps = header["estimator"]["params"]["steps"]
        steps[0]["__tuple__"][1]["__id__"] = 77
        steps[1]["__tuple__"][1]["params"]["metric_params"] = {"x": {"__ref__": 77}}

    pipeline = make_pipeline(MinMaxScaler(), KNN()).fit(X, CLASSES)
    with pytest.raises(ValueError, match=r"refers to a value .*\(MinMaxScaler\)"):
        skdeep.load(_with_header(pipeline, share))


def test_parameters_shared_in_memory_are_saved_in_full_and_load():
    # Two scalers share their default feature_range tuple (one constant).
    pipeline = make_pipeline(
        MinMaxScaler(), RobustScaler(), MinMaxScaler(), SoftmaxClassifier()
    )
    assert pipeline[0].feature_range is pipeline[2].feature_range
    pipeline.fit(X, CLASSES)
    header = json.loads(_members(pipeline)["model.json"])
    assert '"__ref__"' not in json.dumps(header["estimator"]["params"]["steps"][:3])
    loaded = skdeep.load(_zip(_members(pipeline)))
    assert loaded[0].feature_range == (0, 1) and loaded[2].feature_range == (0, 1)
    assert repr(loaded) == repr(pipeline)
    assert_array_equal(clone(loaded).fit(X, CLASSES).predict(X), pipeline.predict(X))


DENSE = {
    "__class__": "skdeep.nn.Dense",
    "attributes": {"n_out": 2, "init": "glorot_uniform", "bias_init": "zeros",
                   "l1": 0.0, "l2": 0.0, "max_norm": None},
}  # fmt: skip


@pytest.mark.parametrize("step", [DENSE, 3, "name"])
def test_a_pipeline_step_must_be_a_named_estimator(step):
    def replace(header):
        steps = header["estimator"]["params"]["steps"]
        if step is DENSE:
            steps[0]["__tuple__"][1] = DENSE
        else:
            steps[0] = step

    pipeline = make_pipeline(MinMaxScaler(), LeastSquaresRegressor()).fit(X, TARGET)
    with pytest.raises(ValueError, match=r"Pipeline.steps must hold \(name, estimator"):
        skdeep.load(_with_header(pipeline, replace))


# -------------------------------------------------------------- fitted state


def _with_array(estimator, locate, change) -> io.BytesIO:
    """The file of ``estimator`` with the array at ``locate(header)`` (an
    ``{"__array__": i}`` node) replaced by ``change(array)``."""
    members = _members(estimator)
    header = json.loads(members["model.json"])
    entry = header["arrays"][locate(header)["__array__"]]
    name = f"arrays/{entry['member']}.npy"
    array = change(np.load(io.BytesIO(members[name])))
    buffer = io.BytesIO()
    np.save(buffer, array)
    members[name] = buffer.getvalue()
    entry["dtype"], entry["shape"] = array.dtype.str, list(array.shape)
    members["model.json"] = json.dumps(header).encode()
    return _zip(members)


def _attributes(header):
    return header["estimator"]["attributes"]


def _layers(header):
    return _attributes(header)["network_"]["attributes"]["layers"]


def _index(header):
    return _attributes(header)["_index"]["attributes"]


def _nan_at_first(array):
    array = array.copy()
    array.flat[0] = np.nan
    return array


MLP = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0)


def _mlp(**params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MLPClassifier(**MLP, **params).fit(X, CLASSES)


ARRAY_EDITS = [
    (lambda: _mlp(), lambda h: _layers(h)[0]["attributes"]["W"], _nan_at_first,
     r"layers\[0\]: Dense.W holds NaN"),
    (lambda: _mlp(), lambda h: _layers(h)[0]["attributes"]["W"],
     lambda a: a[:, :4].copy(), r"Dense.W is a float64 array of shape \(3, 4\)"),
    (lambda: _mlp(), lambda h: _layers(h)[0]["attributes"]["W"],
     lambda a: a.astype(np.float32), "Dense.W is a float32 array"),
    (lambda: _mlp(normalization="batch"),
     lambda h: _layers(h)[1]["attributes"]["running_var"], lambda a: -a,
     "running_var holds negative"),
    (lambda: _mlp(normalization="batch"),
     lambda h: _layers(h)[1]["attributes"]["running_mean"], _nan_at_first,
     "BatchNorm.running_mean holds NaN"),
    (lambda: LogisticRegression().fit(X, CLASSES), lambda h: _attributes(h)["coef_"],
     _nan_at_first, "coef_ holds NaN"),
    (lambda: LogisticRegression().fit(X, CLASSES),
     lambda h: _attributes(h)["intercept_"], lambda a: a[:2].copy(),
     "intercept_ must match"),
    (lambda: LeastSquaresRegressor().fit(X, TARGET), lambda h: _attributes(h)["coef_"],
     lambda a: np.append(a, 1.0), r"coef_ has shape \(4,\)"),
    (lambda: KNN().fit(X, CLASSES), lambda h: _index(h)["X"], _nan_at_first,
     "training points hold NaN"),
    (lambda: KNN().fit(X, CLASSES), lambda h: _attributes(h)["_y"],
     lambda a: a + 3, r"class codes outside \[0, 3\)"),
    (lambda: KNN().fit(X, CLASSES), lambda h: _attributes(h)["_y"],
     lambda a: a[:-1].copy(), "_y must be an array of 40 targets"),
    (lambda: KNNRegressor().fit(X, TARGET), lambda h: _attributes(h)["_y"],
     _nan_at_first, "_y must hold finite numbers"),
    (lambda: KNN().fit(X, CLASSES), lambda h: _index(h)["X"],
     lambda a: np.asfortranarray(a), "X must be an ordinary C-contiguous array"),
]  # fmt: skip


@pytest.mark.parametrize(("fit", "locate", "change", "message"), ARRAY_EDITS)
def test_an_invalid_fitted_array_is_refused_at_load(fit, locate, change, message):
    with pytest.raises(ValueError, match=f"invalid fitted state: .*{message}"):
        skdeep.load(_with_array(fit(), locate, change))


def _scaler_as_layer(header):
    _layers(header)[1] = {
        "__class__": "sklearn.preprocessing.StandardScaler",
        "params": {"copy": True, "with_mean": True, "with_std": True},
        "attributes": {},
    }


HEADER_EDITS = [
    (_mlp, _scaler_as_layer, r"layers\[1\] is a StandardScaler, not a skdeep.nn"),
    (_mlp, lambda h: _attributes(h).update(n_outputs_=2), "n_outputs_ is 2"),
    (_mlp, lambda h: _attributes(h).update(n_features_in_=4), "must be 4"),
    (_mlp, lambda h: _attributes(h)["coefs_"].reverse(), "coefs_ must hold"),
    (lambda: _mlp(dropout=0.1),
     lambda h: _layers(h)[2]["attributes"].update(rate=1.5), "Dropout.rate"),
    (lambda: KNN().fit(X, CLASSES), lambda h: _attributes(h).update(n_samples_fit_=41),
     r"shape \(40, 3\); expected float32 or float64 of shape \(41, 3\)"),
    (lambda: KNN().fit(X, CLASSES), lambda h: _attributes(h).update(outputs_2d_=True),
     "classes_, outputs_2d_ and _y do not match"),
    (lambda: LogisticRegression().fit(X, CLASSES % 2),
     lambda h: _attributes(h).update(_score_columns=2), "coef_ has shape"),
]  # fmt: skip


@pytest.mark.parametrize(("fit", "change", "message"), HEADER_EDITS)
def test_an_inconsistent_fitted_state_is_refused_at_load(fit, change, message):
    with pytest.raises(ValueError, match=f"invalid fitted state: .*{message}"):
        skdeep.load(_with_header(fit(), change))


def test_a_zero_stride_training_set_is_refused_before_allocating():
    # 4 KB of file describing a (10**8, 3) view of one row: the first query
    # would copy it to 2.4 GB.
    def broadcast(header):
        entry = header["arrays"][_index(header)["X"]["__array__"]]
        table = header["arrays"]
        table.append(dict(entry))
        _index(header)["X"] = {"__array__": len(table) - 1}
        table[-1].update(
            kind="view", shape=[10**8, 3], strides=[0, 8], offset=0,
            owner_dtype=entry["dtype"], owner_shape=entry["shape"],
        )  # fmt: skip
        _attributes(header)["n_samples_fit_"] = 10**8

    buffer = _with_header(KNN().fit(X[:1], [0]), broadcast)
    assert len(buffer.getvalue()) < 4096
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="a view whose elements overlap"):
            skdeep.load(buffer)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20


@pytest.mark.parametrize(
    "fit",
    [lambda: _mlp(normalization="batch", dropout=0.1, activation="prelu"),
     lambda: LogisticRegression().fit(X, CLASSES % 2),
     lambda: SoftmaxClassifier().fit(X, CLASSES % 2),
     lambda: LeastSquaresRegressor().fit(X, np.c_[TARGET, TARGET]),
     lambda: KNN().fit(X, np.c_[CLASSES, CLASSES % 2]),
     lambda: KNNRegressor().fit(scipy.sparse.csr_matrix(X), TARGET)],
)  # fmt: skip
def test_valid_files_pass_the_checks_and_predict_the_same(fit):
    estimator = fit()
    loaded = skdeep.load(_zip(_members(estimator)))
    assert_array_equal(loaded.predict(X), estimator.predict(X))


# ------------------------------------------- found by fuzzing (test_fuzz_load)


def _without(locate, name):
    return lambda header: locate(header).pop(name)


def _string_labels(header):
    header["arrays"].append(
        {"kind": "object", "dtype": "object", "shape": [3], "items": ["0", "1", "2"]}
    )
    return {"__array__": len(header["arrays"]) - 1}


FUZZ_FINDINGS = [
    # A fitted attribute removed: predict raised AttributeError.
    (lambda: KNNRegressor().fit(X, TARGET), _without(_attributes, "_index"),
     r"holds the fitted attributes .* but no _index"),
    (lambda: LogisticRegression().fit(X, CLASSES), _without(_attributes, "coef_"),
     r"holds the fitted attributes .* but no coef_"),
    (_mlp, _without(_attributes, "network_"),
     r"holds the fitted attributes .* but no network_"),
    (_mlp, _without(_attributes, "_loss"), "_loss is a NoneType"),
    (_mlp, _without(lambda h: _layers(h)[0]["attributes"], "n_out"),
     r"layers\[0\]: 'Dense' object has no attribute 'n_out'"),
    # The search state of another metric (a grid on a Euclidean index).
    (lambda: KNN().fit(X, CLASSES),
     lambda h: _index(h).update(metric="manhattan"),
     "searches with metric 'manhattan'"),
    # Per-output labels of different dtypes mixed predictions into bytes.
    (lambda: KNN().fit(X, np.c_[CLASSES, CLASSES]),
     lambda h: _attributes(h)["classes_"].__setitem__(1, _string_labels(h)),
     "classes_ must be arrays of one dtype"),
]  # fmt: skip


@pytest.mark.parametrize(("fit", "change", "message"), FUZZ_FINDINGS)
def test_an_incomplete_or_inconsistent_state_found_by_fuzzing_is_refused(
    fit, change, message
):
    with pytest.raises(ValueError, match=f"invalid fitted state: .*{message}"):
        skdeep.load(_with_header(fit(), change))


def test_the_search_state_of_knn_is_recomputed_not_read():
    # Norms or a grid from the file bound the search's rounding: a crafted
    # max_sqnorm or sqnorms could hide the true neighbours (or, complex,
    # fail in predict). A brute-force index holds them (a tree index none).
    model = KNN(n_neighbors=1, algorithm="brute").fit(X, CLASSES)

    loaded = skdeep.load(
        _with_array(
            model,
            lambda h: _index(h)["sqnorms"],
            lambda a: a.astype(np.complex128) * 1e6,
        )
    )
    assert loaded._index.sqnorms.dtype == np.float64
    assert_array_equal(loaded._index.sqnorms, model._index.sqnorms)
    assert_array_equal(loaded.predict(X), model.predict(X))
    header_edit = _with_header(model, lambda h: _index(h).update(max_sqnorm=0.0))
    loaded = skdeep.load(header_edit)
    assert loaded._index.max_sqnorm == model._index.max_sqnorm
    assert loaded._index.grid is None


@pytest.mark.parametrize(
    ("scaler", "attribute", "change", "message"),
    [(StandardScaler, "scale_", lambda a: a * 0, "scale_ holds zeros"),
     (StandardScaler, "scale_", lambda a: a.astype(complex), "finite floats"),
     (MinMaxScaler, "min_", lambda a: a[:2].copy(), r"array of shape \(3,\)"),
     (RobustScaler, "center_", _nan_at_first, "finite floats")],
)  # fmt: skip
def test_a_scikit_learn_scaler_with_invalid_fitted_arrays_is_refused(
    scaler, attribute, change, message
):
    # A zero or complex scale_ divided every query (RuntimeWarning,
    # ComplexWarning); a list or a short array failed inside transform.
    pipeline = make_pipeline(scaler(), KNN()).fit(X, CLASSES)

    def locate(header):
        steps = header["estimator"]["params"]["steps"]
        return steps[0]["__tuple__"][1]["attributes"][attribute]

    with pytest.raises(ValueError, match=f"invalid fitted state: .*{message}"):
        skdeep.load(_with_array(pipeline, locate, change))


def test_a_scaler_fitted_value_must_match_its_parameters():
    pipeline = make_pipeline(StandardScaler(), KNN()).fit(X, CLASSES)

    def to_list(header):
        attributes = header["estimator"]["params"]["steps"][0]["__tuple__"][1]
        attributes["attributes"]["mean_"] = [0.0, 0.0, 0.0]

    with pytest.raises(ValueError, match=r"StandardScaler.mean_ must be an array"):
        skdeep.load(_with_header(pipeline, to_list))


def test_an_npy_header_cut_inside_its_dict_is_a_value_error():
    # numpy falls back to tokenize on a header it cannot parse: its
    # TokenError escaped load.
    model = LeastSquaresRegressor().fit(X, TARGET)
    members = _members(model)
    name = next(n for n in members if n.endswith(".npy"))
    data = bytearray(members[name])
    data[8:10] = (20).to_bytes(2, "little")  # the header ends after 20 bytes
    members[name] = bytes(data)
    with pytest.raises(ValueError, match=r"not a valid \.npy array"):
        skdeep.load(_zip(members))


@pytest.mark.parametrize(
    ("change", "message"),
    [(lambda index: index.update(algorithm="oak"), "unknown search"),
     (lambda index: index.update(leaf_size=-1), "positive int leaf_size"),
     (lambda index: index.update(leaf_size=2.5), "positive int leaf_size"),
     (lambda index: index.update(metric="cosine"), "searches with metric")],
)  # fmt: skip
def test_a_tree_search_from_a_file_is_checked_at_load(change, message):
    model = KNN(algorithm="kd_tree").fit(X, CLASSES)
    with pytest.raises(ValueError, match=message):
        skdeep.load(_with_header(model, lambda h: change(_index(h))))


def test_a_tree_index_loads_without_brute_force_state_and_predicts_the_same():
    for algorithm in ("kd_tree", "ball_tree"):
        model = KNN(algorithm=algorithm).fit(X, CLASSES)
        buffer = io.BytesIO()
        skdeep.save(model, buffer)
        buffer.seek(0)
        loaded = skdeep.load(buffer)
        assert not {"grid", "sqnorms", "max_sqnorm"} & set(vars(loaded._index))
        assert_array_equal(loaded.predict(X), model.predict(X))
