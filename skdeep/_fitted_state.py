"""What every family's load-time check of a fitted state shares."""

from __future__ import annotations


def check_unfitted(name: str, state: dict, key: str) -> None:
    """Refuse the attributes ``state`` of an estimator ``name`` that lack its
    fitted ``key`` but hold other fitted attributes.

    scikit-learn's ``check_is_fitted`` deems an estimator fitted by any
    attribute ending in "_", so such a file would load as a fitted model
    without the model itself.
    """
    fitted = sorted(k for k in state if k.endswith("_") and not k.startswith("__"))
    if fitted:
        raise ValueError(
            f"{name} holds the fitted attributes {fitted[:5]} but no {key}; a "
            "fitted model holds all of its fitted attributes."
        )
