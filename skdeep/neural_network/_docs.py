"""The documentation that MLPClassifier and MLPRegressor share.

The option lists of ``activation`` and ``solver`` (and which solvers take
``beta_1``, ``beta_2`` and ``epsilon``) are read from the core registries, so
that they name what the estimators accept.
"""

from __future__ import annotations

import inspect
import textwrap

from .. import nn
from ._base import HIDDEN_ACTIVATIONS, SOLVERS


def _names(names) -> str:
    return ", ".join(repr(name) for name in names)


def _solvers_taking(option: str) -> str:
    optimizers = nn.optimizers.OPTIMIZERS
    return _names(
        name
        for name, cls in optimizers.items()
        if option in inspect.signature(cls).parameters
    )


_PARAMETERS = """\
hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of units in the ith hidden layer.
    activation : str, default='relu'
        Activation of the hidden layers, by its name in
        :data:`skdeep.nn.activations.ACTIVATIONS`:
{activations}.
        scikit-learn's 'identity', 'logistic', 'tanh' and 'relu' keep their
        meaning.
    solver : {{{solvers}}}, default='adam'
        'lbfgs' minimises the full-batch objective with scipy's L-BFGS-B; the
        others are the minibatch optimizers of
        :data:`skdeep.nn.optimizers.OPTIMIZERS`, started at
        ``learning_rate_init``. 'sgd' takes ``momentum`` and
        ``nesterovs_momentum``; ``beta_1``, ``beta_2`` and ``epsilon`` go to
        the optimizers that have options of these names; the other options
        keep the optimizer's defaults (see :mod:`skdeep.nn.optimizers`).
    alpha : float, default=0.0001
        Strength of the L2 penalty. As in scikit-learn, each minibatch adds
        ``alpha/2·‖W‖² / (rows in the batch)`` to its mean loss (biases are not
        penalised).
    batch_size : int or 'auto', default='auto'
        Minibatch size of the stochastic solvers; 'auto' is ``min(200, n_samples)``.
        With ``normalization='batch'`` it must be at least 2, and a last
        minibatch of one row joins the one before it (see ``normalization``).
    learning_rate : str or callable, default='constant'
        Learning-rate schedule of the stochastic solvers, changed between epochs.
        scikit-learn's options keep their meaning and, as there, only change
        'sgd': 'constant'; 'invscaling' (``learning_rate_init / (t + 1)^power_t``
        with t the samples seen); 'adaptive' (divide by 5 whenever the
        monitored value stalls for ``n_iter_no_change`` epochs). The new ones
        apply to every stochastic solver and are scaled to ``max_iter``
        epochs: 'step' (×0.1 every third of the budget), 'exponential' (down to
        1/100 at the end), 'inverse_time' (``lr / (1 + 9·epoch/max_iter)``),
        'cosine' (to 0 over the budget), 'cosine_restarts' (three cycles of
        growing length). ``partial_fit`` continues them epoch by epoch and,
        having no budget, starts them again every ``max_iter`` calls, so that a
        stream never stops learning; 'invscaling' keeps counting samples, as
        in scikit-learn. A callable ``epoch -> learning rate``, for example a
        schedule object from :mod:`skdeep.nn.schedules`, gives full control
        (it then carries its own initial rate, and is never restarted).
    learning_rate_init : float, default=0.001
        Initial learning rate of the stochastic solvers.
    power_t : float, default=0.5
        Exponent of 'invscaling'.
    max_iter : int, default=200
        Epochs for the stochastic solvers; iterations for 'lbfgs'.
    shuffle : bool, default=True
        Shuffle the samples every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling, dropout and the
        validation split. Results are reproducible for an int.
    tol : float, default=1e-4
        Improvement below which an epoch counts as no improvement.
    verbose : bool or int, default=False
        True or 1: one line per epoch as in scikit-learn. 2 or more: those lines
        and a progress bar with the loss, the validation loss and the time left
        (tqdm if installed).
    warm_start : bool, default=False
        Continue from the previous fit's weights. The parameters that built the
        layers (``hidden_layer_sizes``, ``activation``, ``normalization``, which
        layers have dropout, the loss's output link) must not change, here and
        in ``partial_fit``: a change is a ValueError naming the parameter.
    momentum : float, default=0.9
        Momentum of 'sgd'.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum ('sgd' with momentum > 0).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, stop when the
        validation score stalls for ``n_iter_no_change`` epochs and keep the
        weights of the best epoch.
    validation_fraction : float, default=0.1
        Share of the data held out when ``early_stopping``.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the first and second moment estimates, for the solvers
        that take them ({beta_solvers}).
    epsilon : float, default=1e-8
        Numerical stability term, for the solvers that take one
        ({epsilon_solvers}).
    n_iter_no_change : int, default=10
        Epochs without an improvement larger than ``tol`` before stopping.
    max_fun : int, default=15000
        Maximum number of objective evaluations of 'lbfgs'.
    dropout : float or array-like of float, default=0.0
        Inverted-dropout rate after each hidden activation (one value for all
        hidden layers, or one per hidden layer). Off at prediction time.
    normalization : {{'batch', 'layer'}} or None, default=None
        Batch or layer normalization between each hidden layer's affine map
        and its activation. Batch norm predicts with running statistics, and
        trains on batches of at least two rows (one row has no variance, as in
        PyTorch): it refuses ``batch_size=1`` and a single training row, and
        joins a one-row last minibatch (``n_samples % batch_size == 1``) to the
        one before it.
    l1 : float, default=0.0
        Strength of an L1 penalty on the weights, scaled like ``alpha``.
    max_norm : float or None, default=None
        Rescale each unit's incoming weight vector to at most this norm after
        every step of a stochastic solver ('lbfgs' refuses it, as it refuses
        dropout).
    weight_init : str, default='auto'
        'auto' is scikit-learn's initialization: weights and biases of every
        layer from U(-a, a), a = √(6 / (fan_in + fan_out)), or √(2 / (fan_in +
        fan_out)) for ``activation='logistic'`` ('sigmoid'); the other
        activations take the first, as in scikit-learn. Or a name from
        :mod:`skdeep.nn.initializers` for the weights ('he_uniform',
        'lecun_normal', ...), with biases starting at zero."""

TRAILING_PARAMETERS = """\
n_init : int, default=1
        Random restarts: train ``n_init`` networks from different seeds and
        keep the best one, by validation score with early stopping, else by
        the final training loss. Ignored by ``warm_start`` and ``partial_fit``,
        which continue the fitted network."""

ATTRIBUTES = """\
loss_ : float
        Final training loss (penalties included).
    best_loss_ : float or None
        Lowest training loss; None with early stopping.
    loss_curve_ : list of float
        Training loss per epoch ('lbfgs': per iteration).
    validation_scores_ : list of float or None
        Validation score per epoch with early stopping, else None.
    best_validation_score_ : float or None
        Best validation score with early stopping, else None.
    history_ : dict of str to list of float
        Per epoch: 'loss', 'learning_rate', 'time' (seconds) and, with
        early stopping, 'val_loss' and 'val_score'.
    t_ : int
        Training samples seen by the stochastic solver.
    coefs_ : list of ndarray
        Weight matrices, ``coefs_[i]`` of shape (units in layer i, units in
        layer i + 1). They are the network's own arrays.
    intercepts_ : list of ndarray
        Bias vectors, ``intercepts_[i]`` of length (units in layer i + 1).
    network_ : skdeep.nn.Sequential
        The trained network (Dense, normalization, activation and dropout
        layers), for inspection or reuse with :mod:`skdeep.nn`.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen during fit, when they are all strings.
    n_iter_ : int
        Epochs (or L-BFGS iterations) run by the last fit.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units."""

PARAMETERS = _PARAMETERS.format(
    activations=textwrap.fill(
        _names(HIDDEN_ACTIVATIONS), width=79, initial_indent=" " * 8,
        subsequent_indent=" " * 8,
    ),
    solvers=_names(SOLVERS),
    beta_solvers=_solvers_taking("beta_1"),
    epsilon_solvers=_solvers_taking("epsilon"),
)  # fmt: skip
