"""Model files saved by an earlier skdeep keep loading and predict the same.

``tests/data/models_0_1_0_dev0`` holds files written by skdeep 0.1.0.dev0
before the estimators moved into subpackages (written by
``tests/data/make_legacy_models.py`` at that version), each beside the
predictions it made then on ``X[::7]``.
"""

import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import is_classifier
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning

import skdeep

FOLDER = Path(__file__).parents[1] / "data" / "models_0_1_0_dev0"
FILES = sorted(FOLDER.glob("*.skdeep"))
# The data each saved model was fitted on (see make_legacy_models.py).
DIABETES_SCALED = {"mlp_sgd_invscaling"}


def _data(name, model):
    if is_classifier(model):
        return load_iris(return_X_y=True)
    X, y = load_diabetes(return_X_y=True)
    return (X / 100, y / 100) if name in DIABETES_SCALED else (X, y)


def test_the_folder_holds_every_estimator():
    assert len(FILES) >= len(skdeep.ESTIMATORS)
    names = set()
    for path in FILES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # scikit-learn version
            model = skdeep.load(path)
        names.add(type(model[-1] if hasattr(model, "steps") else model).__name__)
    assert names == set(skdeep.ESTIMATORS)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_a_file_saved_before_the_relayout_loads_and_predicts_the_same(path):
    model = skdeep.load(path)
    X, _ = _data(path.stem, model)
    expected = np.load(path.with_name(f"{path.stem}.predictions.npy"))
    predictions = model.predict(X[::7])
    if predictions.dtype.kind == "f":
        assert_allclose(predictions, expected, rtol=1e-12, atol=0)
    else:
        assert_array_equal(predictions, expected)


def test_a_legacy_sgd_invscaling_network_keeps_its_schedule_when_training_on():
    # scikit-learn's invscaling: learning_rate_init / (t + 1)^power_t, with t
    # the samples seen before the epoch.
    model = skdeep.load(FOLDER / "mlp_sgd_invscaling.skdeep")
    X, y = _data("mlp_sgd_invscaling", model)
    t_before = model.t_
    model.partial_fit(X, y)
    expected = model.learning_rate_init / (t_before + 1) ** model.power_t
    assert model.history_["learning_rate"][-1] == pytest.approx(expected, rel=1e-12)
    assert model.t_ == t_before + X.shape[0]


def test_a_legacy_cosine_network_trains_on_with_warm_start():
    # A warm-start fit starts a new cosine schedule over its own max_iter
    # epochs (a new optimizer, as in scikit-learn), from the loaded weights.
    model = skdeep.load(FOLDER / "mlp_batch_norm_dropout_cosine.skdeep")
    X, y = load_iris(return_X_y=True)
    epochs_before = len(model.loss_curve_)
    model.set_params(warm_start=True, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    expected = [
        model.learning_rate_init * (1 + np.cos(np.pi * epoch / 2)) / 2
        for epoch in (0, 1)
    ]
    assert_allclose(model.history_["learning_rate"][-2:], expected, rtol=1e-12)
    assert len(model.loss_curve_) == epochs_before + 2


NETWORK_FILES = [path for path in FILES if "mlp" in path.stem or "norm" in path.stem]


@pytest.mark.parametrize("path", NETWORK_FILES, ids=lambda path: path.stem)
def test_a_legacy_network_trains_on_as_the_same_model_saved_today(path, tmp_path):
    # Files of 0.1.0.dev0 store each layer's params, grads and state as lists
    # aliasing its attributes (batch and layer norm's gradients only there).
    # Loaded, the network trains the arrays it predicts with, as the same model
    # saved by this version does.
    legacy = skdeep.load(path)
    skdeep.save(legacy, tmp_path / "today.skdeep")
    today = skdeep.load(tmp_path / "today.skdeep")
    X, y = _data(path.stem, legacy)
    method = "predict_proba" if is_classifier(legacy) else "predict"
    before = getattr(legacy, method)(X[::7])
    for model in (legacy, today):
        if hasattr(model, "partial_fit"):
            model.partial_fit(X, y)
        else:  # L-BFGS, or inside a pipeline
            network = model[-1] if hasattr(model, "steps") else model
            network.set_params(warm_start=True, max_iter=2)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X, y)
    after = getattr(legacy, method)(X[::7])
    assert not np.allclose(after, before)
    assert_array_equal(getattr(today, method)(X[::7]), after)
