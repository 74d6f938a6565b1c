"""Save and load estimators without pickle: a zip of JSON and ``.npy`` arrays.

:func:`save` writes an estimator (fitted or not, or a Pipeline of skdeep
estimators and scikit-learn scalers) to a zip archive holding

``model.json``
    the format name and version, the versions of skdeep, numpy and
    scikit-learn that wrote it, the estimator's class and constructor
    parameters and every fitted attribute, as JSON (see
    :mod:`skdeep._persistence_codec` for the encoding);
``arrays/<n>.npy``
    each numpy array once, in numpy's own format, read back with
    ``allow_pickle=False``.

:func:`load` rebuilds only classes on an allow-list
(:mod:`skdeep._persistence_allowlist`) and never executes code from the file;
anything it cannot read exactly as declared raises a ``ValueError`` that says
what is wrong. See the user guide page "Saving and loading models" for why this
is safer than pickle or joblib, and where it is not enough.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import warnings
import zipfile
import zlib
from typing import IO

import numpy as np
import sklearn
from sklearn.base import BaseEstimator

from . import _persistence_allowlist as allow
from . import _persistence_arrays as arrays_module
from . import _persistence_codec as codec

FORMAT_NAME = "skdeep-model"
FORMAT_VERSION = 1
_HEADER = "model.json"
# Limits that bound what a crafted file can make load allocate before any
# check. The JSON document never holds array data, only parameters, the
# structure of the model, label names and per-epoch history (about 300 bytes
# an epoch): a four-layer MLP with batch norm and early stopping trained for
# 2000 epochs writes 0.6 MB, so 16 MiB leaves a wide margin. Parsing JSON costs
# up to ~70 bytes of memory per byte of document (``[]`` repeated), so this cap
# also bounds what parsing a crafted header can take.
MAX_HEADER_BYTES = 16 * 2**20
# The header is deflated; real headers compress 3 to 12 times (measured on the
# estimators in the tests), while deflate can reach about 1000. Refusing more
# than 100 keeps a file's header within 100 times the bytes it occupies, so a
# small file cannot ask for a large parse.
MAX_HEADER_COMPRESSION_RATIO = 100
_MAX_NPY_HEADER_BYTES = 2**16 + 16
# Array data is read in pieces of this size, so that memory grows with the
# bytes actually present, not with sizes declared in a crafted zip directory.
_READ_CHUNK_BYTES = 2**20
_PICKLE_PROTOCOL_2_PLUS = b"\x80"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


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
        "skdeep_version": _skdeep_version(),
        "numpy_version": np.__version__,
        "sklearn_version": sklearn.__version__,
        "estimator": tree,
        "arrays": table,
    }
    # allow_nan=False: every non-finite float must already be a tagged value.
    document = json.dumps(header, allow_nan=False, indent=1).encode("utf-8")
    if len(document) > MAX_HEADER_BYTES:
        raise ValueError(
            f"Cannot save this {type(estimator).__name__}: its {_HEADER} would take "
            f"{len(document)} bytes, more than the {MAX_HEADER_BYTES} load accepts "
            "(it holds parameters, labels and the per-epoch history, not arrays)."
        )
    if isinstance(path, (str, os.PathLike)):
        _save_to_path(os.fspath(path), document, stored)
    else:
        _write_zip(path, document, stored)


def _save_to_path(path: str, document: bytes, stored: list[np.ndarray]) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".skdeep-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            _write_zip(file, document, stored)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _write_zip(file, document: bytes, stored: list[np.ndarray]) -> None:
    with zipfile.ZipFile(file, "w") as archive:
        # A header that deflates more than load accepts (a long, flat history)
        # is stored as it is, so that load reads every file save writes.
        ratio = len(document) / len(zlib.compress(document))
        deflate = ratio < MAX_HEADER_COMPRESSION_RATIO / 2
        compress = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
        archive.writestr(_HEADER, document, compress_type=compress)
        for number, array in enumerate(stored):
            # Stored uncompressed: float data barely compresses, and the loader
            # can then check each member's size against its declared shape.
            with archive.open(
                _member_name(number), "w", force_zip64=array.nbytes > 2**30
            ) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


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
    if not (hasattr(path, "seekable") and path.seekable()):
        path = io.BytesIO(path.read())
    return _load_file(path)


def _load_file(file) -> BaseEstimator:
    start = file.tell()
    magic = file.read(4)
    file.seek(start)
    if magic.startswith(_PICKLE_PROTOCOL_2_PLUS):
        raise ValueError(
            "This file is a pickle, not a skdeep file. skdeep.load never unpickles: "
            "unpickling runs whatever code the file names. Load it with pickle or "
            "joblib only if you trust its origin completely, then save it with "
            "skdeep.save."
        )
    if magic not in _ZIP_MAGIC:
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
        infos[info.filename] = info
    header = _read_header(archive, infos)
    stored = {
        entry["member"]
        for entry in header["arrays"]
        if type(entry) is dict
        and entry.get("kind") == "npy"
        and type(entry.get("member")) is int
    }
    expected = {_HEADER} | {_member_name(n) for n in stored}
    missing, extra = expected - infos.keys(), infos.keys() - expected
    if missing or extra:
        raise ValueError(
            f"The skdeep file does not hold the members it declares: missing "
            f"{sorted(missing)}, unexpected {sorted(extra)}."
        )

    def read_member(number: int, dtype: np.dtype, shape: tuple) -> np.ndarray:
        return _read_array(archive, infos[_member_name(number)], dtype, shape)

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


def _read_header(archive: zipfile.ZipFile, infos: dict) -> dict:
    if _HEADER not in infos:
        raise ValueError(f"Not a skdeep file: the archive holds no {_HEADER}.")
    info = infos[_HEADER]
    if info.file_size > MAX_HEADER_BYTES:
        raise ValueError(
            f"The skdeep file's {_HEADER} declares {info.file_size} bytes, more "
            f"than the {MAX_HEADER_BYTES} a header may have."
        )
    if info.file_size > MAX_HEADER_COMPRESSION_RATIO * max(info.compress_size, 1):
        raise ValueError(
            f"The skdeep file's {_HEADER} expands from {info.compress_size} to "
            f"{info.file_size} bytes, more than {MAX_HEADER_COMPRESSION_RATIO} "
            "times: skdeep headers never compress that well."
        )
    try:
        header = json.loads(
            archive.read(info).decode("utf-8"),
            parse_constant=_refuse_constant,
            object_pairs_hook=_unique_keys,
        )
    except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
        raise ValueError(
            f"The skdeep file's {_HEADER} is not valid JSON ({error})."
        ) from error
    if type(header) is not dict:
        raise ValueError(f"The skdeep file's {_HEADER} is not a JSON object.")
    if header.get("format") != FORMAT_NAME:
        raise ValueError(
            f"Not a skdeep file: format {header.get('format')!r}, expected "
            f"{FORMAT_NAME!r}."
        )
    version = header.get("format_version")
    if type(version) is not int or version < 1:
        raise ValueError(f"The skdeep file has an invalid format_version {version!r}.")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"The file was written by a newer skdeep "
            f"({header.get('skdeep_version')!r}, format version {version}); this "
            f"skdeep ({_skdeep_version()}) reads format versions up to "
            f"{FORMAT_VERSION}. Upgrade skdeep to load it."
        )
    keys = {"format", "format_version", "class", "skdeep_version", "numpy_version",
            "sklearn_version", "estimator", "arrays"}  # fmt: skip
    if set(header) != keys:
        raise ValueError(
            f"The skdeep file's header has keys {sorted(header)}, expected "
            f"{sorted(keys)}."
        )
    if type(header["class"]) is not str or type(header["arrays"]) is not list:
        raise ValueError("The skdeep file's header is malformed.")
    return header


def _read_array(archive, info, dtype: np.dtype, shape: tuple) -> np.ndarray:
    name = info.filename
    # skdeep.save stores arrays uncompressed, so a member's size on disk is its
    # size in memory: a deflated member could expand a small file into a
    # large array (a zip bomb).
    if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
        raise ValueError(
            f"{name}: array members must be stored uncompressed, as skdeep.save "
            f"writes them (this one is compressed from {info.file_size} to "
            f"{info.compress_size} bytes)."
        )
    nbytes = math.prod(shape) * dtype.itemsize
    # Checked before reading: a member cannot make load read more than its
    # declared array needs.
    if not nbytes <= info.file_size <= nbytes + _MAX_NPY_HEADER_BYTES:
        raise ValueError(
            f"{name}: its size ({info.file_size} bytes) does not match the declared "
            f"{dtype} array of shape {shape}."
        )
    try:
        with archive.open(info) as member:
            fortran_order = _read_npy_header(member, name, dtype, shape)
            data = _read_exactly(member, nbytes, name)
            if member.read(1):
                raise ValueError(f"{name}: trailing data after the array.")
    except (ValueError, OSError, EOFError) as error:
        if isinstance(error, ValueError) and str(error).startswith(name):
            raise
        raise ValueError(f"{name}: not a valid .npy array ({error}).") from error
    if nbytes == 0:  # frombuffer cannot view zero bytes as a zero-width dtype
        return np.empty(shape, dtype, order="F" if fortran_order else "C")
    # A bytearray, so the array is writable like any fitted attribute.
    flat = np.frombuffer(data, dtype=dtype)
    return flat.reshape(shape, order="F" if fortran_order else "C")


def _read_npy_header(member, name: str, dtype: np.dtype, shape: tuple) -> bool:
    """Check the member's own npy header against the JSON declaration, before
    anything is allocated from it; return its ``fortran_order``."""
    version = np.lib.format.read_magic(member)
    readers = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }
    if version not in readers:
        raise ValueError(f"{name}: .npy format version {version} is not supported.")
    npy_shape, fortran_order, npy_dtype = readers[version](
        member, max_header_size=_MAX_NPY_HEADER_BYTES
    )
    if npy_dtype.hasobject:
        raise ValueError(f"{name}: object arrays are never loaded.")
    if npy_dtype != dtype or tuple(npy_shape) != shape:
        raise ValueError(
            f"{name}: holds a {npy_dtype} array of shape {tuple(npy_shape)}, "
            f"declared {dtype} of shape {shape}."
        )
    return bool(fortran_order)


def _read_exactly(member, nbytes: int, name: str) -> bytearray:
    data = bytearray()
    while len(data) < nbytes:
        chunk = member.read(min(nbytes - len(data), _READ_CHUNK_BYTES))
        if not chunk:
            raise ValueError(
                f"{name}: truncated: {len(data)} of {nbytes} bytes of array data."
            )
        data += chunk
    return data


def _warn_on_sklearn_version(header: dict) -> None:
    written = header.get("sklearn_version")
    if written == sklearn.__version__:
        return
    warnings.warn(
        f"This skdeep file holds scikit-learn objects saved with scikit-learn "
        f"{written}; this is scikit-learn {sklearn.__version__}. Their fitted "
        "attributes may have changed meaning: check the loaded model's predictions.",
        UserWarning,
        stacklevel=5,  # the caller of load
    )


def _member_name(number: int) -> str:
    return f"arrays/{number}.npy"


def _refuse_constant(name: str):
    raise ValueError(f"non-standard JSON constant {name}")


def _unique_keys(pairs: list) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        keys = [key for key, _ in pairs]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        raise ValueError(f"duplicate JSON keys {duplicates}")
    return result


def _skdeep_version() -> str:
    from . import __version__

    return __version__
