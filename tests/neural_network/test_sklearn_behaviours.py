"""Behaviours and messages of the MLPs that scikit-learn's test_mlp.py expects."""

import math
import re
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

from skdeep import MLPClassifier, MLPRegressor, nn

NON_FINITE = (
    "Solver produced non-finite parameter weights. The input data may contain "
    "large values and need to be preprocessed."
)


def test_partial_fit_refuses_labels_missing_from_classes():
    clf = MLPClassifier(solver="sgd")
    with pytest.raises(ValueError, match=r"`y` has classes not in `self.classes_`"):
        clf.partial_fit([[3, 2], [1, 6]], [1, 0], classes=[2])
    assert not hasattr(clf, "coefs_")  # the refused first call fitted nothing


def test_partial_fit_accepts_a_class_first_seen_in_a_later_call():
    clf = MLPClassifier(random_state=0)
    clf.partial_fit([[1], [2], [3]], ["a", "b", "c"], classes=["a", "b", "c", "d"])
    clf.partial_fit([[4]], ["d"])
    assert list(clf.classes_) == ["a", "b", "c", "d"]


def test_divergence_error_says_scikit_learns_sentence():
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.standard_normal(size=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(nn.TrainingDivergedError) as error:
            MLPRegressor().fit(X, y)
    message = str(error.value)
    assert message.startswith(NON_FINITE)
    assert "MLPRegressor diverged: Training diverged in epoch 1" in message


def test_verbose_above_one_prints_scikit_learns_lines_with_the_progress(
    capsys, monkeypatch
):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    X, y = [[3, 2], [1, 6]], [1, 0]
    clf = MLPClassifier(solver="sgd", max_iter=2, verbose=10, hidden_layer_sizes=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    clf.partial_fit(X, y)
    out = capsys.readouterr().out
    iterations = re.findall(r"^Iteration (\d+), loss = \d+\.\d{8}$", out, re.M)
    assert iterations == ["1", "2", "3"]
    assert re.search(r"epoch 2/2 +loss \S+ +ETA", out)


@pytest.mark.parametrize(
    "y, named", [([0, 0, 0, 0, 1], "[1]"), (["a", "a", "b", "b", "c"], "['c']")]
)
def test_early_stopping_refuses_a_class_with_a_single_member(y, named):
    X = [[1, 2], [2, 3], [3, 4], [4, 5], [5, 6]]
    with pytest.raises(
        ValueError,
        match=r"^The least populated classes in y have only 1 member.*"
        rf"Classes with too few members are: {re.escape(named)}\.",
    ):
        MLPClassifier(early_stopping=True).fit(X, y)


def test_too_small_a_validation_set_says_scikit_learns_words():
    X = np.arange(10.0).reshape(2, 5)
    with pytest.raises(ValueError, match=r"^The validation set is too small"):
        MLPRegressor(early_stopping=True, random_state=0).fit(X, [0.0, 1.0])


def _diverging():
    return MLPRegressor(
        hidden_layer_sizes=100, activation="identity", solver="sgd",
        learning_rate="constant", learning_rate_init=1, max_iter=20,
        early_stopping=True, n_iter_no_change=10, random_state=0,
    )  # fmt: skip


def test_divergence_under_early_stopping_keeps_the_best_weights():
    X, y = load_iris(return_X_y=True)
    reg = _diverging()
    with pytest.warns(ConvergenceWarning, match="diverged in epoch 5.*best validation"):
        reg.fit(X, y)
    scores = reg.validation_scores_
    assert len(scores) == reg.n_iter_ == 5
    assert math.isnan(scores[-1]) and isinstance(scores[-1], float)
    assert reg.best_validation_score_ == max(scores[:-1])
    assert all(np.isfinite(c).all() for c in reg.coefs_ + reg.intercepts_)
    # The kept weights are those of the best epoch: an uninterrupted fit that
    # stops right after that epoch predicts the same.
    best_epoch = int(np.nanargmax(scores)) + 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        short = _diverging().set_params(max_iter=best_epoch).fit(X, y)
    np.testing.assert_array_equal(reg.predict(X), short.predict(X))


def test_divergence_before_any_validation_score_still_raises():
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(20, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(nn.TrainingDivergedError, match="epoch 1"):
            MLPRegressor(early_stopping=True).fit(X, rng.standard_normal(size=20))


def test_early_stopping_keeps_training_under_extreme_class_weights():
    # Issue 14, item 8: with weights 1000 : 0.0001 the weighted validation
    # accuracy saturates in a few epochs; the epoch kept used to be its
    # noise-level maximum, so the network did not predict the heavy class
    # nearly everywhere and scikit-learn's check failed.
    from sklearn.utils.estimator_checks import check_class_weight_classifiers

    classifier = MLPClassifier(
        solver="sgd", early_stopping=True, label_smoothing=0.1, max_iter=200
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_class_weight_classifiers("MLPClassifier", classifier)


def test_partial_fit_refuses_a_label_outside_classes_on_the_first_call():
    clf = MLPClassifier(hidden_layer_sizes=(3,), random_state=0)
    with pytest.raises(ValueError, match=r"`y` has classes not in `self.classes_`"):
        clf.partial_fit([[0.0], [1.0], [2.0]], [0, 1, 2], classes=[0, 1])
    assert not hasattr(clf, "coefs_")


def test_best_weights_that_overflow_on_the_training_rows_are_not_kept():
    # The best epoch's weights, kept when a later epoch diverges, had
    # overflowed on a training row already (the epoch's end is scored by the
    # next epoch's loss): predict_proba returned NaN for that row.
    X = np.array([[-1, 1], [1, 1], [2, 1], [1, 1], [1, 1], [1, 1]]) * 1e150
    y = np.array(["cat", "cat", "emu", "emu", "dog", "dog"])
    model = MLPClassifier(
        activation="gelu", early_stopping=True, hidden_layer_sizes=(4,),
        l1=1e-4, label_smoothing=0.1, learning_rate="adaptive", max_iter=6,
        random_state=0, solver="sgd",
    )  # fmt: skip
    with pytest.raises(nn.TrainingDivergedError, match="standardise"):
        model.fit(X, y)
    assert not hasattr(model, "coefs_")
