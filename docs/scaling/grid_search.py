"""A grid search over skdeep pipelines, fitted on a Dask cluster through joblib.

Run as a script it starts a local cluster of two worker processes; on a real
cluster only the ``client = ...`` line changes (see docs/scaling.rst). The
test suite imports the functions and checks that the cluster finds exactly
what a local run finds (tests/test_dask.py).
"""

import joblib
from dask.distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skdeep import KNN, MLPClassifier


def network_search() -> GridSearchCV:
    """Network width and l2 penalty of a scaled MLP, by 3-fold cross-validation."""
    mlp = MLPClassifier(learning_rate_init=0.01, max_iter=200, random_state=0)
    pipeline = Pipeline([("scale", StandardScaler()), ("mlp", mlp)])
    grid = {"mlp__hidden_layer_sizes": [(16,), (32,)], "mlp__alpha": [1e-4, 1e-1]}
    return GridSearchCV(pipeline, grid, cv=3)


def neighbors_search() -> GridSearchCV:
    """Number of neighbours and their weighting of a scaled KNN."""
    pipeline = Pipeline([("scale", StandardScaler()), ("knn", KNN())])
    grid = {"knn__n_neighbors": [1, 3, 5], "knn__weights": ["uniform", "distance"]}
    return GridSearchCV(pipeline, grid, cv=3)


def fit_on_dask(search: GridSearchCV, X, y) -> GridSearchCV:
    """Fit every candidate and fold on the workers of the current Dask client."""
    with joblib.parallel_config(backend="dask"):
        search.fit(X, y)
    return search


def cross_validate_on_dask(estimator, X, y) -> dict:
    """5-fold cross-validation of one estimator, each fold on a worker."""
    with joblib.parallel_config(backend="dask"):
        return cross_validate(estimator, X, y, cv=5)


if __name__ == "__main__":
    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))
    X, y = load_digits(return_X_y=True)
    for search in (network_search(), neighbors_search()):
        fit_on_dask(search, X, y)
        print(search.best_params_, f"{search.best_score_:.3f}")
    scores = cross_validate_on_dask(search.best_estimator_, X, y)
    print("test accuracy per fold:", scores["test_score"].round(3))
