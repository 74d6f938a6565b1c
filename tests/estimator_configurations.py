"""The estimator configurations that every cross-cutting test runs: one registry.

scikit-learn's checks (test_common.py), hostile inputs, reproducibility,
pickling, threads, module state and the Dask tests all take their estimators
from here, so that a configuration added once is tested everywhere. Each
family lists its defaults first, then the options that change the code path
(solvers, layers, metrics, ...). Tests that fit many times shrink the budgets
with :func:`with_budget`; the code paths stay those configured.

Importable from any test as ``estimator_configurations`` (pyproject.toml puts
tests/ on the path).
"""

import re

from sklearn.base import BaseEstimator, clone

import skdeep
from skdeep import MLPClassifier, MLPRegressor

# Neural networks (skdeep.neural_network). Small budgets: the checks fit
# hundreds of times; every configuration still trains for real.
_MODERN = dict(
    dropout=0.1, normalization="batch", learning_rate="cosine", solver="rmsprop"
)
_REGULARISED = dict(
    solver="sgd", learning_rate="adaptive", activation="gelu", l1=1e-4, max_iter=100
)
NETWORK_CONFIGURATIONS: list[BaseEstimator] = [
    MLPClassifier(max_iter=100),
    MLPClassifier(**_MODERN, max_iter=100),
    MLPClassifier(**_REGULARISED, label_smoothing=0.1, early_stopping=True),
    MLPClassifier(solver="lbfgs"),
    MLPRegressor(max_iter=100),
    MLPRegressor(**_MODERN, max_iter=100),
    MLPRegressor(**_REGULARISED, early_stopping=True),
    MLPRegressor(solver="lbfgs"),
    # Layers with state or randomness in training only: dropout next to
    # normalization, with and without a validation split (regressor), in two
    # hidden layers
    # (per-layer rates); restarts of L-BFGS. The two-layer widths pass
    # scikit-learn's score checks in 100 epochs: (32, 16) underfits both, and
    # the classifier at (100, 50) fails check_class_weight_classifiers.
    MLPClassifier(
        hidden_layer_sizes=(64, 32), dropout=0.3, normalization="batch", max_iter=100
    ),
    MLPClassifier(normalization="layer", solver="sgd", dropout=0.2, max_iter=100),
    MLPClassifier(solver="lbfgs", normalization="batch", n_init=2, max_iter=100),
    MLPRegressor(
        hidden_layer_sizes=(100, 50),
        dropout=[0.2, 0.1],
        normalization="layer",
        solver="sgd",
        max_iter=100,
    ),
    MLPRegressor(
        loss="huber", normalization="batch", early_stopping=True, max_iter=100
    ),
]

# Linear models (skdeep.linear_model).
LINEAR_CONFIGURATIONS: list[BaseEstimator] = [
    skdeep.LeastSquaresRegressor(),
    skdeep.LeastSquaresRegressor(solver="lstsq", alpha=1.0),
    skdeep.LeastSquaresRegressor(solver="cholesky", alpha=0.5, fit_intercept=False),
    skdeep.LeastSquaresRegressor(solver="gd", alpha=0.1),
    skdeep.LeastSquaresRegressor(solver="sgd", random_state=0),
    skdeep.LeastSquaresRegressor(solver="adam", random_state=0),
    skdeep.LogisticRegression(),
    skdeep.LogisticRegression(solver="newton", class_weight="balanced"),
    skdeep.LogisticRegression(solver="gd", l1_ratio=0.5, max_iter=1000),
    skdeep.LogisticRegression(solver="sgd", random_state=0),
    skdeep.SoftmaxClassifier(),
    skdeep.SoftmaxClassifier(solver="newton"),
    skdeep.SoftmaxClassifier(solver="gd", max_iter=1000, l1_ratio=0.2),
    skdeep.SoftmaxClassifier(solver="adam", random_state=0, class_weight="balanced"),
]

# Nearest neighbours (skdeep.neighbors). A callable weight must pickle (a
# module-level function does) and be positive, which sigmoid is. n_jobs
# starts query threads (2, and -1: every core).
NEIGHBOR_CONFIGURATIONS: list[BaseEstimator] = [
    config
    for Estimator in (skdeep.KNN, skdeep.KNNRegressor)
    for config in (
        Estimator(),
        Estimator(n_neighbors=3, weights="distance", metric="manhattan"),
        Estimator(metric="chebyshev"),
        Estimator(metric="minkowski", p=float("inf"), weights="distance"),
        Estimator(n_neighbors=4, p=3),
        Estimator(weights=skdeep.nn.activations.sigmoid, metric="euclidean"),
        Estimator(n_neighbors=2, n_jobs=2),
        Estimator(metric="manhattan", n_jobs=-1),
        Estimator(algorithm="kd_tree", metric="chebyshev", leaf_size=4),
        Estimator(algorithm="ball_tree", p=3, weights="distance", n_jobs=2),
    )
]

CONFIGURATIONS: list[BaseEstimator] = [
    *NETWORK_CONFIGURATIONS,
    *LINEAR_CONFIGURATIONS,
    *NEIGHBOR_CONFIGURATIONS,
]


def config_id(estimator: BaseEstimator) -> str:
    """A test id: the repr without spaces or memory addresses (which change
    between runs: pytest-xdist and ``--lf`` need stable ids)."""
    return re.sub(r"\s+|<function (\w+) at 0x\w+>", r"\1", repr(estimator))


def with_budget(
    estimator: BaseEstimator,
    *,
    width: int,
    epochs: int,
    max_iter: int,
    random_state: int | None = None,
) -> BaseEstimator:
    """A clone cheap enough to fit many times, on the code path configured.

    Networks keep their number of hidden layers (per-layer options such as
    dropout rates depend on it), each ``width`` units wide, and train for
    ``epochs`` iterations; other iterative estimators stop after at most
    ``max_iter``. ``random_state`` is set where the estimator has one (``None``:
    left as configured).
    """
    params = estimator.get_params()
    budget = {}
    if "hidden_layer_sizes" in params:
        depth = len(params["hidden_layer_sizes"])
        budget.update(hidden_layer_sizes=(width,) * depth, max_iter=epochs)
    elif "max_iter" in params:
        budget.update(max_iter=min(params["max_iter"], max_iter))
    if random_state is not None and "random_state" in params:
        budget.update(random_state=random_state)
    return clone(estimator).set_params(**budget)


def find(Estimator: type, **params) -> BaseEstimator:
    """The first registered configuration of ``Estimator`` with these parameters."""
    for estimator in CONFIGURATIONS:
        configured = estimator.get_params()
        if type(estimator) is Estimator and all(
            configured[name] == value for name, value in params.items()
        ):
            return estimator
    raise LookupError(f"no {Estimator.__name__} with {params} in the registry")
