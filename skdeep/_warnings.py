"""Warnings reported at the user's line, not at skdeep's or scikit-learn's.

A fit reaches its warnings through a varying number of frames: scikit-learn's
``_fit_context`` wrapper, ``fit`` or ``partial_fit``, the solver. Counting them
by hand into ``stacklevel`` breaks whenever the code moves, and the warning is
then reported inside a library, where a user's filter by module cannot catch
it. :func:`warn` walks the stack instead: it reports the first frame outside
skdeep and the libraries that call it on the user's behalf (scikit-learn's
wrappers and meta-estimators, joblib's workers).
"""

from __future__ import annotations

import os
import sys
import warnings

import joblib
import sklearn


def _package_dir(module) -> str:
    return os.path.dirname(os.path.abspath(module.__file__)) + os.sep


_INTERNAL_DIRS = tuple(
    _package_dir(module)
    for module in (sys.modules[__package__], sklearn, joblib)  # skdeep itself first
)


def user_stacklevel() -> int:
    """``stacklevel`` of the first frame outside skdeep, scikit-learn and joblib.

    Counted from the caller of this function, as :func:`warnings.warn` counts
    from its own caller. When every frame is internal, it is the outermost one.
    (A worker thread's stack ends in :mod:`threading`, whose frame is then the
    first outside.)

    Examples
    --------
    >>> user_stacklevel()  # called from outside skdeep: the caller's own frame
    1
    """
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and os.path.abspath(
        frame.f_code.co_filename
    ).startswith(_INTERNAL_DIRS):
        frame = frame.f_back
        level += 1
    return level


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """:func:`warnings.warn`, reported at the user's line (see the module docstring).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn("look here")
    >>> caught[0].message.args[0]
    'look here'
    """
    warnings.warn(message, category, stacklevel=user_stacklevel())
