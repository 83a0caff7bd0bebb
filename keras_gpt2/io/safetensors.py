"""A small, strict reader and writer for the safetensors format.

Format: 8 bytes little-endian header length N, N bytes of JSON header
(`{name: {"dtype", "shape", "data_offsets": [begin, end]}}`, plus an
optional `__metadata__`), then the raw little-endian data. Reading maps the
file (no copy until a tensor is used) and checks every offset and size
against the file before touching data; nothing in the file is executed.
"""

import json
import math
import os

import numpy as np

from keras_gpt2.errors import InvalidCheckpointError
from keras_gpt2.io.checked_json import CheckedJSON
from keras_gpt2.io.checked_json import parse_json

DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4", "U8": "u1", "BOOL": "?"}
MAX_HEADER_BYTES = 100 * 1024 * 1024


def _numpy_dtype(code):
    if code == "BF16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(DTYPES[code])


def read_safetensors(path):
    """`{name: numpy array}` (memory-mapped, float32 for BF16) from a `.safetensors` file.

    As the safetensors library does, the header must be a JSON object of
    entries with a known dtype, a shape of non-negative integers and
    `data_offsets` that tile the data exactly (no gaps, no overlaps), so a
    file cannot declare more than it holds or alias one tensor onto another.
    """
    path = os.fspath(path)
    size = os.path.getsize(path)
    with open(path, "rb") as file:
        prefix = file.read(8)
        if len(prefix) < 8:
            raise InvalidCheckpointError(path, None, "is too short to be a safetensors file")
        header_size = int.from_bytes(prefix, "little")
        if header_size > min(MAX_HEADER_BYTES, size - 8):
            raise InvalidCheckpointError(
                path, "header", f"length {header_size:,} does not fit the file ({size:,} bytes): truncated?"
            )
        header = CheckedJSON(parse_json(file.read(header_size), path, MAX_HEADER_BYTES), path, "header")
    header.as_object()
    data_start = 8 + header_size
    data_size = size - data_start
    layouts = []
    for name in header.keys():
        if name == "__metadata__":
            header.get(name, dict)
            continue
        entry = header.child(name)
        code = entry.get("dtype", str)
        if code not in DTYPES and code != "BF16":
            raise entry.error(f"{code!r} is not a supported dtype", "dtype")
        shape = [item.value for _, item in entry.child("shape", list).items(int)]
        if any(d < 0 for d in shape):
            raise entry.error(f"{shape} has a negative dimension", "shape")
        offsets = [item.value for _, item in entry.child("data_offsets", list).items(int)]
        if len(offsets) != 2 or not 0 <= offsets[0] <= offsets[1] <= data_size:
            raise entry.error(f"{offsets} lie outside the {data_size:,} data bytes: truncated?", "data_offsets")
        dtype = _numpy_dtype(code)
        expected = math.prod(shape) * dtype.itemsize
        if offsets[1] - offsets[0] != expected:
            raise entry.error(
                f"hold {offsets[1] - offsets[0]:,} bytes, shape {shape} needs {expected:,}", "data_offsets"
            )
        layouts.append((offsets[0], offsets[1], name, dtype, shape))
    position = 0
    for begin, end, name, _, _ in sorted(layouts):
        if begin != position:
            problem = "overlap another tensor" if begin < position else f"leave a gap at byte {position:,}"
            raise InvalidCheckpointError(path, f"header.{name}.data_offsets", problem)
        position = end
    if position != data_size:
        raise InvalidCheckpointError(path, None, f"has {data_size - position:,} bytes after the last tensor")
    data = (
        np.memmap(path, dtype=np.uint8, mode="r", offset=data_start, shape=(data_size,))
        if data_size
        else np.zeros(0, np.uint8)
    )
    tensors = {}
    for begin, end, name, dtype, shape in layouts:
        array = data[begin:end].view(dtype).reshape(shape)
        tensors[name] = array.astype(np.float32) if dtype.name == "bfloat16" else array
    return tensors


def write_safetensors(path, tensors, metadata=None):
    """Writes `{name: array}` (float32/float16/int arrays) as safetensors, in the given order."""
    codes = {np.dtype(v): k for k, v in DTYPES.items()}
    header, offset = {}, 0
    arrays = {name: np.ascontiguousarray(array) for name, array in tensors.items()}
    for name, array in arrays.items():
        code = codes.get(array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype)
        if code is None:
            raise ValueError(f"Cannot write tensor {name!r} of dtype {array.dtype} to safetensors.")
        header[name] = {"dtype": code, "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # keep the data 8-byte aligned
    with open(path, "wb") as file:
        file.write(len(encoded).to_bytes(8, "little"))
        file.write(encoded)
        for array in arrays.values():
            file.write(array.tobytes())
