"""skdeep.load on crafted files: parameters are plain values, and the fitted
state of skdeep's own classes is checked before anyone predicts with it.

Each crafted file starts from a real saved one whose JSON header or arrays
are edited inside the zip.
"""

import io
import json
import time
import zipfile

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, RobustScaler

import skdeep
from skdeep import KNN, LeastSquaresRegressor, SoftmaxClassifier

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
