"""The file container of :func:`skdeep.save`: a zip archive, read within bounds.

Writing puts the JSON header and each array in its members. Reading never
trusts a size the archive declares: the header's size and compression ratio
are checked before it is parsed, and each ``.npy`` member is checked against
the array the header declares (dtype, shape, byte count) before its data is
read, in pieces, so that memory follows the bytes actually present.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import tokenize
import zipfile
import zlib
from collections import Counter

import numpy as np

from .._version import __version__

FORMAT_NAME = "skdeep-model"
FORMAT_VERSION = 1
HEADER = "model.json"
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
PICKLE_PROTOCOL_2_PLUS = b"\x80"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def save_to_path(path: str, document: bytes, stored: list[np.ndarray]) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".skdeep-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            write_zip(file, document, stored)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def write_zip(file, document: bytes, stored: list[np.ndarray]) -> None:
    with zipfile.ZipFile(file, "w") as archive:
        # A header that deflates more than load accepts (a long, flat history)
        # is stored as it is, so that load reads every file save writes.
        ratio = len(document) / len(zlib.compress(document))
        deflate = ratio < MAX_HEADER_COMPRESSION_RATIO / 2
        compress = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
        archive.writestr(HEADER, document, compress_type=compress)
        for number, array in enumerate(stored):
            # Stored uncompressed: float data barely compresses, and the loader
            # can then check each member's size against its declared shape.
            with archive.open(
                member_name(number), "w", force_zip64=array.nbytes > 2**30
            ) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def check_compression(info: zipfile.ZipInfo) -> None:
    """Refuse a member compressed in a way ``save`` never writes.

    zipfile bounds what it returns by the size the archive declares, but it
    hands bzip2 and LZMA whole chunks to decompress: 883 bytes of bzip2
    expand to 269 MiB in memory before any size is compared.
    """
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        method = zipfile.compressor_names.get(info.compress_type, "unknown")
        raise ValueError(
            f"{info.filename}: compression method {method} "
            f"({info.compress_type}); skdeep.save only stores or deflates members."
        )


def read_header(archive: zipfile.ZipFile, infos: dict) -> dict:
    if HEADER not in infos:
        raise ValueError(f"Not a skdeep file: the archive holds no {HEADER}.")
    info = infos[HEADER]
    if info.file_size > MAX_HEADER_BYTES:
        raise ValueError(
            f"The skdeep file's {HEADER} declares {info.file_size} bytes, more "
            f"than the {MAX_HEADER_BYTES} a header may have."
        )
    if info.file_size > MAX_HEADER_COMPRESSION_RATIO * max(info.compress_size, 1):
        raise ValueError(
            f"The skdeep file's {HEADER} expands from {info.compress_size} to "
            f"{info.file_size} bytes, more than {MAX_HEADER_COMPRESSION_RATIO} "
            "times: skdeep headers never compress that well."
        )
    with archive.open(info) as member:
        document = _read_exactly(member, info.file_size, HEADER)
        if member.read(1):  # also where zipfile checks the CRC
            raise ValueError(f"{HEADER}: trailing data after its declared size.")
    try:
        header = json.loads(
            document.decode("utf-8"),
            parse_constant=_refuse_constant,
            object_pairs_hook=_unique_keys,
        )
    except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
        raise ValueError(
            f"The skdeep file's {HEADER} is not valid JSON ({error})."
        ) from error
    if type(header) is not dict:
        raise ValueError(f"The skdeep file's {HEADER} is not a JSON object.")
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
            f"skdeep ({__version__}) reads format versions up to "
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


def read_array(archive, info, dtype: np.dtype, shape: tuple) -> np.ndarray:
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
    # numpy parses a header it cannot read as a dict literal with tokenize
    # (for Python 2 files), whose errors are neither of the others.
    except (ValueError, OSError, EOFError, SyntaxError, tokenize.TokenError) as error:
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


def member_name(number: int) -> str:
    return f"arrays/{number}.npy"


def _refuse_constant(name: str):
    raise ValueError(f"non-standard JSON constant {name}")


def _unique_keys(pairs: list) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        # Counted in one pass: list.count per key is quadratic in a crafted
        # header's tens of thousands of keys.
        counts = Counter(key for key, _ in pairs)
        duplicates = sorted(key for key, count in counts.items() if count > 1)
        raise ValueError(f"duplicate JSON keys {duplicates[:10]}")
    return result
