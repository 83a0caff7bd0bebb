"""A small, strict reader and writer for the safetensors format.

Format: 8 bytes little-endian header length N, N bytes of JSON header
(`{name: {"dtype", "shape", "data_offsets": [begin, end]}}`, plus an
optional `__metadata__`), then the raw little-endian data. Reading maps the
file (no copy until a tensor is used) and checks every offset and size
against the file before touching data; nothing in the file is executed.
"""

import json
import os

import numpy as np

DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4", "U8": "u1", "BOOL": "?"}
MAX_HEADER_BYTES = 100 * 1024 * 1024


def _numpy_dtype(code, path, name):
    if code == "BF16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    if code not in DTYPES:
        raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {code!r}.")
    return np.dtype(DTYPES[code])


def read_safetensors(path):
    """`{name: numpy array}` (memory-mapped, float32 for BF16) from a `.safetensors` file."""
    size = os.path.getsize(path)
    with open(path, "rb") as file:
        prefix = file.read(8)
        if len(prefix) < 8:
            raise ValueError(f"{path} is too short to be a safetensors file.")
        header_size = int.from_bytes(prefix, "little")
        if header_size > min(MAX_HEADER_BYTES, size - 8):
            raise ValueError(f"{path}: header length {header_size} does not fit the file ({size} bytes): truncated?")
        try:
            header = json.loads(file.read(header_size))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: the header is not valid JSON ({error}).") from None
    header.pop("__metadata__", None)
    data_start = 8 + header_size
    data = (
        np.memmap(path, dtype=np.uint8, mode="r", offset=data_start, shape=(size - data_start,))
        if size > data_start
        else np.zeros(0, np.uint8)
    )
    tensors = {}
    for name, entry in header.items():
        dtype = _numpy_dtype(entry.get("dtype"), path, name)
        shape = entry.get("shape")
        begin, end = entry.get("data_offsets", (None, None))
        if not isinstance(shape, list) or any(not isinstance(d, int) or d < 0 for d in shape):
            raise ValueError(f"{path}: tensor {name!r} has an invalid shape {shape!r}.")
        expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end <= len(data)):
            raise ValueError(
                f"{path}: tensor {name!r} lies outside the file (offsets {begin}..{end}, "
                f"{len(data)} data bytes): the file is truncated."
            )
        if end - begin != expected:
            raise ValueError(f"{path}: tensor {name!r} holds {end - begin} bytes, its shape {shape} needs {expected}.")
        array = data[begin:end].view(dtype).reshape(shape)
        tensors[name] = array.astype(np.float32) if entry["dtype"] == "BF16" else array
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
