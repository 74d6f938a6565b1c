"""Save and load estimators without pickle: a zip of JSON and ``.npy`` arrays.

:func:`save` writes an estimator (fitted or not, or a Pipeline of skdeep
estimators and scikit-learn scalers) to a zip archive holding

``model.json``
    the format name and version, the versions of skdeep, numpy and
    scikit-learn that wrote it, the estimator's class and constructor
    parameters and every fitted attribute, as JSON (see
    :mod:`skdeep.persistence._codec` for the encoding);
``arrays/<n>.npy``
    each numpy array once, in numpy's own format, read back with
    ``allow_pickle=False``.

:func:`load` rebuilds only classes on an allow-list
(:mod:`skdeep.persistence._allowlist`) and never executes code from the file;
anything it cannot read exactly as declared raises a ``ValueError`` that says
what is wrong. See the user guide page "Saving and loading models" for why this
is safer than pickle or joblib, and where it is not enough.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from typing import IO

import numpy as np
import sklearn
from sklearn.base import BaseEstimator

from .._version import __version__
from .._warnings import warn
from . import _allowlist as allow
from . import _archive
from . import _arrays as arrays_module
from . import _codec as codec

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MAX_HEADER_BYTES",
    "MAX_HEADER_COMPRESSION_RATIO",
    "load",
    "save",
]
from ._archive import (
    FORMAT_NAME,
    FORMAT_VERSION,
    HEADER,
    MAX_HEADER_BYTES,
    MAX_HEADER_COMPRESSION_RATIO,
)


def save(estimator: BaseEstimator, path: str | os.PathLike | IO[bytes]) -> None:
    """Save an estimator to a file that :func:`load` reads back without pickle.

    Parameters
    ----------
    estimator : estimator
        A skdeep estimator, fitted or not, or a scikit-learn ``Pipeline`` whose
        steps are skdeep estimators or scikit-learn scalers (``StandardScaler``,
        ``MinMaxScaler``, ``MaxAbsScaler``, ``RobustScaler``, ``Normalizer``,
        ``PolynomialFeatures``). Parameters that are callables must be skdeep
        schedules or activation functions (or ``skdeep.nn.activations.sigmoid``
        and ``softplus``).
    path : str, os.PathLike or binary file object
        Where to write. A path is written through a temporary file in the same
        directory and renamed into place, so a failed save leaves no partial
        file behind. A file object must be opened for binary writing.

    Raises
    ------
    TypeError
        If ``estimator`` or any value it holds cannot be saved; the message
        names the attribute (e.g. ``KNN.weights``) and lists what is supported.
        Also if a parameter is invalid for its class, or a ``Pipeline`` has a
        ``memory`` cache (its pickles would be trusted when loaded).
    ValueError
        If the estimator's JSON header would exceed the 16 MiB that
        :func:`load` accepts (a history of tens of thousands of epochs).

    See Also
    --------
    load : Read the file back.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import skdeep
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = skdeep.LeastSquaresRegressor().fit(X, [1.0, 3.0, 5.0, 7.0])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.skdeep")
    ...     skdeep.save(model, path)
    ...     loaded = skdeep.load(path)
    >>> loaded.predict([[10.0]])
    array([21.])
    """
    if not isinstance(estimator, BaseEstimator):
        raise TypeError(
            f"save takes a scikit-learn-compatible estimator, got "
            f"{type(estimator).__name__}."
        )
    if type(estimator) not in allow.class_names():
        raise TypeError(
            f"Cannot save a {type(estimator).__module__}."
            f"{type(estimator).__qualname__}: only the classes on skdeep's "
            f"allow-list can be saved ({', '.join(sorted(allow.allowed_classes()))})."
        )
    tree, table, stored = codec.encode(estimator)
    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "class": allow.class_names()[type(estimator)],
        "skdeep_version": __version__,
        "numpy_version": np.__version__,
        "sklearn_version": sklearn.__version__,
        "estimator": tree,
        "arrays": table,
    }
    # allow_nan=False: every non-finite float must already be a tagged value.
    document = json.dumps(header, allow_nan=False, indent=1).encode("utf-8")
    if len(document) > MAX_HEADER_BYTES:
        raise ValueError(
            f"Cannot save this {type(estimator).__name__}: its {HEADER} would take "
            f"{len(document)} bytes, more than the {MAX_HEADER_BYTES} load accepts "
            "(it holds parameters, labels and the per-epoch history, not arrays)."
        )
    if isinstance(path, (str, os.PathLike)):
        _archive.save_to_path(os.fspath(path), document, stored)
    else:
        _archive.write_zip(path, document, stored)


def load(path: str | os.PathLike | IO[bytes]) -> BaseEstimator:
    """Load an estimator written by :func:`save`, without unpickling anything.

    Only classes on skdeep's allow-list are rebuilt, from data alone: no
    constructor, ``__setstate__`` or other code named by the file runs, and
    arrays are read with ``allow_pickle=False``.

    Parameters
    ----------
    path : str, os.PathLike or binary file object
        The file to read (a file object must be seekable or is read into
        memory first).

    Returns
    -------
    estimator
        The estimator, with the same parameters, fitted attributes and
        predictions as the one saved; training can continue from it
        (``partial_fit``, ``warm_start``) exactly as it would have.

    Raises
    ------
    TypeError
        If ``path`` is neither a path nor a binary file object (bytes, None, a
        text stream).
    ValueError
        If the file is a pickle, not a zip archive, truncated or tampered
        with, names a class that is not on the allow-list, was written by a
        newer format version, holds arrays that are compressed or do not
        match their declared dtype and shape, attributes that would replace
        a method, or parameters the class refuses (including a ``Pipeline``
        ``memory`` that is not None). The message says which.

    Warns
    -----
    UserWarning
        If the file was written with another version of scikit-learn and
        holds scikit-learn objects, whose attributes may have changed.

    See Also
    --------
    save : Write the file.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> import skdeep
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1]
    >>> buffer = io.BytesIO()
    >>> skdeep.save(skdeep.KNN(n_neighbors=1).fit(X, y), buffer)
    >>> _ = buffer.seek(0)
    >>> skdeep.load(buffer).predict([[2.2]])
    array([1])
    """
    if isinstance(path, (str, os.PathLike)):
        with open(path, "rb") as file:
            return _load_file(file)
    if not callable(getattr(path, "read", None)) or isinstance(path, io.TextIOBase):
        raise TypeError(
            "load takes a path (str or os.PathLike) or a binary file object opened "
            f"for reading, got {type(path).__name__}."
        )
    if not (hasattr(path, "seekable") and path.seekable()):
        path = io.BytesIO(path.read())
    return _load_file(path)


def _load_file(file) -> BaseEstimator:
    start = file.tell()
    magic = file.read(4)
    file.seek(start)
    if magic.startswith(_archive.PICKLE_PROTOCOL_2_PLUS):
        raise ValueError(
            "This file is a pickle, not a skdeep file. skdeep.load never unpickles: "
            "unpickling runs whatever code the file names. Load it with pickle or "
            "joblib only if you trust its origin completely, then save it with "
            "skdeep.save."
        )
    if magic not in _archive.ZIP_MAGIC:
        raise ValueError(
            f"Not a skdeep file: it does not start like a zip archive "
            f"(first bytes {magic!r}). skdeep.save writes zip archives."
        )
    try:
        with zipfile.ZipFile(file) as archive:
            return _load_archive(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error) as error:
        message = f"The skdeep file is truncated or corrupt ({error})."
        raise ValueError(message) from error
    except (NotImplementedError, RuntimeError) as error:
        # zipfile's answer to an unknown compression method or an encrypted member.
        message = f"The skdeep file uses a zip feature skdeep never writes ({error})."
        raise ValueError(message) from error


def _load_archive(archive: zipfile.ZipFile) -> BaseEstimator:
    infos = {}
    for info in archive.infolist():
        if info.filename in infos:
            raise ValueError(f"The skdeep file holds {info.filename!r} twice.")
        _archive.check_compression(info)
        infos[info.filename] = info
    header = _archive.read_header(archive, infos)
    stored = {
        entry["member"]
        for entry in header["arrays"]
        if type(entry) is dict
        and entry.get("kind") == "npy"
        and type(entry.get("member")) is int
    }
    expected = {HEADER} | {_archive.member_name(n) for n in stored}
    missing, extra = expected - infos.keys(), infos.keys() - expected
    if missing or extra:
        raise ValueError(
            f"The skdeep file does not hold the members it declares: missing "
            f"{sorted(missing)}, unexpected {sorted(extra)}."
        )

    def read_member(number: int, dtype: np.dtype, shape: tuple) -> np.ndarray:
        return _archive.read_array(
            archive, infos[_archive.member_name(number)], dtype, shape
        )

    try:
        arrays = arrays_module.build(header["arrays"], read_member)
        estimator, class_names = codec.decode(header["estimator"], arrays)
    except RecursionError as error:
        raise ValueError("The skdeep file nests its values too deeply.") from error
    if not isinstance(estimator, BaseEstimator) or (
        allow.class_names()[type(estimator)] != header["class"]
    ):
        raise ValueError(
            f"The skdeep file declares class {header['class']!r} but holds "
            f"{type(estimator).__name__}."
        )
    if any(name.startswith("sklearn.") for name in class_names):
        _warn_on_sklearn_version(header)
    return estimator


def _warn_on_sklearn_version(header: dict) -> None:
    written = header.get("sklearn_version")
    if written == sklearn.__version__:
        return
    warn(
        f"This skdeep file holds scikit-learn objects saved with scikit-learn "
        f"{written}; this is scikit-learn {sklearn.__version__}. Their fitted "
        "attributes may have changed meaning: check the loaded model's predictions.",
        UserWarning,
    )
