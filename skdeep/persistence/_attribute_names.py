"""Which attribute names a file may set on an object it describes."""

from __future__ import annotations

import inspect

from . import _allowlist as allow


def check_attribute_names(cls: type, attributes: dict, path: str) -> None:
    """Refuse attributes that would change what ``cls``'s methods are."""
    name = allow.class_names()[cls]
    for key, value in attributes.items():
        # An instance attribute named like a method would replace it
        # (``predict`` → an allow-listed function), and one named like a
        # class-level table would change it (``_parameter_constraints``).
        # Only plain defaults (History's counters) may be overridden.
        if any(key in vars(klass) for klass in cls.__mro__):
            static = inspect.getattr_static(cls, key)
            if type(static) not in (type(None), bool, int, str, float):
                raise ValueError(
                    f"{path}: attribute {key!r} would replace the method or class "
                    f"attribute {name}.{key}; a file may only set parameters and "
                    "data attributes."
                )
            continue
        # A name the class lacks must not add a method either: by its name
        # (``predict_proba`` on a regressor) or by holding a function.
        if key in allow.method_names():
            raise ValueError(
                f"{path}: attribute {key!r} is named like a method, which "
                f"{name} does not have; a file may not add methods."
            )
        if callable(value) and key not in allow.callable_attributes(cls):
            raise ValueError(
                f"{path}: attribute {key!r} holds a callable "
                f"({type(value).__name__}), which {name} does not declare; a file "
                "may not add methods."
            )
