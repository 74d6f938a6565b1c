"""KNN files saved by skdeep 0.1.0.dev0 load and search as a fresh fit does.

The fitted index (``skdeep._distances.FittedIndex``, with its
``skdeep._distances._Grid``) is saved as data: the metric by name, never its
strategy object, which is rebuilt from the metric registry.
"""

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_iris

import skdeep
from skdeep.neighbors import _metrics

FOLDER = Path(__file__).parents[1] / "data" / "models_0_1_0_dev0"
# name → (data it was fitted on, metric strategy its index must rebuild)
LEGACY = {
    "knn": (load_iris, _metrics.Euclidean),
    "knn_manhattan": (load_iris, _metrics.Manhattan),
    "knn_regressor": (load_diabetes, _metrics.Euclidean),
}


def _index_node(model_json: dict) -> dict:
    return model_json["estimator"]["attributes"]["_index"]


def _saved_json(source) -> dict:
    with zipfile.ZipFile(source) as archive:
        return json.loads(archive.read("model.json"))


def _shape_of(node):
    """The JSON tree with array table indices left out (they depend on order)."""
    if isinstance(node, dict):
        return {k: _shape_of(v) for k, v in node.items() if k not in ("__array__",)}
    if isinstance(node, list):
        return [_shape_of(v) for v in node]
    return node


@pytest.mark.parametrize("name", sorted(LEGACY))
def test_a_legacy_knn_file_predicts_and_finds_the_neighbours_of_a_fresh_fit(name):
    load, strategy = LEGACY[name]
    path = FOLDER / f"{name}.skdeep"
    model = skdeep.load(path)
    X, y = load(return_X_y=True)
    queries = X[::7]
    expected = np.load(path.with_name(f"{name}.predictions.npy"))
    if expected.dtype.kind == "f":
        assert_allclose(model.predict(queries), expected, rtol=1e-12, atol=0)
    else:
        assert_array_equal(model.predict(queries), expected)

    assert type(model._index.metric_strategy) is strategy
    fresh = type(model)(**model.get_params()).fit(X, y)
    for Q in (queries, None):
        for got, want in zip(model.kneighbors(Q), fresh.kneighbors(Q), strict=True):
            assert got.dtype == want.dtype
            assert_array_equal(got, want)


@pytest.mark.parametrize("name", sorted(LEGACY))
def test_a_refitted_knn_saves_its_index_as_the_legacy_file_did(name):
    # Same attributes, same plain values: a file written now holds the metric
    # by name, as 0.1.0.dev0 wrote it, and no strategy object. (0.1.0.dev0
    # searched by brute force; 'auto' now picks a tree on these few features,
    # whose index holds the points and no norms nor grid.)
    load, _ = LEGACY[name]
    path = FOLDER / f"{name}.skdeep"
    legacy = _index_node(_saved_json(path))
    X, y = load(return_X_y=True)
    params = {**skdeep.load(path).get_params(), "algorithm": "brute"}
    refitted = type(skdeep.load(path))(**params).fit(X, y)
    buffer = io.BytesIO()
    skdeep.save(refitted, buffer)
    buffer.seek(0)
    assert _shape_of(_index_node(_saved_json(buffer))) == _shape_of(legacy)
    buffer.seek(0)
    reloaded = skdeep.load(buffer)
    for got, want in zip(reloaded.kneighbors(), refitted.kneighbors(), strict=True):
        assert_array_equal(got, want)
