"""A minibatch call judged on its own rows: refused if it left the model far worse.

The minibatch solvers' step size comes from the curvature of the data of the
first call. A later ``partial_fit`` batch on another scale (features near
1e200) takes steps that many times too large: with one step per call the loss
is never evaluated after it, the weights stay finite, and the model is garbage
(held-out accuracy 0.96 → 0.51). Only this call's rows judge it, never earlier
calls' losses: new data may fairly lose more (drift, noisy labels).
"""

from __future__ import annotations

import math

import numpy as np

from .. import nn


def check_call_did_not_blow_up(X, Y, sample_weight, loss, start, end, *, rows, floor):
    """Raise :class:`nn.TrainingDivergedError` if ``end`` blew the loss up.

    ``start`` and ``end`` are ``(W, b)`` before and after the call, W of shape
    (n_features, n_outputs). The loss is compared on the first ``rows`` rows: a
    call is refused if it ends non-finite, or above both 10 times its start
    and ``floor`` (the loss of the constant model, which no trained model
    should exceed that much).
    """
    rows = slice(0, rows)
    X, Y = X[rows], Y[rows]
    weights = None if sample_weight is None else sample_weight[rows]

    def value(W, b) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return float(loss.value(Y, np.asarray(X @ W) + b, weights))

    after = value(*end)
    if math.isfinite(after) and after <= floor:
        return
    before = value(*start)
    if math.isfinite(after) and after <= 10.0 * before:
        return
    raise nn.TrainingDivergedError(
        f"Training diverged: the loss on this call's rows went from {before:.3g} "
        f"to {after:.3g} (its steps were far too large for them)."
    )
