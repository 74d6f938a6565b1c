"""normalization='batch' never trains on a one-row batch (issue 15, item 16).

A one-row batch has variance 0: trained on, it standardises every value to 0
and pulls the running variance that predictions use towards 0. A one-row last
minibatch joins the one before; ``batch_size=1`` and a single training row are
refused, as PyTorch refuses a one-row training batch.
"""

import copy
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning

from skdeep import MLPClassifier, MLPRegressor, nn

ESTIMATORS = [MLPClassifier, MLPRegressor]


def test_401_rows_in_batches_of_200_predict_with_the_data_statistics():
    """Running statistics match the full data's, and predictions match those
    made with the full data's statistics.

    Before, every epoch ended on a one-row batch of variance 0, and the running
    variance settled near 0.63 of the data's (momentum 0.9: three updates an
    epoch, one of them towards 0), which cost 14 of the 401 predictions. Now the
    running variance averages batches of 200 rows, whose variances scatter by
    about √(2/200) = 10% around the data's; the average over the ~19 batches
    that momentum 0.9 weighs cuts that to about 2.5%, so 10% is a wide margin
    that the 37% shortfall cannot meet.
    """
    X, y = make_moons(401, noise=0.1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier(
            hidden_layer_sizes=(32,), normalization="batch", batch_size=200,
            max_iter=300, random_state=1,
        ).fit(X, y)  # fmt: skip
    dense, norm = clf.network_.layers[:2]
    H = dense.forward(X)  # what the batch-norm layer sees, on all the data
    assert_allclose(norm.running_var, H.var(axis=0), rtol=0.1)
    assert np.all(abs(norm.running_mean - H.mean(axis=0)) <= 0.1 * H.std(axis=0))
    with_data_statistics = copy.deepcopy(clf)
    with_data_statistics.network_.layers[1].running_mean[...] = H.mean(axis=0)
    with_data_statistics.network_.layers[1].running_var[...] = H.var(axis=0)
    # A row on the decision boundary may flip: one of 401 at most.
    assert abs(clf.score(X, y) - with_data_statistics.score(X, y)) <= 1 / 401


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_batch_size_1_with_batch_norm_is_refused(Estimator):
    X, y = make_moons(20, random_state=0)
    with pytest.raises(ValueError, match=r"batch_size=1 .*normalization='batch'"):
        Estimator(normalization="batch", batch_size=1, max_iter=1).fit(X, y)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_single_training_row_with_batch_norm_is_refused(solver):
    with pytest.raises(ValueError, match="normalization='batch' needs at least 2"):
        MLPRegressor(normalization="batch", solver=solver, max_iter=1).fit(
            [[0.0, 1.0]], [1.0]
        )


def test_a_one_row_partial_fit_with_batch_norm_is_refused_and_the_model_kept():
    X, y = make_moons(40, random_state=0)
    reg = MLPRegressor(normalization="batch", random_state=0).partial_fit(X, y)
    weights = reg.network_.get_weights()
    with pytest.raises(ValueError, match="needs at least 2 training samples"):
        reg.partial_fit(X[:1], y[:1])
    for array, kept in zip(reg.network_.get_weights(), weights, strict=True):
        assert_array_equal(array, kept)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_a_one_row_remainder_trains_every_row_in_batches_of_two_or_more(
    Estimator, monkeypatch
):
    """21 rows in batches of 4 (partial_fit too): five batches, the last of 5."""
    X, y = make_moons(21, random_state=0)
    sizes = []
    real_forward = nn.BatchNorm.forward

    def recording(self, X_batch, training=False, rows=None, **kwargs):
        if training:
            sizes.append(X_batch.shape[0])
        return real_forward(self, X_batch, training, rows, **kwargs)

    monkeypatch.setattr(nn.BatchNorm, "forward", recording)
    estimator = Estimator(normalization="batch", batch_size=4, random_state=0)
    estimator.partial_fit(
        X, y, **({"classes": [0, 1]} if Estimator is MLPClassifier else {})
    )
    assert sizes == [4, 4, 4, 4, 5]
