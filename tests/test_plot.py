"""skdeep.plot.TrainingHistoryDisplay: the curves it draws and the errors it raises."""

import sys
import warnings

import matplotlib
import numpy as np
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeep import KNN, MLPClassifier, MLPRegressor
from skdeep.plot import TrainingHistoryDisplay

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the backend


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _mlp(early_stopping=True, **params):
    return MLPClassifier(
        hidden_layer_sizes=(8,),
        early_stopping=early_stopping,
        max_iter=15,
        learning_rate_init=0.01,
        random_state=0,
        **params,
    )


def _fit(model, X, y):
    # A few epochs are enough to have curves to draw; convergence is not the point.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


@pytest.fixture(scope="module")
def fitted(iris):
    return _fit(_mlp(), *iris)


def _xy(line):
    return np.asarray(line.get_xdata()), np.asarray(line.get_ydata())


def test_lines_are_the_estimators_history_against_epochs(fitted):
    display = TrainingHistoryDisplay.from_estimator(fitted)
    history = fitted.history_
    assert set(display.lines_) == {"loss", "val_loss", "val_score"}
    for key, line in display.lines_.items():
        x, y = _xy(line)
        np.testing.assert_array_equal(y, history[key])
        np.testing.assert_array_equal(x, np.arange(1, len(history["loss"]) + 1))
    assert display.lines_["val_score"].axes is display.score_ax_
    assert display.lines_["loss"].axes is display.ax_
    assert display.lines_["val_loss"].axes is display.ax_


def test_labels_name_the_axes_the_score_and_the_estimator(fitted):
    display = TrainingHistoryDisplay.from_estimator(fitted)
    assert display.ax_.get_xlabel() == "epoch"
    assert display.ax_.get_ylabel() == "loss"
    assert display.score_ax_.get_ylabel() == "validation accuracy"
    assert display.ax_.get_title() == "MLPClassifier"
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["training loss", "validation loss", "validation accuracy"]


def test_without_validation_data_only_the_training_loss_is_drawn(iris):
    model = _fit(_mlp(early_stopping=False), *iris)
    display = TrainingHistoryDisplay.from_estimator(model)
    assert set(display.lines_) == {"loss"}
    assert display.score_ax_ is None
    np.testing.assert_array_equal(_xy(display.lines_["loss"])[1], model.loss_curve_)


def test_a_pipeline_is_plotted_through_its_final_step(iris):
    X, y = load_iris(return_X_y=True)
    pipeline = _fit(make_pipeline(StandardScaler(), _mlp()), X, y)
    display = TrainingHistoryDisplay.from_estimator(pipeline)
    np.testing.assert_array_equal(
        _xy(display.lines_["val_score"])[1], pipeline[-1].history_["val_score"]
    )
    assert display.ax_.get_title() == "MLPClassifier"


def test_a_regressor_scores_by_r2(iris):
    X, _ = iris
    y = X[:, 0] - 2 * X[:, 1]
    model = _fit(
        MLPRegressor(
            hidden_layer_sizes=(8,), early_stopping=True, max_iter=10, random_state=0
        ),
        X[:, 2:],
        y,
    )
    display = TrainingHistoryDisplay.from_estimator(model)
    assert display.score_ax_.get_ylabel() == "validation R²"
    np.testing.assert_array_equal(
        _xy(display.lines_["val_score"])[1], model.validation_scores_
    )


def test_lbfgs_history_is_drawn_against_iterations(iris):
    model = MLPClassifier(
        hidden_layer_sizes=(4,), solver="lbfgs", max_iter=20, random_state=0
    )
    _fit(model, *iris)
    display = TrainingHistoryDisplay.from_estimator(model)
    assert display.ax_.get_xlabel() == "iteration"
    np.testing.assert_array_equal(_xy(display.lines_["loss"])[1], model.loss_curve_)


def test_plot_draws_on_the_given_axes_and_returns_the_display(fitted):
    figure, ax = plt.subplots()
    display = TrainingHistoryDisplay.from_estimator(fitted, ax=ax, name="run 1")
    assert display.ax_ is ax and display.figure_ is figure
    assert ax.get_title() == "run 1"
    again = display.plot(ax=figure.add_subplot(2, 1, 2))
    assert again is display and display.ax_ is not ax


def test_plot_keyword_arguments_reach_every_curve(fitted):
    display = TrainingHistoryDisplay.from_estimator(fitted, linewidth=3.5)
    assert all(line.get_linewidth() == 3.5 for line in display.lines_.values())


def test_the_constructor_draws_given_curves():
    display = TrainingHistoryDisplay(
        loss=[3.0, 2.0, 1.5], val_score=[0.5, 0.6, 0.7], score_name="F1"
    ).plot()
    assert set(display.lines_) == {"loss", "val_score"}
    assert display.score_ax_.get_ylabel() == "validation F1"
    np.testing.assert_array_equal(_xy(display.lines_["loss"])[0], [1, 2, 3])


def test_curves_of_different_lengths_are_refused():
    display = TrainingHistoryDisplay(loss=[3.0, 2.0, 1.0], val_loss=[2.5, 2.0])
    with pytest.raises(ValueError, match="val_loss has 2 values but loss has 3"):
        display.plot()


def test_an_empty_history_is_refused():
    with pytest.raises(ValueError, match="no training history"):
        TrainingHistoryDisplay(loss=[]).plot()


def test_an_unfitted_estimator_raises_not_fitted():
    with pytest.raises(NotFittedError):
        TrainingHistoryDisplay.from_estimator(_mlp())
    with pytest.raises(NotFittedError):
        TrainingHistoryDisplay.from_estimator(make_pipeline(StandardScaler(), _mlp()))


def test_an_estimator_without_history_says_which_ones_have_one(iris):
    knn = KNN().fit(*iris)
    with pytest.raises(TypeError, match=r"KNN records no training history.*MLP"):
        TrainingHistoryDisplay.from_estimator(knn)


def test_without_matplotlib_the_error_names_the_extra(monkeypatch, fitted):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "skdeep\[plot\]"'):
        TrainingHistoryDisplay.from_estimator(fitted)
    with pytest.raises(ImportError, match=r'pip install "skdeep\[plot\]"'):
        TrainingHistoryDisplay(loss=[1.0, 0.5]).plot()


def test_a_transformed_target_regressor_is_plotted_through_its_fitted_regressor(iris):
    X, _ = iris
    y = 100 * (X[:, 0] - 2 * X[:, 1])
    model = TransformedTargetRegressor(
        make_pipeline(
            StandardScaler(),
            MLPRegressor(
                hidden_layer_sizes=(8,),
                early_stopping=True,
                max_iter=10,
                random_state=0,
            ),
        ),
        transformer=StandardScaler(),
    )
    _fit(model, X[:, 2:], y)
    display = TrainingHistoryDisplay.from_estimator(model)
    history = model.regressor_[-1].history_
    for key, line in display.lines_.items():
        np.testing.assert_array_equal(_xy(line)[1], history[key])
    assert display.score_ax_.get_ylabel() == "validation R²"
    assert display.ax_.get_title() == "MLPRegressor"


def test_an_unfitted_transformed_target_regressor_raises_not_fitted():
    with pytest.raises(NotFittedError):
        TrainingHistoryDisplay.from_estimator(TransformedTargetRegressor(_mlp()))


def test_a_label_keyword_is_refused_with_the_reason(fitted):
    with pytest.raises(TypeError, match=r"labels each curve itself.*remove label="):
        TrainingHistoryDisplay.from_estimator(fitted, label="run 1")
    with pytest.raises(TypeError, match="labels each curve itself"):
        TrainingHistoryDisplay(loss=[2.0, 1.0]).plot(label="run 1")


def test_the_score_curve_has_its_own_style_unless_told_otherwise(fitted):
    display = TrainingHistoryDisplay.from_estimator(fitted)
    score = display.lines_["val_score"]
    assert score.get_color() == "C2" and score.get_linestyle() == "--"
    # As documented, keyword arguments reach every curve, the score's included.
    display = TrainingHistoryDisplay.from_estimator(fitted, color="k")
    assert all(line.get_color() == "k" for line in display.lines_.values())
    assert display.lines_["val_score"].get_linestyle() == "--"
