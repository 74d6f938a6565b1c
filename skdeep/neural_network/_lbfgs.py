"""Full-batch training with scipy's L-BFGS-B (``solver="lbfgs"``).

The network's parameters are flattened into one float64 vector for scipy and
written back into the layers' own arrays at every evaluation of the objective.
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.optimize

from .. import nn
from ..nn.training import TrainingDivergedError
from ._progress import EpochReporter


def run_lbfgs(network, loss, X, Y, sample_weight, *, max_iter, max_fun, tol, verbose):
    """Minimise the full-batch objective with scipy's L-BFGS-B."""
    params, grads = network.params, network.grads
    sizes = [p.size for p in params]
    ends = np.cumsum(sizes)
    history = nn.History()
    history.epochs.pop("learning_rate")
    last = {"value": math.inf}
    rows = nn.rows.Rows(weights=sample_weight)  # batch norm's weighted statistics

    def objective(theta):
        for param, chunk in zip(params, np.split(theta, ends[:-1]), strict=True):
            param[...] = chunk.reshape(param.shape)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            scores = network.forward(X, training=True, rows=rows)
            value, d_scores = loss.value_and_gradient(Y, scores, sample_weight)
            value += network.penalty()
            network.backward(d_scores, input_grad=False)
        gradient = np.concatenate([g.ravel() for g in grads]).astype(np.float64)
        if not (math.isfinite(value) and np.isfinite(gradient).all()):
            return math.inf, np.zeros_like(theta)  # makes the line search back off
        last["value"] = float(value)
        return float(value), gradient

    reporter = EpochReporter(verbose, max_iter, None)
    started = [time.perf_counter()]

    def record(intermediate_result):
        history.epochs["loss"].append(float(intermediate_result.fun))
        now = time.perf_counter()
        history.epochs["time"].append(now - started[0])
        started[0] = now
        history.best_loss = min(history.best_loss, history.epochs["loss"][-1])
        reporter(history)

    theta = np.concatenate([p.ravel() for p in params]).astype(np.float64)
    with reporter:
        result = scipy.optimize.minimize(
            objective,
            theta,
            method="L-BFGS-B",
            jac=True,
            callback=record,
            options={
                "maxfun": max_fun,
                "maxiter": max_iter,
                "gtol": tol,
            },
        )
    objective(result.x)  # leave the network at the solution
    return result, history


def refresh_running_statistics(network, X, sample_weight=None) -> None:
    """Set batch-norm running statistics to the full-batch ones (full-batch solvers).

    L-BFGS evaluates the objective at trial points too, so the running averages
    it leaves behind mix statistics of weights it rejected. Statistics that
    overflow (float32 features near 1e19) would normalise every prediction to
    the same value: they are refused instead.
    """
    norms = [layer for layer in network.layers if isinstance(layer, nn.BatchNorm)]
    if not norms:
        return
    rows = nn.rows.Rows(weights=sample_weight)
    with np.errstate(over="ignore", invalid="ignore"):
        for layer in network.layers:
            if isinstance(layer, nn.BatchNorm):
                layer.set_running_statistics(X, rows)
            X = layer.forward(X, training=False, rows=rows)
    if not all(np.isfinite(stat).all() for layer in norms for stat in layer.state):
        raise TrainingDivergedError(
            "the batch-normalization statistics of the training data overflow; "
            "standardise the input features."
        )
