"""Training on a dask.array larger than memory, one block at a time.

Each block is computed (read, standardized) only when ``partial_fit`` needs
it, so memory holds one block at a time, never the whole array. The test suite
imports these functions and compares the result with an in-memory fit of the
same epochs (tests/test_dask.py).
"""

import dask
import dask.array as da
import numpy as np
from dask_ml.wrappers import Incremental
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skdeep import MLPClassifier, SoftmaxClassifier


def digits_blocks(rows_per_block: int = 200):
    """Standardized digits: the training rows as dask.arrays, the test rows in memory.

    A stand-in for data read lazily from disk (``da.from_zarr``, ``da.from_npy_stack``,
    ...). The mean and standard deviation come from one pass of dask reductions.
    """
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    X_train = da.from_array(X_train, chunks=(rows_per_block, -1))
    y_train = da.from_array(y_train, chunks=rows_per_block)
    mean, std = dask.compute(X_train.mean(axis=0), X_train.std(axis=0))
    std[std == 0] = 1.0  # constant pixels (always blank) stay at zero
    return (X_train - mean) / std, y_train, (X_test - mean) / std, y_test


def partial_fit_by_blocks(estimator, X, y, classes, epochs: int, seed: int = 0):
    """``epochs`` passes over the blocks of ``X`` and ``y``, in a new order each."""
    rng = np.random.default_rng(seed)
    X_blocks, y_blocks = X.to_delayed().ravel(), y.to_delayed().ravel()
    for _ in range(epochs):
        for i in rng.permutation(len(X_blocks)):
            X_block, y_block = dask.compute(X_blocks[i], y_blocks[i])
            estimator.partial_fit(X_block, y_block, classes=classes)
    return estimator


def incremental_fit(estimator, X, y, classes, epochs: int, seed: int = 0):
    """The same with dask-ml's ``Incremental`` wrapper (blocks shuffled each pass)."""
    model = Incremental(estimator, shuffle_blocks=True, random_state=seed)
    for _ in range(epochs):
        model.partial_fit(X, y, classes=classes)
    return model


def models():
    """The two stochastic classifiers this page trains (both have partial_fit)."""
    return {
        "MLPClassifier": MLPClassifier(
            hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0
        ),
        "SoftmaxClassifier": SoftmaxClassifier(solver="sgd", random_state=0),
    }


if __name__ == "__main__":
    X, y, X_test, y_test = digits_blocks()
    classes = np.arange(10)  # every label the stream may contain
    for name, model in models().items():
        by_blocks = partial_fit_by_blocks(model, X, y, classes, epochs=10)
        print(f"{name}: test accuracy {by_blocks.score(X_test, y_test):.3f}")
