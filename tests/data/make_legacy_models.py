"""Write the model files that ``tests/persistence/test_legacy_files.py`` loads.

Run once, by the version whose files must keep loading (this folder holds the
files saved by skdeep 0.1.0.dev0 before the re-layout into subpackages). Each
model is saved with the predictions it made on a fixed query set, so that the
test can check that a later skdeep loads it and predicts the same.

    python tests/data/make_legacy_models.py tests/data/models_0_1_0_dev0
"""

import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes, load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skdeep


def models():
    iris_X, iris_y = load_iris(return_X_y=True)
    diabetes_X, diabetes_y = load_diabetes(return_X_y=True)
    small = dict(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    classify = (iris_X, iris_y)
    regress = (diabetes_X, diabetes_y)
    yield "least_squares", skdeep.LeastSquaresRegressor(), regress
    yield "logistic", skdeep.LogisticRegression(max_iter=500), classify
    yield "softmax", skdeep.SoftmaxClassifier(), classify
    yield "knn", skdeep.KNN(n_neighbors=3), classify
    yield "knn_manhattan", skdeep.KNN(metric="manhattan"), classify
    yield "knn_regressor", skdeep.KNNRegressor(weights="distance"), regress
    yield "mlp_classifier", skdeep.MLPClassifier(**small), classify
    yield "mlp_regressor_lbfgs", skdeep.MLPRegressor(solver="lbfgs", **small), regress
    yield (
        "mlp_batch_norm_dropout_cosine",
        skdeep.MLPClassifier(
            normalization="batch", dropout=0.2, learning_rate="cosine", **small
        ),
        classify,
    )
    yield (
        "mlp_sgd_invscaling",
        skdeep.MLPRegressor(solver="sgd", learning_rate="invscaling", **small),
        (diabetes_X / 100, diabetes_y / 100),
    )
    yield (
        "pipeline_layer_norm",
        make_pipeline(
            StandardScaler(),
            skdeep.MLPClassifier(normalization="layer", **small),
        ),
        classify,
    )


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, model, (X, y) in models():
        model.fit(X, y)
        queries = X[::7]
        skdeep.save(model, folder / f"{name}.skdeep")
        np.save(folder / f"{name}.predictions.npy", model.predict(queries))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
