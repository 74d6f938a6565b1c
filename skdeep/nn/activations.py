"""Activation functions, each a small class with its value and its derivative.

``get(name)`` returns an *activation function* (``f(z)``, ``f.derivative(z, a)``),
handy on its own for plotting or teaching; :class:`Activation` wraps one into a
layer. All forms are numerically stable: no overflow for ``|z| = 1e4`` in float32
or float64.

=============  ==============================  =================================
name           f(z)                            f'(z)
=============  ==============================  =================================
identity       z                               1
sigmoid        1 / (1 + e⁻ᶻ)                   σ(z)(1 − σ(z))
tanh           tanh z                          1 − tanh² z
relu           max(z, 0)                       1[z > 0]
leaky_relu     z if z > 0 else αz              1 if z > 0 else α
prelu          like leaky_relu, α learned      (and ∂f/∂α = min(z, 0))
elu            z if z > 0 else α(eᶻ − 1)       1 if z > 0 else f(z) + α
gelu           z Φ(z)                          Φ(z) + z φ(z)
swish          z σ(z)                          σ(z)(1 + z(1 − σ(z)))
mish           z tanh(softplus z)              tanh(sp) + z σ(z)(1 − tanh²(sp))
softplus       log(1 + eᶻ)                     σ(z)
=============  ==============================  =================================

Φ and φ are the standard normal CDF and density; ``logistic`` is an alias of
``sigmoid`` and ``silu`` of ``swish``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erf

from ._registry import lookup
from .layers import Layer, attribute_arrays, check_built_array


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function computed through ``exp(-|z|)``, which never overflows.

    Parameters
    ----------
    z : ndarray
        Scores, any shape.

    Returns
    -------
    ndarray
        ``1 / (1 + exp(-z))`` elementwise, in the dtype of ``z``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.activations import sigmoid
    >>> sigmoid(np.array([-1e4, 0.0, 1e4]))
    array([0. , 0.5, 1. ])
    """
    e = np.exp(-np.abs(z))
    r = 1.0 / (1.0 + e)
    return np.where(z >= 0, r, e * r)


def softplus(z: np.ndarray) -> np.ndarray:
    """Compute ``log(1 + exp(z))`` as ``logaddexp(0, z)``, exact for large ``|z|``.

    Parameters
    ----------
    z : ndarray
        Scores, any shape.

    Returns
    -------
    ndarray
        ``log(1 + exp(z))`` elementwise, in the dtype of ``z``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.activations import softplus
    >>> softplus(np.array([-1e4, 1e4]))
    array([    0., 10000.])
    >>> bool(softplus(np.array([0.0]))[0] == np.log(2.0))
    True
    """
    return np.logaddexp(0.0, z)


class ActivationFunction:
    """An elementwise function ``a = f(z)`` and its derivative.

    Subclasses implement ``__call__`` and ``derivative(z, a)`` (``a = f(z)`` is
    passed so that derivatives written in terms of the output reuse it).
    ``rectifier`` marks the ReLU family, for which ``init="auto"`` picks He
    initialization. Functions with a learnable parameter (PReLU) also override
    ``build`` and ``parameter_gradients``.

    Examples
    --------
    >>> from skdeep.nn import activations
    >>> f = activations.get("sigmoid")
    >>> isinstance(f, activations.ActivationFunction), f.rectifier
    (True, False)
    """

    name = ""
    rectifier = False
    # The attributes holding the learnable parameters: ``params`` is read off
    # them, as a layer's is (see skdeep.nn.layers).
    param_attributes: tuple[str, ...] = ()

    @property
    def params(self) -> list[np.ndarray]:
        """The learnable parameters (empty before ``build``)."""
        return attribute_arrays(self, self.param_attributes)

    def __call__(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Return f'(z) elementwise."""
        raise NotImplementedError

    def backward(self, z: np.ndarray, a: np.ndarray, da: np.ndarray) -> np.ndarray:
        """Chain rule through the function: ``dz = da ⊙ f'(z)``."""
        return da * self.derivative(z, a)

    def build(self, n_in: int, dtype) -> None:
        """Create learnable parameters, if any."""

    def parameter_gradients(self, z: np.ndarray, da: np.ndarray) -> list[np.ndarray]:
        """Gradients of the loss with respect to ``params``."""
        return []

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Identity(ActivationFunction):
    """The identity ``f(z) = z`` (``"identity"`` or ``"linear"``); ``f'(z) = 1``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.activations import Identity
    >>> f, z = Identity(), np.array([-2.0, 3.0])
    >>> f(z), f.derivative(z, f(z))
    (array([-2.,  3.]), array([1., 1.]))
    """

    name = "identity"

    def __call__(self, z):
        return z

    def derivative(self, z, a):
        return np.ones_like(z)

    def backward(self, z, a, da):
        return da


class Sigmoid(ActivationFunction):
    """The logistic function σ(z) = 1 / (1 + e⁻ᶻ); ``f'(z) = σ(z)(1 − σ(z))``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.activations import Sigmoid
    >>> f, z = Sigmoid(), np.array([0.0])
    >>> f(z), f.derivative(z, f(z))
    (array([0.5]), array([0.25]))
    """

    name = "sigmoid"

    def __call__(self, z):
        return sigmoid(z)

    def derivative(self, z, a):
        return a * (1.0 - a)


class Tanh(ActivationFunction):
    """The hyperbolic tangent; ``f'(z) = 1 − tanh² z``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.activations import Tanh
    >>> f, z = Tanh(), np.array([0.0, 1e4])
    >>> f(z), f.derivative(z, f(z))
    (array([0., 1.]), array([1., 0.]))
    """

    name = "tanh"

    def __call__(self, z):
        return np.tanh(z)

    def derivative(self, z, a):
        return 1.0 - a * a


class ReLU(ActivationFunction):
    """Rectified linear unit ``max(z, 0)``; ``f'(z) = 1`` for ``z > 0``, else 0.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.activations import ReLU
    >>> f, z = ReLU(), np.array([-1.0, 2.0])
    >>> f(z), f.derivative(z, f(z))
    (array([0., 2.]), array([0., 1.]))
    """

    name = "relu"
    rectifier = True

    def __call__(self, z):
        return np.maximum(z, 0.0)

    def derivative(self, z, a):
        return (z > 0).astype(z.dtype)

    def backward(self, z, a, da):
        # Multiplying by the boolean mask keeps da's dtype and skips a cast.
        return da * (z > 0)


class LeakyReLU(ActivationFunction):
    """Leaky ReLU: ``z`` for positive inputs, ``alpha·z`` otherwise.

    Parameters
    ----------
    alpha : float, default=0.01
        Slope for negative inputs.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.activations import LeakyReLU
    >>> f, z = LeakyReLU(alpha=0.1), np.array([-2.0, 3.0])
    >>> f(z), f.derivative(z, f(z))
    (array([-0.2,  3. ]), array([0.1, 1. ]))
    """

    name = "leaky_relu"
    rectifier = True

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = alpha

    def __call__(self, z):
        return np.where(z > 0, z, self.alpha * z)

    def derivative(self, z, a):
        return np.where(z > 0, 1.0, self.alpha).astype(z.dtype)

    def __repr__(self):
        return f"LeakyReLU(alpha={self.alpha!r})"


class PReLU(ActivationFunction):
    """Leaky ReLU whose negative slope is learned, one per unit.

    Parameters
    ----------
    alpha_init : float, default=0.25
        Initial slope for negative inputs, the same for every unit.

    Notes
    -----
    ``f(z) = z`` for ``z > 0`` and ``α z`` otherwise, so the gradient of the
    loss with respect to unit j's slope is ``Σᵢ dAᵢⱼ · min(zᵢⱼ, 0)``.

    References
    ----------
    He et al. (2015), "Delving deep into rectifiers".

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.activations import PReLU
    >>> f = PReLU()
    >>> f.build(2, np.float64)
    >>> z = np.array([[-4.0, 4.0]])
    >>> f(z), f.parameter_gradients(z, np.ones_like(z))
    (array([[-1.,  4.]]), [array([-4.,  0.])])
    """

    name = "prelu"
    rectifier = True
    param_attributes = ("alpha",)

    def __init__(self, alpha_init: float = 0.25) -> None:
        super().__init__()
        self.alpha_init = alpha_init

    def build(self, n_in, dtype):
        self.alpha = np.full(n_in, self.alpha_init, dtype=dtype)

    def __call__(self, z):
        return np.where(z > 0, z, self.alpha * z)

    def derivative(self, z, a):
        return np.where(z > 0, 1.0, self.alpha).astype(z.dtype)

    def parameter_gradients(self, z, da):
        return [np.einsum("ij,ij->j", da, np.minimum(z, 0.0))]

    def __repr__(self):
        return f"PReLU(alpha_init={self.alpha_init!r})"


class ELU(ActivationFunction):
    """Exponential linear unit: ``z`` if positive, else ``alpha·(exp(z) − 1)``.

    Parameters
    ----------
    alpha : float, default=1.0
        The value ``−alpha`` is approached as ``z → −∞``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.activations import ELU
    >>> f, z = ELU(), np.array([-1e4, 0.0, 2.0])
    >>> f(z), f.derivative(z, f(z))
    (array([-1.,  0.,  2.]), array([0., 1., 1.]))
    """

    name = "elu"
    rectifier = True

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha

    def __call__(self, z):
        # exp only ever sees non-positive values: no overflow for large z.
        return np.where(z > 0, z, self.alpha * np.expm1(np.minimum(z, 0.0)))

    def derivative(self, z, a):
        return np.where(z > 0, 1.0, a + self.alpha).astype(z.dtype)

    def __repr__(self):
        return f"ELU(alpha={self.alpha!r})"


_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class GELU(ActivationFunction):
    """Gaussian error linear unit, exact form ``z·Φ(z)`` (not the tanh approximation).

    References
    ----------
    Hendrycks & Gimpel (2016), "Gaussian Error Linear Units (GELUs)".

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.activations import GELU
    >>> f, z = GELU(), np.array([0.0, 10.0])
    >>> f(z), f.derivative(z, f(z))
    (array([ 0., 10.]), array([0.5, 1. ]))
    """

    name = "gelu"
    rectifier = True

    def __call__(self, z):
        return z * (0.5 * (1.0 + erf(z * _SQRT_HALF)))

    def derivative(self, z, a):
        cdf = 0.5 * (1.0 + erf(z * _SQRT_HALF))
        pdf = _INV_SQRT_2PI * np.exp(-0.5 * z * z)
        return cdf + z * pdf


class Swish(ActivationFunction):
    """Swish / SiLU: ``z·σ(z)``.

    References
    ----------
    Ramachandran, Zoph & Le (2017), "Searching for Activation Functions".

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.activations import Swish
    >>> f, z = Swish(), np.array([0.0, 1e4])
    >>> f(z), f.derivative(z, f(z))
    (array([    0., 10000.]), array([0.5, 1. ]))
    """

    name = "swish"
    rectifier = True

    def __call__(self, z):
        return z * sigmoid(z)

    def derivative(self, z, a):
        s = sigmoid(z)
        return s * (1.0 + z * (1.0 - s))


class Mish(ActivationFunction):
    """Mish: ``z·tanh(softplus(z))``.

    References
    ----------
    Misra (2019), "Mish: A Self Regularized Non-Monotonic Activation Function".

    Examples
    --------
    At 0 the derivative is tanh(log 2) = 3/5:

    >>> import numpy as np
    >>> from skdeep.nn.activations import Mish
    >>> f, z = Mish(), np.array([0.0])
    >>> f(z), f.derivative(z, f(z))
    (array([0.]), array([0.6]))
    """

    name = "mish"
    rectifier = True

    def __call__(self, z):
        return z * np.tanh(softplus(z))

    def derivative(self, z, a):
        t = np.tanh(softplus(z))
        return t + z * sigmoid(z) * (1.0 - t * t)


class Softplus(ActivationFunction):
    """Softplus ``log(1 + eᶻ)``, a smooth ReLU; ``f'(z) = σ(z)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn.activations import Softplus
    >>> f, z = Softplus(), np.array([0.0])
    >>> bool(f(z)[0] == np.log(2.0)), f.derivative(z, f(z))
    (True, array([0.5]))
    """

    name = "softplus"
    rectifier = True

    def __call__(self, z):
        return softplus(z)

    def derivative(self, z, a):
        return sigmoid(z)


ACTIVATIONS: dict[str, type[ActivationFunction]] = {
    "identity": Identity,
    "linear": Identity,
    "sigmoid": Sigmoid,
    "logistic": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "prelu": PReLU,
    "elu": ELU,
    "gelu": GELU,
    "swish": Swish,
    "silu": Swish,
    "mish": Mish,
    "softplus": Softplus,
}


def get(name: str, **kwargs) -> ActivationFunction:
    """Return a new activation function called ``name``.

    Parameters
    ----------
    name : str
        One of the keys of ``ACTIVATIONS``.
    **kwargs
        Options of that function (``alpha`` for leaky_relu and elu, ``alpha_init``
        for prelu).

    Returns
    -------
    ActivationFunction
        A new instance, callable on arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.nn import activations
    >>> relu = activations.get("relu")
    >>> z = np.array([-1.0, 2.0])
    >>> relu(z), relu.derivative(z, relu(z))
    (array([0., 2.]), array([0., 1.]))
    """
    return lookup("activation", name, ACTIVATIONS)(**kwargs)


class Activation(Layer):
    """Layer applying an activation function elementwise.

    Parameters
    ----------
    name : str, default="relu"
        Activation name, see :func:`get`.
    **kwargs
        Passed to the activation function (e.g. ``alpha=0.1`` for leaky_relu).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep import nn
    >>> layer = nn.Activation("tanh")
    >>> layer.build(2, np.random.default_rng(0), np.float64)
    2
    >>> layer.forward(np.array([[0.0, 1e4]]))
    array([[0., 1.]])
    """

    cache_attributes = ("_Z", "_A")

    def __init__(self, name: str = "relu", **kwargs) -> None:
        super().__init__()
        self.function = get(name, **kwargs)
        self.name = name
        self.kwargs = kwargs

    @property
    def rectifier(self) -> bool:
        return self.function.rectifier

    @property
    def params(self):
        return self.function.params

    @property
    def grad_attributes(self) -> tuple[str, ...]:
        # One gradient per parameter of the function, named after it (dalpha).
        return tuple(f"d{name}" for name in self.function.param_attributes)

    def build(self, n_in, rng, dtype=np.float64):
        self.function.build(n_in, dtype)
        for name, param in zip(self.grad_attributes, self.params, strict=True):
            setattr(self, name, np.zeros_like(param))
        return n_in

    def check_built(self, n_in, dtype):
        function = vars(self).get("function")
        if not isinstance(function, ActivationFunction):
            raise ValueError(
                f"Activation.function must be an activation function, got "
                f"{type(function).__name__}."
            )
        names = zip(function.param_attributes, self.grad_attributes, strict=True)
        for name, grad in names:
            check_built_array(function, name, (n_in,), dtype, finite=True)
            check_built_array(self, grad, (n_in,), dtype, finite=False)
        return n_in

    def forward(self, X, training=False, rows=None, *, keep_for_backward=False):
        A = self.function(X)
        if training or keep_for_backward:
            self._Z, self._A = X, A
        return A

    def backward(self, dY, input_grad=True):
        if self.function.param_attributes:  # PReLU; skipped in the common case
            gradients = self.function.parameter_gradients(self._Z, dY)
            for grad, value in zip(self.grads, gradients, strict=True):
                grad[...] = value
        if not input_grad:
            return None
        return self.function.backward(self._Z, self._A, dY)

    def __repr__(self):
        extra = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return f"Activation({self.name!r}{extra})"
