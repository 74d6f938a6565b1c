"""Weight initializers: ``(shape, rng, dtype, *, fans=None) -> array``.

``fan_in`` is ``shape[0]`` and ``fan_out`` is ``shape[1]`` (a Dense kernel is stored
``(n_in, n_out)``), unless ``fans`` gives them: a bias of shape ``(n_out,)`` is
drawn at its kernel's scale with ``fans=(n_in, n_out)``. The scales keep the
variance of activations (Glorot: of activations and gradients) roughly constant
from layer to layer:

========================  ==========  ===============================
name                      law         scale
========================  ==========  ===============================
glorot_uniform            U(-a, a)    a = √(6 / (fan_in + fan_out))
glorot_normal             N(0, σ²)    σ = √(2 / (fan_in + fan_out))
he_uniform                U(-a, a)    a = √(6 / fan_in)
he_normal                 N(0, σ²)    σ = √(2 / fan_in)
lecun_uniform             U(-a, a)    a = √(3 / fan_in)
lecun_normal              N(0, σ²)    σ = √(1 / fan_in)
sklearn_logistic_uniform  U(-a, a)    a = √(2 / (fan_in + fan_out))
zeros                     0
========================  ==========  ===============================

scikit-learn's MLPs draw kernels and biases from ``glorot_uniform``'s U(-a, a),
or from ``sklearn_logistic_uniform``'s for logistic units.

References
----------
Glorot & Bengio (2010), "Understanding the difficulty of training deep feedforward
neural networks". He et al. (2015), "Delving deep into rectifiers". LeCun et al.
(1998), "Efficient BackProp".
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ._registry import lookup

Initializer = Callable[[tuple, np.random.Generator, np.dtype], np.ndarray]


def _fans(shape: tuple, fans: tuple[int, int] | None = None) -> tuple[int, int]:
    if fans is not None:
        return fans
    fan_in = shape[0]
    fan_out = shape[1] if len(shape) > 1 else shape[0]
    return fan_in, fan_out


def _uniform(limit: float, shape, rng, dtype) -> np.ndarray:
    return rng.uniform(-limit, limit, size=shape).astype(dtype, copy=False)


def _normal(std: float, shape, rng, dtype) -> np.ndarray:
    return (std * rng.standard_normal(size=shape)).astype(dtype, copy=False)


def glorot_uniform(shape, rng, dtype=np.float64, *, fans=None) -> np.ndarray:
    """Glorot (Xavier) uniform: U(-a, a) with a = √(6 / (fan_in + fan_out)).

    Parameters
    ----------
    shape : tuple of int
        ``(fan_in, fan_out)`` for a Dense kernel.
    rng : numpy.random.Generator
        The only source of randomness.
    dtype : numpy dtype, default=np.float64
        dtype of the result.
    fans : tuple of int, optional
        ``(fan_in, fan_out)`` the scale is computed from, when it is not that
        of ``shape`` (a bias drawn at its kernel's scale).

    Returns
    -------
    ndarray of shape ``shape``

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.initializers import glorot_uniform
    >>> W = glorot_uniform((400, 200), np.random.default_rng(0))
    >>> bool(np.abs(W).max() <= np.sqrt(6 / 600)), bool(np.abs(W).max() > 0.09)
    (True, True)
    """
    fan_in, fan_out = _fans(shape, fans)
    return _uniform(math.sqrt(6.0 / (fan_in + fan_out)), shape, rng, dtype)


def glorot_normal(shape, rng, dtype=np.float64, *, fans=None) -> np.ndarray:
    """Glorot (Xavier) normal: N(0, σ²) with σ = √(2 / (fan_in + fan_out)).

    Parameters
    ----------
    shape : tuple of int
        ``(fan_in, fan_out)`` for a Dense kernel.
    rng : numpy.random.Generator
        The only source of randomness.
    dtype : numpy dtype, default=np.float64
        dtype of the result.
    fans : tuple of int, optional
        ``(fan_in, fan_out)`` the scale is computed from, when it is not that
        of ``shape`` (a bias drawn at its kernel's scale).

    Returns
    -------
    ndarray of shape ``shape``

    Examples
    --------
    The sample standard deviation of 80 000 draws is within 1% of σ = 1/√300:

    >>> import numpy as np
    >>> from skdeep.nn.initializers import glorot_normal
    >>> W = glorot_normal((400, 200), np.random.default_rng(0))
    >>> bool(abs(W.std() * np.sqrt(300) - 1) < 0.01)
    True
    """
    fan_in, fan_out = _fans(shape, fans)
    return _normal(math.sqrt(2.0 / (fan_in + fan_out)), shape, rng, dtype)


def he_uniform(shape, rng, dtype=np.float64, *, fans=None) -> np.ndarray:
    """He (Kaiming) uniform: U(-a, a) with a = √(6 / fan_in).

    Parameters
    ----------
    shape : tuple of int
        ``(fan_in, fan_out)`` for a Dense kernel.
    rng : numpy.random.Generator
        The only source of randomness.
    dtype : numpy dtype, default=np.float64
        dtype of the result.
    fans : tuple of int, optional
        ``(fan_in, fan_out)`` the scale is computed from, when it is not that
        of ``shape`` (a bias drawn at its kernel's scale).

    Returns
    -------
    ndarray of shape ``shape``

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.initializers import he_uniform
    >>> W = he_uniform((600, 100), np.random.default_rng(0), np.float32)
    >>> W.dtype, bool(np.abs(W).max() <= np.sqrt(6 / 600))
    (dtype('float32'), True)
    """
    fan_in, _ = _fans(shape, fans)
    return _uniform(math.sqrt(6.0 / fan_in), shape, rng, dtype)


def he_normal(shape, rng, dtype=np.float64, *, fans=None) -> np.ndarray:
    """He (Kaiming) normal: N(0, σ²) with σ = √(2 / fan_in).

    Parameters
    ----------
    shape : tuple of int
        ``(fan_in, fan_out)`` for a Dense kernel.
    rng : numpy.random.Generator
        The only source of randomness.
    dtype : numpy dtype, default=np.float64
        dtype of the result.
    fans : tuple of int, optional
        ``(fan_in, fan_out)`` the scale is computed from, when it is not that
        of ``shape`` (a bias drawn at its kernel's scale).

    Returns
    -------
    ndarray of shape ``shape``

    Examples
    --------
    The sample standard deviation of 60 000 draws is within 1% of σ = √(2/600):

    >>> import numpy as np
    >>> from skdeep.nn.initializers import he_normal
    >>> W = he_normal((600, 100), np.random.default_rng(0))
    >>> bool(abs(W.std() / np.sqrt(2 / 600) - 1) < 0.01)
    True
    """
    fan_in, _ = _fans(shape, fans)
    return _normal(math.sqrt(2.0 / fan_in), shape, rng, dtype)


def lecun_uniform(shape, rng, dtype=np.float64, *, fans=None) -> np.ndarray:
    """LeCun uniform: U(-a, a) with a = √(3 / fan_in).

    Parameters
    ----------
    shape : tuple of int
        ``(fan_in, fan_out)`` for a Dense kernel.
    rng : numpy.random.Generator
        The only source of randomness.
    dtype : numpy dtype, default=np.float64
        dtype of the result.
    fans : tuple of int, optional
        ``(fan_in, fan_out)`` the scale is computed from, when it is not that
        of ``shape`` (a bias drawn at its kernel's scale).

    Returns
    -------
    ndarray of shape ``shape``

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.initializers import lecun_uniform
    >>> W = lecun_uniform((300, 100), np.random.default_rng(0))
    >>> bool(np.abs(W).max() <= 0.1), bool(np.abs(W).max() > 0.099)
    (True, True)
    """
    fan_in, _ = _fans(shape, fans)
    return _uniform(math.sqrt(3.0 / fan_in), shape, rng, dtype)


def lecun_normal(shape, rng, dtype=np.float64, *, fans=None) -> np.ndarray:
    """LeCun normal: N(0, σ²) with σ = √(1 / fan_in).

    Parameters
    ----------
    shape : tuple of int
        ``(fan_in, fan_out)`` for a Dense kernel.
    rng : numpy.random.Generator
        The only source of randomness.
    dtype : numpy dtype, default=np.float64
        dtype of the result.
    fans : tuple of int, optional
        ``(fan_in, fan_out)`` the scale is computed from, when it is not that
        of ``shape`` (a bias drawn at its kernel's scale).

    Returns
    -------
    ndarray of shape ``shape``

    Examples
    --------
    The sample standard deviation of 40 000 draws is within 1% of σ = 1/20:

    >>> import numpy as np
    >>> from skdeep.nn.initializers import lecun_normal
    >>> W = lecun_normal((400, 100), np.random.default_rng(0))
    >>> bool(abs(W.std() * 20 - 1) < 0.01)
    True
    """
    fan_in, _ = _fans(shape, fans)
    return _normal(math.sqrt(1.0 / fan_in), shape, rng, dtype)


def sklearn_logistic_uniform(shape, rng, dtype=np.float64, *, fans=None) -> np.ndarray:
    """scikit-learn's rule for logistic units: U(-a, a), a = √(2 / (fan_in + fan_out)).

    scikit-learn draws kernels *and* biases from U(-a, a) with
    a = √(f / (fan_in + fan_out)): f = 6 (Glorot uniform) for every
    activation but the logistic sigmoid, for which f = 2; this is the f = 2
    case. Draw a bias with ``fans`` set to its kernel's.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_in, fan_out)`` for a Dense kernel.
    rng : numpy.random.Generator
        The only source of randomness.
    dtype : numpy dtype, default=np.float64
        dtype of the result.
    fans : tuple of int, optional
        ``(fan_in, fan_out)`` the scale is computed from, when it is not that
        of ``shape`` (a bias drawn at its kernel's scale).

    Returns
    -------
    ndarray of shape ``shape``

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.initializers import sklearn_logistic_uniform
    >>> b = sklearn_logistic_uniform((200,), np.random.default_rng(0), fans=(100, 200))
    >>> bool(np.abs(b).max() <= np.sqrt(2 / 300)), bool(np.abs(b).max() > 0.08)
    (True, True)
    """
    fan_in, fan_out = _fans(shape, fans)
    return _uniform(math.sqrt(2.0 / (fan_in + fan_out)), shape, rng, dtype)


def zeros(shape, rng=None, dtype=np.float64, *, fans=None) -> np.ndarray:
    """All zeros (for biases; a zero kernel cannot break the symmetry between units).

    Parameters
    ----------
    shape : tuple of int
        ``(fan_in, fan_out)`` for a Dense kernel.
    rng : numpy.random.Generator or None, default=None
        Unused: every initializer takes the same arguments.
    dtype : numpy dtype, default=np.float64
        dtype of the result.
    fans : tuple of int, optional
        Unused, like ``rng``.

    Returns
    -------
    ndarray of shape ``shape``

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.initializers import zeros
    >>> zeros((2, 3), None, np.float32)
    array([[0., 0., 0.],
           [0., 0., 0.]], dtype=float32)
    """
    return np.zeros(shape, dtype=dtype)


INITIALIZERS: dict[str, Initializer] = {
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "xavier_uniform": glorot_uniform,
    "xavier_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "kaiming_uniform": he_uniform,
    "kaiming_normal": he_normal,
    "lecun_uniform": lecun_uniform,
    "lecun_normal": lecun_normal,
    "sklearn_logistic_uniform": sklearn_logistic_uniform,
    "zeros": zeros,
}


def get(name: str, *, rectifier: bool = False) -> Initializer:
    """Return the initializer called ``name``.

    Parameters
    ----------
    name : str
        One of the keys of ``INITIALIZERS``, or ``"auto"``: He uniform when the
        layer feeds a rectifier (``rectifier=True``: the ReLU family), Glorot
        uniform otherwise.
    rectifier : bool, default=False
        Only read for ``"auto"``.

    Returns
    -------
    callable
        ``(shape, rng, dtype) -> ndarray``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn import initializers
    >>> he_normal = initializers.get("he_normal")
    >>> W = he_normal((784, 512), np.random.default_rng(0), np.float32)
    >>> W.dtype, W.shape
    (dtype('float32'), (784, 512))
    """
    if name == "auto":
        return he_uniform if rectifier else glorot_uniform
    return lookup("initializer", name, {**INITIALIZERS, "auto": None})
