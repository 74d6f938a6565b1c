"""What a warm start or ``partial_fit`` may change in the fitted network.

Both continue the fitted network, so the parameters that built it must still
describe it, or the model would no longer match ``get_params()``. The layers
(``hidden_layer_sizes``, ``activation``, ``normalization``, and which hidden
layers have dropout) are fixed: a change is refused, naming the parameter.
Options that act on existing layers while training are applied to the copy
being trained: the dropout rates and ``max_norm``; so is a new loss with the
same output link (``label_smoothing``; 'huber' for 'squared_error'). (scikit-learn's MLP
silently keeps the fitted layer sizes.)
"""

from __future__ import annotations

from .. import nn

_NORMALIZATION = {nn.BatchNorm: "batch", nn.LayerNorm: "layer"}


def check_same_architecture(estimator, network, hidden) -> None:
    """Refuse parameters that describe layers other than ``network``'s.

    ``hidden`` is ``[(units, dropout rate), ...]`` from the parameters.
    """
    fitted = _architecture(network)
    wanted = {
        "hidden_layer_sizes": [units for units, _ in hidden],
        "activation": estimator.activation,
        "normalization": estimator.normalization,
        "dropout": [rate > 0 for _, rate in hidden],
    }
    if not hidden:  # no hidden layer: activation and normalization describe none
        del wanted["activation"], wanted["normalization"]
    for name, value in wanted.items():
        if value == fitted[name]:
            continue
        if name == "dropout":
            layers = [i + 1 for i, has in enumerate(fitted[name]) if has]
            fitted_value = (
                f"dropout after hidden layers {layers}; the rates may change, "
                "not which layers have dropout"
                if layers
                else "no dropout layers"
            )
        else:
            fitted_value = f"{name}={_plain(fitted[name])!r}"
        raise ValueError(
            f"{name}={getattr(estimator, name)!r} does not match the fitted network "
            f"({fitted_value}), which warm_start and partial_fit continue. Set "
            f"{name} back, or fit a new network (warm_start=False, or a new "
            "estimator for partial_fit)."
        )


def continued_loss(estimator, fitted: nn.losses.Loss) -> nn.losses.Loss:
    """The loss the parameters name now, if it keeps the fitted output link.

    The network's output layer was trained for ``fitted``'s link (identity,
    sigmoid, softmax, exp): a loss with another link would read its scores
    differently, so it is refused; otherwise the change (for example
    ``label_smoothing``, or 'huber' for 'squared_error') is applied.
    """
    loss = estimator._make_loss()
    if type(loss).link is not type(fitted).link:
        raise ValueError(
            f"loss={estimator.loss!r} has another output link than the fitted "
            f"network's loss ({fitted.name!r}), which warm_start and partial_fit "
            "continue. Set loss back, or fit a new network."
        )
    return loss


def apply_training_options(estimator, network, hidden) -> None:
    """Give the network being continued the current dropout rates and max_norm."""
    rates = iter([rate for _, rate in hidden if rate > 0])
    for layer in network.layers:
        if isinstance(layer, nn.Dropout):
            layer.rate = next(rates)
        elif isinstance(layer, nn.Dense):
            layer.max_norm = estimator.max_norm


def _architecture(network) -> dict:
    """The parameters' view of ``network``: Dense → [norm] → activation → [dropout]."""
    layers = network.layers
    dense = [layer for layer in layers if isinstance(layer, nn.Dense)]
    activations = {layer.name for layer in layers if isinstance(layer, nn.Activation)}
    norms = {_NORMALIZATION.get(type(layer)) for layer in layers} - {None}
    dropout = [
        isinstance(after, nn.Dropout)
        for layer, after in zip(layers, [*layers[1:], None], strict=True)
        if isinstance(layer, nn.Activation)
    ]
    return {
        "hidden_layer_sizes": [layer.n_out for layer in dense[:-1]],
        "activation": activations.pop() if len(activations) == 1 else None,
        "normalization": norms.pop() if norms else None,
        "dropout": dropout,
    }


def _plain(value):
    return tuple(value) if isinstance(value, list) else value
