"""Every warning skdeep gives is reported at the user's line (skdeep._warnings).

A warning attributed to a line inside skdeep or scikit-learn points the user at
code they cannot change, and a filter on their own module misses it. Here the
user is this file: each warning must carry this file's name, whether the fit is
called directly or through scikit-learn's ``cross_validate`` and ``GridSearchCV``
(whose wrappers, joblib's sequential loop among them, sit between).
"""

import functools
import io
import json
import os
import pathlib
import re
import sys
import warnings
import zipfile

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skdeep
import skdeep._warnings
from skdeep._warnings import user_stacklevel, warn
from skdeep.nn import optimizers

HERE = str(pathlib.Path(__file__))
RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 3))
LABELS = (X[:, 0] + X[:, 1] > 0).astype(int)
TARGET = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * RNG.normal(size=60)
# Two equal columns: the normal equations are singular.
COLLINEAR = np.column_stack([X[:, 0], X[:, 0], X[:, 1]])

_SMALL_MLP = dict(hidden_layer_sizes=(4,), random_state=0)

# (id, unfitted estimator, X, y, warning category, message pattern): every
# warning the estimators give while fitting.
FIT_WARNINGS = [
    (
        "mlp-adam-max_iter",
        skdeep.MLPClassifier(**_SMALL_MLP, solver="adam", max_iter=2),
        X,
        LABELS,
        ConvergenceWarning,
        r"Maximum iterations \(2\) reached",
    ),
    (
        "mlp-sgd-max_iter",
        skdeep.MLPRegressor(**_SMALL_MLP, solver="sgd", max_iter=2),
        X,
        TARGET,
        ConvergenceWarning,
        r"Maximum iterations \(2\) reached",
    ),
    (
        "mlp-lbfgs",
        skdeep.MLPClassifier(**_SMALL_MLP, solver="lbfgs", max_iter=2),
        X,
        LABELS,
        ConvergenceWarning,
        "lbfgs failed to converge",
    ),
    (
        "mlp-batch_size",
        skdeep.MLPRegressor(**_SMALL_MLP, batch_size=1000, max_iter=200),
        X,
        TARGET,
        UserWarning,
        "batch_size.*clipped",
    ),
    (
        "logistic-lbfgs",
        skdeep.LogisticRegression(max_iter=1),
        X,
        LABELS,
        ConvergenceWarning,
        r"lbfgs failed to converge .*\(LogisticRegression\(solver='lbfgs'\)",
    ),
    (
        "softmax-newton",
        skdeep.SoftmaxClassifier(solver="newton", max_iter=1),
        X,
        LABELS,
        ConvergenceWarning,
        r"Newton solver did not converge .*\(SoftmaxClassifier\(solver='newton'\)",
    ),
    (
        "softmax-adam",
        skdeep.SoftmaxClassifier(solver="adam", max_iter=2, random_state=0),
        X,
        LABELS,
        ConvergenceWarning,
        r"SoftmaxClassifier\(solver='adam'\) did not converge",
    ),
    (
        "least_squares-cholesky",
        skdeep.LeastSquaresRegressor(solver="cholesky"),
        COLLINEAR,
        TARGET,
        UserWarning,
        "too ill-conditioned",
    ),
    (
        "least_squares-gd",
        skdeep.LeastSquaresRegressor(solver="gd", max_iter=2),
        X,
        TARGET,
        ConvergenceWarning,
        r"solver='gd'\) did not converge",
    ),
    (
        "least_squares-sgd",
        skdeep.LeastSquaresRegressor(solver="sgd", max_iter=2, random_state=0),
        X,
        TARGET,
        ConvergenceWarning,
        r"solver='sgd'\) did not converge",
    ),
    (
        "knn-column_y",
        skdeep.KNN(n_neighbors=3),
        X,
        LABELS[:, None],
        DataConversionWarning,
        "column-vector y",
    ),
]
CASES = [pytest.param(*case[1:], id=case[0]) for case in FIT_WARNINGS]


def _reported(action, category, match) -> list[warnings.WarningMessage]:
    """The warnings of this category and message that ``action()`` gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    ours = [
        w
        for w in caught
        if issubclass(w.category, category) and re.search(match, str(w.message))
    ]
    assert ours, f"no {category.__name__} matching {match!r} in {caught}"
    return ours


def _assert_reported_here(reported):
    for w in reported:
        assert w.filename == HERE, f"reported at {w.filename}:{w.lineno}"


@pytest.mark.parametrize(("est", "X", "y", "category", "match"), CASES)
def test_a_fit_warning_points_at_the_line_calling_fit(est, X, y, category, match):
    _assert_reported_here(_reported(lambda: est.fit(X, y), category, match))


@pytest.mark.parametrize(("est", "X", "y", "category", "match"), CASES)
def test_a_fit_warning_points_at_the_line_calling_cross_validate(
    est, X, y, category, match
):
    # KFold, not stratified: scikit-learn's own splitter would give its own
    # column-vector warning for the KNN case, at its own line.
    reported = _reported(
        lambda: cross_validate(est, X, y, cv=KFold(3), n_jobs=None),
        category,
        match,
    )
    assert len(reported) >= 3  # every fold warned
    _assert_reported_here(reported)


@pytest.mark.parametrize(("est", "X", "y", "category", "match"), CASES)
def test_a_fit_warning_points_at_the_line_calling_a_grid_search_in_a_pipeline(
    est, X, y, category, match
):
    search = GridSearchCV(
        make_pipeline(StandardScaler(), est),
        {"standardscaler__with_mean": [True, False]},
        cv=KFold(2),
        n_jobs=None,
    )
    _assert_reported_here(_reported(lambda: search.fit(X, y), category, match))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_an_interrupted_fit_warns_at_the_line_calling_fit(monkeypatch):
    real_step = optimizers.Optimizer.step

    def interrupted(self, params, grads):
        real_step(self, params, grads)
        raise KeyboardInterrupt

    est = skdeep.MLPClassifier(**_SMALL_MLP, batch_size=20, max_iter=5)
    est.fit(X, LABELS)  # an epoch learned, so that the interrupt keeps a model
    monkeypatch.setattr(optimizers.Optimizer, "step", interrupted)
    est.set_params(warm_start=True)
    reported = _reported(
        lambda: est.fit(X, LABELS), UserWarning, "Training interrupted by user"
    )
    _assert_reported_here(reported)


def test_loading_objects_of_another_scikit_learn_warns_at_the_line_calling_load():
    buffer = io.BytesIO()
    skdeep.save(make_pipeline(StandardScaler(), skdeep.KNN()).fit(X, LABELS), buffer)
    with zipfile.ZipFile(buffer) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    header = json.loads(members["model.json"])
    header["sklearn_version"] = "0.1"
    members["model.json"] = json.dumps(header).encode()
    older = io.BytesIO()
    with zipfile.ZipFile(older, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    older.seek(0)
    reported = _reported(lambda: skdeep.load(older), UserWarning, "scikit-learn 0.1")
    _assert_reported_here(reported)


# ---------------------------------------------------------------- the helper


def _relay_in(package):
    """A function ``relay(inner) -> inner()`` whose code lives, as far as the
    stack can tell, in ``package``'s directory."""
    path = os.path.join(os.path.dirname(package.__file__), "_relay.py")
    namespace = {}
    exec(compile("def relay(inner):\n    return inner()\n", path, "exec"), namespace)
    return namespace["relay"]


SKDEEP, SKLEARN, JOBLIB = (_relay_in(p) for p in (skdeep, sklearn, joblib))


def test_user_stacklevel_called_from_user_code_is_its_caller():
    assert user_stacklevel() == 1


def test_user_stacklevel_skips_every_skdeep_scikit_learn_and_joblib_frame():
    # functools.partial adds no frame: the stack is test → skdeep → scikit-learn
    # → joblib → skdeep → user_stacklevel.
    nested = functools.partial(
        SKLEARN, functools.partial(JOBLIB, functools.partial(SKDEEP, user_stacklevel))
    )
    assert SKDEEP(user_stacklevel) == 2
    assert SKDEEP(nested) == 5


def test_user_stacklevel_stops_at_user_code_called_back_from_skdeep():
    # A user's callback (a loss, a weight function) is the user's line.
    assert SKDEEP(lambda: user_stacklevel()) == 1


def test_user_stacklevel_gives_the_outermost_frame_when_all_are_internal(
    monkeypatch,
):
    monkeypatch.setattr(skdeep._warnings, "_INTERNAL_DIRS", (os.sep,))
    frame, depth = sys._getframe(), 1
    while frame.f_back is not None:
        frame, depth = frame.f_back, depth + 1
    assert user_stacklevel() == depth


def test_warn_reports_the_line_that_called_into_skdeep():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = sys._getframe().f_lineno + 1
        SKDEEP(
            functools.partial(SKLEARN, functools.partial(warn, "look", FutureWarning))
        )
    (reported,) = caught
    assert (reported.filename, reported.lineno) == (HERE, line)
    assert reported.category is FutureWarning and str(reported.message) == "look"
