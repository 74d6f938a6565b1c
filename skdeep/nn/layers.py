"""The Layer contract, and the dense and dropout layers.

Batch and layer normalization follow the same contract in
:mod:`skdeep.nn.normalization`.

Every layer follows one contract, so that :class:`~skdeep.nn.Sequential` and the
optimizers never need to know which layer they talk to:

``build(n_in, rng, dtype) -> n_out``
    Create parameters (from ``rng``, never the global NumPy state) in ``dtype``.
``forward(X, training, rows=None, *, keep_for_backward=False) -> Y``
    Compute the output and, in training, cache what ``backward`` needs.
    ``training`` selects batch statistics (batch norm) and random masks
    (dropout). ``rows`` (:class:`~skdeep.nn.rows.Rows`) carries the batch's
    sample weights and content keys, so that a weight means repetition inside
    the layers too. With ``training=False`` (prediction) ``forward`` writes
    nothing on the layer, so that one fitted network serves many threads at
    once, unless the call passes ``keep_for_backward=True``: then it caches
    for ``backward`` as in training, and ``backward`` differentiates the
    prediction function (what :func:`~skdeep.nn.check_gradients` does with
    ``training=False``). The rule is ``training or keep_for_backward``, per
    call: nothing else on or off the layer changes what it stores.
    :class:`~skdeep.nn.Sequential` passes the keyword only when it is true, so
    a layer written for ``forward(X, training, rows)`` still trains and
    predicts (it is needed only for gradient checks in prediction mode).
``backward(dY, input_grad=True) -> dX``
    Given ∂L/∂Y, fill ``grads`` with ∂L/∂θ (same order as ``params``) and return
    ∂L/∂X. With ``input_grad=False`` the layer may skip ∂L/∂X (the first layer
    of a network has nobody to pass it to) and returns ``None``.
``params``, ``grads``, ``state``
    Lists of arrays. ``params[i]`` is updated in place by the optimizer using
    ``grads[i]``; ``state`` (running statistics) is saved and restored with the
    parameters but never touched by an optimizer.

``param_attributes``, ``grad_attributes``, ``state_attributes``
    Class attributes naming the attributes that hold those arrays (``("W",
    "b")``): the three lists are read off them at each access (empty before
    ``build``), so that every array has one owner. A list kept beside the
    attributes would alias them, and a serializer that stores arrays on their
    own (joblib's) would bring the two back apart: the optimizer would then
    update arrays that prediction never reads. A layer may instead assign the
    lists (``self.params = [self.s]``), which records the names of the
    attributes holding those arrays (an array held by none becomes an
    attribute of its own).

``cache_attributes``, ``scratch_attributes``
    Class attributes naming the layer's transient attributes, its one
    declaration of them: the values ``forward`` caches for ``backward``, which
    a pickle, a copy or a saved file leaves out (the next training step sets
    them again), and reusable work buffers, which those carry as zeros. Each
    class names only its own; a subclass adds to those of its bases
    (:meth:`Layer.transient_attributes`).

Ownership: a layer never writes into the ``X`` it is given nor into the ``dY``
it is handed (they belong to the caller or to a neighbouring layer, which may
still need them), and what ``forward`` returns is a new array or ``X`` itself,
never a buffer the next call reuses, so that outputs of successive calls (a
prediction in chunks) stay valid. In training, :func:`~skdeep.nn.train` passes
each minibatch in a buffer that it refills for the next step, so a layer may
use its cached input only until its ``backward`` for that step.
"""

from __future__ import annotations

import inspect

import numpy as np
import scipy.sparse

from . import initializers
from .rows import Rows, keyed_bits

# Elements per block of the elementwise penalty-gradient update: 64 Ki float32
# (256 KiB) keeps each block of W, dW and the scratch in the L2 cache.
_BLOCK = 1 << 16


class NotBuiltError(RuntimeError, AttributeError):
    """A layer was used before ``build`` created its arrays.

    An :class:`AttributeError` too, so that ``hasattr`` and ``getattr`` with a
    default keep answering "not there yet".

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep import nn
    >>> try:
    ...     nn.Dense(3).forward(np.ones((2, 4)))
    ... except nn.NotBuiltError as error:
    ...     print(type(error).__name__)
    NotBuiltError
    """


class Layer:
    """Base class of every layer: no parameters, identity forward and backward.

    Subclasses override ``build``, ``forward`` and ``backward`` (and, when
    they have them, ``penalty`` and ``apply_constraints``); see the module
    docstring for the contract.

    A layer that reads ``rows.keys`` in ``forward`` (as :class:`Dropout` does)
    says so with ``uses_row_keys``: :func:`~skdeep.nn.train` hashes the rows
    of ``X`` only for networks that need the keys. A layer that cannot train
    on fewer than some number of rows at once (batch statistics) says so with
    ``min_training_rows``: :func:`~skdeep.nn.train` then joins a smaller last
    minibatch to the one before it.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep import nn
    >>> layer = nn.Layer()
    >>> layer.build(3, np.random.default_rng(0))
    3
    >>> X = np.ones((2, 3))
    >>> layer.forward(X) is X, layer.backward(X) is X, layer.params, layer.penalty()
    (True, True, [], 0.0)
    """

    uses_row_keys: bool = False
    min_training_rows: int = 1
    cache_attributes: tuple[str, ...] = ()
    scratch_attributes: tuple[str, ...] = ()
    param_attributes: tuple[str, ...] = ()
    grad_attributes: tuple[str, ...] = ()
    state_attributes: tuple[str, ...] = ()
    # Attributes that ``build`` sets besides params, grads, state and scratch.
    built_attributes: tuple[str, ...] = ()

    def __getattr__(self, name: str):
        # Only reached when normal lookup fails, so the hot path pays nothing.
        cls = type(self)
        kinds = ("param", "grad", "state", "scratch", "built")
        # A subclass may compute its names (a property): only declared tuples count.
        declared = (vars(base).get(f"{kind}_attributes") for base in cls.__mro__
                    for kind in kinds)  # fmt: skip
        if any(isinstance(names, tuple) and name in names for names in declared):
            raise NotBuiltError(
                f"{cls.__name__} has no {name!r} yet: call build(n_in, rng, dtype) "
                "(or build the Sequential holding it) before using the layer."
            )
        raise AttributeError(f"{cls.__name__!r} object has no attribute {name!r}")

    @property
    def params(self) -> list[np.ndarray]:
        """The parameters, in the order of ``param_attributes``."""
        return attribute_arrays(self, self.param_attributes)

    @params.setter
    def params(self, arrays: list[np.ndarray]) -> None:
        self.param_attributes = adopt_arrays(self, arrays, "params")

    @property
    def grads(self) -> list[np.ndarray]:
        """The gradients of the loss, same order as ``params``."""
        return attribute_arrays(self, self.grad_attributes)

    @grads.setter
    def grads(self, arrays: list[np.ndarray]) -> None:
        self.grad_attributes = adopt_arrays(self, arrays, "grads")

    @property
    def state(self) -> list[np.ndarray]:
        """Arrays saved with the parameters that no optimizer updates."""
        return attribute_arrays(self, self.state_attributes)

    @state.setter
    def state(self, arrays: list[np.ndarray]) -> None:
        self.state_attributes = adopt_arrays(self, arrays, "state")

    @classmethod
    def transient_attributes(cls) -> tuple[frozenset[str], frozenset[str]]:
        """``(caches, scratch)``: the names declared by ``cls`` and its bases.

        Read by pickling and copying (``__getstate__``) and by
        :func:`skdeep.save`, so that both leave out the same caches.
        """
        declared = [vars(base) for base in cls.__mro__]
        caches = frozenset().union(*(d.get("cache_attributes", ()) for d in declared))
        scratch = frozenset().union(
            *(d.get("scratch_attributes", ()) for d in declared)
        )
        return caches, scratch

    def __getstate__(self) -> dict:
        # A copy or pickle taken mid-training (from a callback, say) carries no
        # cache, which may be a view of the training data, and no uninitialised
        # scratch memory.
        caches, scratch = self.transient_attributes()
        state = {k: v for k, v in vars(self).items() if k not in caches}
        for name in scratch & state.keys():
            state[name] = np.zeros_like(state[name])
        return state

    def build(self, n_in: int, rng: np.random.Generator, dtype=np.float64) -> int:
        """Create parameters for ``n_in`` input features; return ``n_out``."""
        return n_in

    def forward(
        self,
        X: np.ndarray,
        training: bool = False,
        rows: Rows | None = None,
        *,
        keep_for_backward: bool = False,
    ) -> np.ndarray:
        """Return the layer's output for the batch ``X``.

        Parameters
        ----------
        X : ndarray or scipy sparse matrix of shape (n_samples, n_in)
            The batch; never written to.
        training : bool, default=False
            Training mode: batch statistics (batch norm), random masks
            (dropout), and what ``backward`` needs kept on the layer.
            Prediction mode (``False``) writes nothing on the layer, so that
            threads can share it.
        rows : Rows, optional
            The batch's sample weights and row keys (:mod:`skdeep.nn.rows`).
        keep_for_backward : bool, default=False
            Keep what ``backward`` needs in prediction mode too, for this call
            only, so that ``backward`` differentiates the prediction function
            (running statistics, no dropout). Only
            :func:`~skdeep.nn.check_gradients` asks for it. A layer caches
            when ``training or keep_for_backward``.

        Returns
        -------
        ndarray of shape (n_samples, n_out)
            A new array, or ``X`` itself; never a buffer a later call reuses.
        """
        return X

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Fill ``grads`` from ∂L/∂Y and return ∂L/∂X (``None`` if not asked for)."""
        return dY if input_grad else None

    def penalty(self) -> float:
        """Regularization term this layer adds to the objective."""
        return 0.0

    def apply_constraints(self) -> None:
        """Project parameters back onto their constraint set (after each step)."""

    def check_built(self, n_in: int, dtype) -> int:
        """Check a built layer's arrays (read from a file, say); return ``n_out``.

        Parameters and state must be ``dtype`` arrays of the shapes ``build``
        gives them for ``n_in`` input features, with finite values;
        gradients must match their parameters. Raises ``ValueError`` naming
        the attribute and the problem.
        """
        n_out, shapes = self._built_shapes(n_in)
        for name, shape in shapes.items():
            check_built_array(self, name, shape, dtype, finite=True)
        pairs = zip(self.param_attributes, self.grad_attributes, strict=True)
        for param, grad in pairs:
            shape = getattr(self, param).shape
            check_built_array(self, grad, shape, dtype, finite=False)
        return n_out

    def _built_shapes(self, n_in: int) -> tuple[int, dict[str, tuple[int, ...]]]:
        """``(n_out, {attribute: shape})`` of what ``build(n_in, ...)`` creates."""
        return n_in, {}

    def __repr__(self) -> str:
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n in names if hasattr(self, n))
        return f"{type(self).__name__}({args})"


def check_built_array(owner, name: str, shape, dtype, finite: bool) -> None:
    """Raise ``ValueError`` unless ``owner.name`` is a ``dtype`` array of ``shape``
    (finite if asked)."""
    where = f"{type(owner).__name__}.{name}"
    value = vars(owner).get(name)
    if type(value) is not np.ndarray:
        raise ValueError(f"{where} must be a numpy array, got {type(value).__name__}.")
    if value.dtype != dtype or value.shape != tuple(shape):
        raise ValueError(
            f"{where} is a {value.dtype} array of shape {value.shape}; expected "
            f"{np.dtype(dtype)} of shape {tuple(shape)}."
        )
    if finite and not np.isfinite(value).all():
        raise ValueError(f"{where} holds NaN or infinite values.")


def attribute_arrays(owner, names: tuple[str, ...]) -> list[np.ndarray]:
    """``[owner.<name> for name in names]``, or ``[]`` before they are set (build)."""
    attributes = vars(owner)
    return [attributes[name] for name in names if name in attributes]


def adopt_arrays(owner, arrays, kind: str) -> tuple[str, ...]:
    """The names of ``owner``'s attributes that hold ``arrays`` (by identity).

    An array that no attribute holds is stored as the attribute
    ``_<kind>_<position>``, so that it too has exactly one owner.
    """
    names = []
    for position, array in enumerate(arrays):
        name = next((k for k, v in vars(owner).items() if v is array), None)
        if name is None:
            name = f"_{kind}_{position}"
            setattr(owner, name, array)
        names.append(name)
    return tuple(names)


class Dense(Layer):
    """Fully connected layer: ``Y = X W + b``.

    Parameters
    ----------
    n_out : int
        Number of output units.
    init : str, default="auto"
        Kernel initializer (see :mod:`skdeep.nn.initializers`). ``"auto"`` uses He
        initialization when the layer feeds a rectifier (set by
        :class:`~skdeep.nn.Sequential`), Glorot otherwise.
    bias_init : str, default="zeros"
        Bias initializer, drawn at the kernel's scale (``fans=(n_in, n_out)``):
        scikit-learn's MLPs draw biases like the kernel.
    l1, l2 : float, default=0
        Penalties ``l1·‖W‖₁ + ½·l2·‖W‖²`` added to the objective (biases are not
        penalised). Their gradients ``l1·sign(W) + l2·W`` are added in ``backward``.
    max_norm : float or None, default=None
        After each optimizer step, rescale every unit's incoming weight vector
        (a column of ``W``) whose Euclidean norm exceeds ``max_norm``.

    Notes
    -----
    With ``Z = X W + b`` and upstream gradient ``dZ = ∂L/∂Z``:
    ``∂L/∂W = Xᵀ dZ``, ``∂L/∂b = Σᵢ dZᵢ``, ``∂L/∂X = dZ Wᵀ``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep import nn
    >>> layer = nn.Dense(3)
    >>> layer.build(4, np.random.default_rng(0), np.float64)
    3
    >>> layer.forward(np.ones((2, 4))).shape
    (2, 3)
    """

    cache_attributes = ("_X",)
    scratch_attributes = ("_scratch",)
    param_attributes = ("W", "b")
    grad_attributes = ("dW", "db")

    def __init__(
        self,
        n_out: int,
        *,
        init: str = "auto",
        bias_init: str = "zeros",
        l1: float = 0.0,
        l2: float = 0.0,
        max_norm: float | None = None,
    ) -> None:
        super().__init__()
        if int(n_out) != n_out or n_out < 1:
            raise ValueError(f"Dense needs a positive integer n_out, got {n_out!r}.")
        if l1 < 0 or l2 < 0:
            raise ValueError(f"l1 and l2 must be >= 0, got l1={l1!r}, l2={l2!r}.")
        if max_norm is not None and not max_norm > 0:
            raise ValueError(f"max_norm must be None or > 0, got {max_norm!r}.")
        initializers.get(init)  # fail now on an unknown name, not at build time
        initializers.get(bias_init)
        self.n_out = int(n_out)
        self.init = init
        self.bias_init = bias_init
        self.l1 = l1
        self.l2 = l2
        self.max_norm = max_norm
        # Set by Sequential: whether the next activation is a rectifier ("auto" init).
        self.feeds_rectifier = False

    def build(self, n_in, rng, dtype=np.float64):
        init = initializers.get(self.init, rectifier=self.feeds_rectifier)
        self.W = init((n_in, self.n_out), rng, dtype)
        bias_init = initializers.get(self.bias_init, rectifier=self.feeds_rectifier)
        self.b = bias_init((self.n_out,), rng, dtype, fans=(n_in, self.n_out))
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self._ones = np.ones(0, dtype=dtype)
        self._scratch = np.empty(min(self.W.size, _BLOCK), dtype=dtype)
        return self.n_out

    def _built_shapes(self, n_in):
        n_out = self.n_out
        if type(n_out) is not int or n_out < 1:
            raise ValueError(f"Dense.n_out must be a positive int, got {n_out!r}.")
        return n_out, {"W": (n_in, n_out), "b": (n_out,)}

    def forward(self, X, training=False, rows=None, *, keep_for_backward=False):
        if training or keep_for_backward:
            self._X = X
        Y = X @ self.W
        Y += self.b
        return Y

    def backward(self, dY, input_grad=True):
        if scipy.sparse.issparse(self._X):  # a first layer fed sparse input
            self.dW[...] = self._X.T @ dY
        else:
            np.matmul(self._X.T, dY, out=self.dW)
        # Σᵢ dYᵢ as the BLAS product 1ᵀ·dY: several times faster than np.sum(axis=0).
        if self._ones.shape[0] != dY.shape[0]:
            self._ones = np.ones(dY.shape[0], dtype=dY.dtype)
        np.matmul(self._ones, dY, out=self.db)
        if self.l2 or self.l1:
            self._add_penalty_gradients()
        return dY @ self.W.T if input_grad else None

    def _add_penalty_gradients(self) -> None:
        """``dW += l2·W + l1·sign(W)`` in blocks through a small scratch array.

        The whole-array form allocates and streams a temporary as large as ``W``
        (1.6 MB for a 784×512 float32 kernel); blocks that stay in cache make
        this about twice as fast, with the same result element for element.
        """
        if not (self.W.flags.c_contiguous and self.dW.flags.c_contiguous):
            # reshape would copy: update the arrays themselves, unblocked.
            if self.l2:
                self.dW += self.l2 * self.W
            if self.l1:
                self.dW += self.l1 * np.sign(self.W)
            return
        W, dW = self.W.reshape(-1), self.dW.reshape(-1)
        for start in range(0, W.size, _BLOCK):
            w, dw = W[start : start + _BLOCK], dW[start : start + _BLOCK]
            tmp = self._scratch[: w.size]
            if self.l2:
                np.multiply(w, self.l2, out=tmp)
                dw += tmp
            if self.l1:
                np.sign(w, out=tmp)
                tmp *= self.l1
                dw += tmp

    def penalty(self):
        value = 0.0
        if self.l2:
            value += 0.5 * self.l2 * float(np.vdot(self.W, self.W))
        if self.l1:
            value += self.l1 * float(np.abs(self.W).sum())
        return value

    def apply_constraints(self):
        if self.max_norm is None:
            return
        norms = np.sqrt(np.einsum("ij,ij->j", self.W, self.W))
        too_long = norms > self.max_norm
        if too_long.any():
            self.W[:, too_long] *= self.max_norm / norms[too_long]


class Dropout(Layer):
    """Inverted dropout: zero each unit with probability ``rate`` while training.

    Kept units are scaled by ``1 / (1 - rate)`` during training so that the
    expected activation is unchanged and nothing needs rescaling at prediction
    time, where the layer is the identity.

    Parameters
    ----------
    rate : float in [0, 1)
        Probability of dropping a unit.

    Notes
    -----
    Forward: ``Y = X ⊙ M / (1 - rate)`` with ``Mᵢⱼ ~ Bernoulli(1 - rate)``;
    backward: ``dX = dY ⊙ M / (1 - rate)``. The mask is drawn from the generator
    given to ``build``, so a seeded network drops the same units every run.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep import nn
    >>> layer = nn.Dropout(0.5)
    >>> layer.build(4, np.random.default_rng(0), np.float64)
    4
    >>> Y = layer.forward(np.ones((1000, 4)), training=True)
    >>> np.unique(Y)
    array([0., 2.])
    >>> layer.forward(np.ones((2, 4)), training=False)
    array([[1., 1., 1., 1.],
           [1., 1., 1., 1.]])
    """

    cache_attributes = ("_mask",)
    built_attributes = ("rng",)

    def __init__(self, rate: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate!r}.")
        self.rate = rate

    @property
    def uses_row_keys(self) -> bool:
        return self.rate > 0.0

    def build(self, n_in, rng, dtype=np.float64):
        self.rng = rng
        return n_in

    def _built_shapes(self, n_in):
        rate = self.rate
        if type(rate) not in (int, float) or not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout.rate must be a float in [0, 1), got {rate!r}.")
        if type(vars(self).get("rng")) is not np.random.Generator:
            raise ValueError("Dropout.rng must be a numpy Generator.")
        return n_in, {}

    def forward(self, X, training=False, rows=None, *, keep_for_backward=False):
        if not training or self.rate == 0.0:
            if training or keep_for_backward:
                self._mask = None
            return X
        # Masks are keyed by row content (see skdeep.nn.rows): copies of a row are
        # dropped alike, so a sample weight of k trains exactly like k copies.
        keys = rows.keys if rows is not None and rows.keys is not None else None
        if keys is None:
            keys = np.arange(X.shape[0], dtype=np.uint64)
        seed = self.rng.integers(np.iinfo(np.uint64).max, dtype=np.uint64)
        threshold = np.uint64(round(self.rate * 2.0**53))
        keep = keyed_bits(keys, seed, X.shape[1]) >= threshold
        self._mask = keep.astype(X.dtype)
        self._mask *= X.dtype.type(1.0 / (1.0 - self.rate))
        return X * self._mask

    def backward(self, dY, input_grad=True):
        if not input_grad:
            return None
        return dY if self._mask is None else dY * self._mask


def __getattr__(name: str):
    # Pickles written before the normalization layers had a module of their
    # own name them here.
    if name in ("BatchNorm", "LayerNorm", "_Normalization"):
        from . import normalization

        return getattr(normalization, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
