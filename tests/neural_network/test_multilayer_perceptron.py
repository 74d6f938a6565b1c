"""Behaviour of MLPClassifier and MLPRegressor beyond scikit-learn's common checks."""

import re
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import accuracy_score
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier

from skdeep import MLPClassifier, MLPRegressor, nn
from skdeep._validation import as_generator
from skdeep.neural_network._split import split_validation


@pytest.fixture
def blobs():
    X, y = make_classification(
        n_samples=300, n_features=8, n_informative=5, n_classes=3, random_state=0
    )
    return X, y


def _quiet(estimator, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **fit_params)


# ----------------------------------------------------------- gradients
@pytest.mark.parametrize("normalization", [None, "batch", "layer"])
def test_estimator_objective_gradient_with_alpha_and_l1(blobs, normalization):
    X, y = blobs
    clf = _quiet(
        MLPClassifier(
            (7, 5),
            activation="tanh",
            alpha=0.3,
            l1=0.05,
            normalization=normalization,
            max_iter=3,
            random_state=0,
        ),
        X,
        y,
    )
    # The estimator's objective: its network, loss, penalties (alpha and l1
    # scaled per row as the estimator sets them) and per-sample weights.
    Y = clf._label_binarizer.transform(y).astype(float)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, size=X.shape[0])
    penalised = [layer for layer in clf.network_.layers if isinstance(layer, nn.Dense)]
    assert all(layer.l2 > 0 and layer.l1 > 0 for layer in penalised)
    error = nn.check_gradients(
        clf.network_, clf._loss, X[:20], Y[:20], sample_weight=weights[:20]
    )
    assert error < 1e-6


def test_regressor_objective_gradient_huber(rng):
    X = rng.normal(size=(40, 4))
    y = X @ rng.normal(size=4) + rng.standard_t(2, size=40)
    reg = _quiet(
        MLPRegressor(loss="huber", hidden_layer_sizes=(6,), alpha=1.0, l1=0.1,
                     max_iter=5, random_state=0),
        X, y,
    )  # fmt: skip
    error = nn.check_gradients(reg.network_, reg._loss, X, y.reshape(-1, 1))
    assert error < 1e-6


# ---------------------------------------------------------- training API
def test_partial_fit_needs_classes_first_then_learns(blobs):
    X, y = blobs
    clf = MLPClassifier((16,), learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X[:50], y[:50])
    clf.partial_fit(X[:50], y[:50], classes=np.unique(y))
    first = clf.score(X, y)
    for _ in range(30):
        clf.partial_fit(X, y)
    assert clf.score(X, y) > first + 0.1
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 31


def test_partial_fit_rejects_new_classes(blobs):
    X, y = blobs
    clf = MLPClassifier((4,), random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X[:3], [0, 1, 7])


def test_partial_fit_not_available_for_lbfgs():
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    assert hasattr(MLPRegressor(solver="rmsprop"), "partial_fit")


def test_warm_start_continues_from_the_fitted_weights(blobs):
    X, y = blobs
    clf = _quiet(
        MLPClassifier((16,), max_iter=5, warm_start=True, random_state=0), X, y
    )
    before = [w.copy() for w in clf.coefs_]
    loss_after_first = clf.loss_
    _quiet(clf, X, y)
    assert len(clf.loss_curve_) == 10
    # The second fit starts where the first ended, not from a new initialisation.
    assert clf.loss_curve_[5] < loss_after_first
    assert not np.array_equal(before[0], clf.coefs_[0])
    cold = _quiet(MLPClassifier((16,), max_iter=5, random_state=0), X, y)
    assert cold.loss_curve_[0] > clf.loss_curve_[5]


def test_early_stopping_keeps_the_best_validation_weights(blobs):
    X, y = blobs
    clf = MLPClassifier(
        (32,), early_stopping=True, learning_rate_init=0.05, n_iter_no_change=5,
        max_iter=300, random_state=0,
    ).fit(X, y)  # fmt: skip
    assert clf.best_loss_ is None
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.history_["val_score"] == clf.validation_scores_
    # Rebuild the same validation split and score the returned weights on it.
    Y = clf._label_binarizer.transform(y).astype(float)
    _, (X_val, Y_val, _) = split_validation(
        X, Y, None, Y.argmax(axis=1), clf.validation_fraction, as_generator(0)
    )
    y_val = clf._label_binarizer.inverse_transform(Y_val)
    best_epoch = int(np.argmax(clf.validation_scores_))
    assert clf.n_iter_ > best_epoch + 1  # it went on, and came back
    assert accuracy_score(y_val, clf.predict(X_val)) == clf.best_validation_score_


def test_validation_split_holds_out_duplicates_together_and_by_weight(rng):
    X = rng.normal(size=(60, 3))
    X[30:] = X[:30]  # every row twice
    y = np.tile(np.arange(3), 20)
    from skdeep.neural_network._split import validation_rows

    held_out = validation_rows(nn.rows.row_keys(X), None, y, 0.2, seed=np.uint64(3))
    assert np.array_equal(held_out[:30], held_out[30:])
    assert 0.15 <= held_out.mean() <= 0.35
    assert set(y[held_out]) == {0, 1, 2}


# ----------------------------------------------------------- prediction
def test_dropout_is_off_at_predict_time(blobs):
    X, y = blobs
    clf = _quiet(MLPClassifier((32, 16), dropout=[0.5, 0.3], max_iter=20,
                               random_state=0), X, y)  # fmt: skip
    assert sum(isinstance(layer, nn.Dropout) for layer in clf.network_.layers) == 2
    proba = clf.predict_proba(X)
    assert np.array_equal(proba, clf.predict_proba(X))
    # Without its Dropout layers the same network gives the same predictions.
    kept = [ly for ly in clf.network_.layers if not isinstance(ly, nn.Dropout)]
    scores = nn.Sequential(kept).forward(X, training=False)
    np.testing.assert_allclose(proba, nn.losses.softmax(scores), rtol=1e-12)


def test_batch_norm_predictions_do_not_depend_on_the_batch(blobs):
    X, y = blobs
    clf = _quiet(MLPClassifier((16,), normalization="batch", max_iter=30,
                               random_state=0), X, y)  # fmt: skip
    together = clf.predict_proba(X)
    one_by_one = np.vstack([clf.predict_proba(X[i : i + 1]) for i in range(20)])
    np.testing.assert_allclose(one_by_one, together[:20], rtol=0, atol=1e-12)
    norm = next(ly for ly in clf.network_.layers if isinstance(ly, nn.BatchNorm))
    assert not np.allclose(norm.running_mean, 0.0)  # statistics were learned


def test_label_smoothing_softens_probabilities(blobs):
    X, y = blobs
    sharp = _quiet(MLPClassifier((32,), max_iter=200, random_state=0), X, y)
    smooth = _quiet(
        MLPClassifier((32,), max_iter=200, label_smoothing=0.3, random_state=0), X, y
    )
    assert smooth.predict_proba(X).max(axis=1).mean() < (
        sharp.predict_proba(X).max(axis=1).mean() - 0.1
    )
    # The smoothed target of the true class is 1 − 0.3 + 0.3/3 = 0.8.
    assert smooth.predict_proba(X).max(axis=1).mean() < 0.8


def test_class_weight_is_a_sample_weight(blobs):
    X, y = blobs
    by_class = _quiet(
        MLPClassifier((8,), max_iter=20, class_weight={0: 3.0, 1: 1.0, 2: 0.5},
                      random_state=0), X, y,
    )  # fmt: skip
    by_sample = _quiet(
        MLPClassifier((8,), max_iter=20, random_state=0), X, y,
        sample_weight=np.array([3.0, 1.0, 0.5])[y],
    )  # fmt: skip
    for a, b in zip(by_class.coefs_, by_sample.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_heavy_class_weight_moves_predictions(blobs):
    X, y = blobs
    plain = _quiet(MLPClassifier((16,), max_iter=50, random_state=0), X, y)
    heavy = _quiet(
        MLPClassifier((16,), max_iter=50, class_weight={0: 20.0, 1: 1.0, 2: 1.0},
                      random_state=0), X, y,
    )  # fmt: skip
    assert (heavy.predict(X) == 0).mean() > (plain.predict(X) == 0).mean() + 0.1


def test_sample_weight_zero_is_like_removing_the_row(blobs):
    X, y = blobs
    weights = np.ones(len(y))
    weights[::3] = 0.0
    # One full batch per epoch, so that only the weights differ between the fits.
    kw = dict(hidden_layer_sizes=(8,), dropout=0.2, normalization="batch",
              batch_size=1000, max_iter=30, random_state=0)  # fmt: skip
    weighted = _quiet(MLPClassifier(**kw), X, y, sample_weight=weights)
    removed = _quiet(MLPClassifier(**kw), X[weights > 0], y[weights > 0])
    np.testing.assert_allclose(
        weighted.predict_proba(X), removed.predict_proba(X), rtol=1e-7, atol=1e-9
    )


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_same_random_state_same_model(blobs, solver):
    X, y = blobs
    kw = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=10, dropout=0.0)
    a = _quiet(MLPClassifier(**kw, random_state=3), X, y)
    b = _quiet(MLPClassifier(**kw, random_state=3), X, y)
    c = _quiet(MLPClassifier(**kw, random_state=4), X, y)
    for wa, wb in zip(a.coefs_, b.coefs_, strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_float32_trains_in_float32(blobs):
    X, y = blobs
    clf = _quiet(
        MLPClassifier((8,), max_iter=5, random_state=0), X.astype(np.float32), y
    )
    assert all(w.dtype == np.float32 for w in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X).dtype == np.float32
    reg = _quiet(MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=5,
                              random_state=0),
                 X.astype(np.float32), y.astype(float))  # fmt: skip
    assert reg.predict(X).dtype == np.float32


def test_sparse_input_gives_the_dense_model(blobs):
    X, y = blobs
    dense = _quiet(MLPClassifier((8,), max_iter=10, random_state=0), X, y)
    sparse = _quiet(
        MLPClassifier((8,), max_iter=10, random_state=0), scipy.sparse.csr_matrix(X), y
    )
    np.testing.assert_allclose(
        sparse.predict_proba(scipy.sparse.csr_matrix(X)), dense.predict_proba(X),
        rtol=1e-6,
    )  # fmt: skip


def test_multilabel_and_multioutput(rng):
    X = rng.normal(size=(120, 5))
    Y = (X[:, :3] > 0).astype(int)
    clf = _quiet(MLPClassifier((16,), learning_rate_init=0.01, random_state=0), X, Y)
    assert clf.out_activation_ == "logistic"
    assert clf.predict(X).shape == (120, 3) and clf.predict_proba(X).shape == (120, 3)
    assert clf.score(X, Y) > 0.8
    reg = _quiet(
        MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0),
        X,
        X[:, :2] * 2,
    )
    assert reg.predict(X).shape == (120, 2) and reg.n_outputs_ == 2


# ---------------------------------------------------- options and errors
@pytest.mark.parametrize(
    "options",
    [
        dict(activation="sigmoid"),
        dict(activation="prelu", weight_init="lecun_normal"),
        dict(activation="mish", max_norm=2.0),
        dict(solver="adagrad", learning_rate="step", learning_rate_init=0.05),
        dict(solver="sgd", learning_rate="invscaling", learning_rate_init=2.0),
        dict(solver="rmsprop", learning_rate="exponential", learning_rate_init=0.01),
        dict(learning_rate="inverse_time", learning_rate_init=0.01),
        dict(learning_rate="cosine_restarts"),
        dict(learning_rate=nn.schedules.CosineAnnealing(0.01, T_max=20)),
    ],
)
def test_every_option_trains(blobs, options):
    X, y = blobs
    clf = _quiet(MLPClassifier((16,), max_iter=40, random_state=0, **options), X, y)
    assert clf.score(X, y) > 0.5
    assert all(np.isfinite(w).all() for w in clf.coefs_)


def test_schedules_change_the_rate_per_epoch(blobs):
    X, y = blobs
    clf = _quiet(
        MLPClassifier(
            (4,),
            max_iter=8,
            learning_rate="cosine",
            learning_rate_init=0.1,
            tol=0,
            random_state=0,
        ),
        X,
        y,
    )
    rates = clf.history_["learning_rate"]
    expected = [0.05 * (1 + np.cos(np.pi * epoch / 8)) for epoch in range(8)]
    np.testing.assert_allclose(rates, expected, rtol=1e-12)


def test_invscaling_follows_scikit_learn(blobs):
    X, y = blobs
    clf = _quiet(
        MLPClassifier(
            (4,),
            solver="sgd",
            learning_rate="invscaling",
            power_t=0.5,
            max_iter=4,
            tol=0,
            random_state=0,
        ),
        X,
        y,
    )
    # scikit-learn: lr_init / (t + 1)^power_t with t = samples seen before the epoch
    expected = [0.001 / (epoch * 300 + 1) ** 0.5 for epoch in range(4)]
    np.testing.assert_allclose(clf.history_["learning_rate"], expected, rtol=1e-12)


def test_adaptive_divides_the_rate_by_five_on_a_plateau(blobs):
    X, y = blobs
    clf = MLPClassifier((4,), solver="sgd", learning_rate="adaptive",
                        learning_rate_init=0.5, tol=10.0, n_iter_no_change=2,
                        max_iter=12, random_state=0).fit(X, y)  # fmt: skip
    rates = np.array(clf.history_["learning_rate"])
    assert set(np.round(rates[1:] / rates[:-1], 12)) <= {1.0, 0.2}
    assert rates[-1] < rates[0]


def test_unknown_options_list_the_valid_ones(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="'gelu'"):
        MLPClassifier(activation="gelux").fit(X, y)
    with pytest.raises(ValueError, match="'rmsprop'"):
        MLPClassifier(solver="rms").fit(X, y)
    with pytest.raises(ValueError, match="one such rate per hidden layer"):
        MLPClassifier((4, 4), dropout=[0.1]).fit(X, y)
    with pytest.raises(ValueError, match="dropout needs a stochastic solver"):
        MLPClassifier((4,), solver="lbfgs", dropout=0.2).fit(X, y)


@pytest.mark.parametrize(
    "options", [{}, dict(solver="lbfgs"), dict(early_stopping=True, max_iter=20)]
)
def test_one_class_fits_and_predicts_that_class_as_scikit_learns_does(options):
    # scikit-learn: one logistic output trained towards LabelBinarizer's 0, and
    # predict_proba's two columns [1 - p, p], the first for the one class.
    X, y = np.random.default_rng(0).normal(size=(30, 2)), np.full(30, "only")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier((8,), random_state=0, **options).fit(X, y)
        reference = SklearnMLPClassifier((8,), random_state=0, **options).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, ["only"])
    np.testing.assert_array_equal(clf.predict(X), y)
    assert clf.predict_proba(X).shape == reference.predict_proba(X).shape == (30, 2)
    assert clf.n_outputs_ == reference.n_outputs_ == 1


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_partial_fit_with_early_stopping_raises_scikit_learns_error(Estimator, blobs):
    X, y = blobs
    model = Estimator(hidden_layer_sizes=(4,), early_stopping=True, max_iter=5)
    model = _quiet(model, X, y)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopp"):
        model.partial_fit(X, y)
    # Not available, as for 'lbfgs': scikit-learn's checks do not call it.
    assert not hasattr(model, "partial_fit")
    assert hasattr(model.set_params(early_stopping=False), "partial_fit")


def test_divergence_names_the_learning_rate_and_leaves_no_model(rng):
    X = rng.normal(size=(200, 5)) * 1e6
    y = X @ rng.normal(size=5)
    reg = MLPRegressor(
        hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=10.0, random_state=0
    )
    with pytest.raises(nn.TrainingDivergedError, match="learning_rate_init"):
        reg.fit(X, y)
    assert not hasattr(reg, "coefs_") and not hasattr(reg, "network_")
    with pytest.raises(NotFittedError):
        reg.predict(X)


def test_poisson_needs_non_negative_targets(rng):
    X = rng.normal(size=(30, 2))
    with pytest.raises(ValueError, match="negative"):
        MLPRegressor(loss="poisson").fit(X, -np.ones(30))
    reg = _quiet(MLPRegressor(loss="poisson", solver="lbfgs", random_state=0), X,
                 rng.poisson(np.exp(X[:, 0])))  # fmt: skip
    assert reg.out_activation_ == "exp" and (reg.predict(X) > 0).all()


def test_lbfgs_honours_max_fun(blobs):
    X, y = blobs
    with pytest.warns(ConvergenceWarning, match="max_fun"):
        clf = MLPClassifier((16,), solver="lbfgs", max_fun=5, random_state=0).fit(X, y)
    assert clf.n_iter_ <= 5


def test_n_init_keeps_the_restart_with_the_lowest_loss(blobs, capsys):
    X, y = blobs
    clf = _quiet(MLPClassifier((3,), solver="lbfgs", max_iter=15, n_init=4,
                               verbose=True, random_state=0), X, y)  # fmt: skip
    lines = re.findall(r"Iteration (\d+), loss = (\S+)", capsys.readouterr().out)
    # Each restart counts its iterations from 1: a run ends before the next "1".
    finals = [
        float(loss)
        for i, (_, loss) in enumerate(lines)
        if i + 1 == len(lines) or lines[i + 1][0] == "1"
    ]
    assert len(finals) == 4 and len(set(finals)) == 4
    assert clf.loss_ == pytest.approx(min(finals), rel=1e-7)


def test_verbose_prints_scikit_learn_lines(blobs, capsys):
    X, y = blobs
    _quiet(MLPClassifier((4,), max_iter=3, early_stopping=True, verbose=True,
                         random_state=0), X, y)  # fmt: skip
    out = capsys.readouterr().out
    assert re.search(r"^Iteration 1, loss = \d+\.\d{8}$", out, re.M)
    assert re.search(r"^Validation score: \d\.\d{6}$", out, re.M)


def test_verbose_2_without_tqdm_prints_progress_with_eta(blobs, capsys, monkeypatch):
    X, y = blobs
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    _quiet(MLPClassifier((4,), max_iter=3, early_stopping=True, verbose=2,
                         random_state=0), X, y)  # fmt: skip
    out = capsys.readouterr().out
    assert re.search(r"epoch 3/3 +loss \S+ +val_loss \S+ +ETA", out)


# ------------------------------------------------------- drop-in for sklearn
@pytest.mark.parametrize(
    "ours, theirs",
    [
        (MLPClassifier, "MLPClassifier"),
        (MLPRegressor, "MLPRegressor"),
    ],
)
def test_every_scikit_learn_parameter_with_the_same_default(ours, theirs):
    import inspect

    import sklearn.neural_network

    reference = inspect.signature(getattr(sklearn.neural_network, theirs)).parameters
    mine = inspect.signature(ours).parameters
    for name, parameter in reference.items():
        assert name in mine, name
        assert mine[name].default == parameter.default, name
        assert mine[name].kind == parameter.kind, name


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_same_fitted_attributes_as_scikit_learn(blobs, solver, early_stopping):
    import sklearn.neural_network

    X, y = blobs
    kw = dict(solver=solver, max_iter=5, early_stopping=early_stopping, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = sklearn.neural_network.MLPClassifier(**kw).fit(X, y)
        mine = MLPClassifier(**kw).fit(X, y)
    fitted = {a for a in vars(reference) if a.endswith("_") and not a.startswith("_")}
    assert fitted <= set(vars(mine))
    for name in fitted:
        theirs, ours = getattr(reference, name), getattr(mine, name)
        assert type(ours) is type(theirs) or (
            isinstance(theirs, float | np.floating) and isinstance(ours, float)
        ), name
    assert [c.shape for c in mine.coefs_] == [c.shape for c in reference.coefs_]
    assert mine.n_layers_ == reference.n_layers_
    assert mine.out_activation_ == reference.out_activation_


def test_predictions_in_chunks_equal_one_pass(blobs, monkeypatch):
    import skdeep.neural_network._base

    X, y = blobs
    clf = _quiet(MLPClassifier((16,), normalization="batch", dropout=0.2, max_iter=5,
                               random_state=0), X, y)  # fmt: skip
    whole = clf.predict_proba(X)
    # 16 float64 columns of 7 rows: the 300 rows go through in 43 chunks.
    monkeypatch.setattr(skdeep.neural_network._base, "_PREDICT_CHUNK_BYTES", 16 * 8 * 7)
    # Equal up to the last bit BLAS may round differently for other row counts.
    np.testing.assert_allclose(clf.predict_proba(X), whole, rtol=1e-12, atol=0)


def test_warm_start_may_switch_from_lbfgs_to_a_stochastic_solver(blobs):
    X, y = blobs
    clf = _quiet(MLPClassifier((8,), solver="lbfgs", max_iter=20, warm_start=True,
                               random_state=0), X, y)  # fmt: skip
    lbfgs_loss = clf.loss_
    _quiet(clf.set_params(solver="adam", max_iter=3), X, y)
    assert len(clf.loss_curve_) == 3 and clf.t_ == 3 * len(y)
    assert clf.loss_curve_[0] < 2 * lbfgs_loss + 0.1  # it started from the lbfgs fit


def test_lbfgs_refuses_batch_norm_statistics_that_overflow():
    # float32 features near 2e19: the hidden units' variance passes float32's
    # maximum, and running statistics of inf would predict one constant.
    X = np.array([[-1.8e19], [-1.8e19], [2.4e19], [2.1e19]], dtype=np.float32)
    y = np.array([0, 0, 1, 1])
    clf = MLPClassifier(
        hidden_layer_sizes=(4,), solver="lbfgs", normalization="batch", max_iter=6,
        random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match=r"diverged.*standardise the input"):
            clf.fit(X, y)
    assert not hasattr(clf, "network_")


# ----------------------------------------------------------- label decoding
@pytest.mark.parametrize(
    "labels",
    [
        np.array(["no", "yes"]),
        np.array([3, 7, 11]),
        np.array([[0, 1], [1, 1], [1, 0]]),  # multi-label indicator rows
    ],
    ids=["binary", "multiclass", "multilabel"],
)
def test_predicted_labels_are_the_label_binarizers_decoding(labels):
    """predict decodes outputs without the binarizer (issue 16), to its result:
    ties, probabilities of exactly 0.5 and NaN included."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = labels[rng.integers(0, len(labels), size=60)]
    clf = _quiet(MLPClassifier((4,), max_iter=3, random_state=0), X, y)
    n_outputs = clf.n_outputs_
    outputs = rng.random((40, n_outputs)).astype(np.float32)
    outputs[:5] = 0.5  # ties, and the binary threshold itself
    outputs[5, 0] = np.nan
    outputs[6] = np.nan
    decoded = clf._decode(outputs)
    expected = clf._label_binarizer.inverse_transform(outputs)
    assert decoded.dtype == expected.dtype
    np.testing.assert_array_equal(decoded, expected)
