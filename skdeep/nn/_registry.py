"""Name lookup shared by every ``get(name)`` in :mod:`skdeep.nn`."""

from __future__ import annotations


def lookup(kind: str, name: str, table: dict):
    """Return ``table[name]`` or raise a ``ValueError`` that lists the valid names.

    Parameters
    ----------
    kind : str
        What is being looked up ("activation", "loss", ...), used in the message.
    name : str
        The requested name.
    table : dict
        Valid names (aliases included) mapped to what they stand for.
    """
    if not isinstance(name, str) or name not in table:
        valid = ", ".join(repr(key) for key in sorted(table))
        raise ValueError(f"Unknown {kind} {name!r}. Valid {kind} names are: {valid}.")
    return table[name]
