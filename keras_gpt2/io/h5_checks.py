"""HDF5 weight files checked before anything reads a tensor from them.

HDF5 can store a dataset's bytes in another file (external storage), link
to objects in other files (external links), assemble datasets from other
files (virtual datasets), and declare datasets far larger than the file
(unallocated storage reads as fill value, compression expands). h5py follows
all of these when reading. `check_h5_file` walks every link without
following any and refuses all of them, so reading afterwards stays inside
the one file and allocates no more than the file holds.
"""

import os

from keras_gpt2.errors import InvalidCheckpointError

MAX_OBJECTS = 100_000


def check_h5_file(path):
    """`{dataset path: shape}` of `path`; an `InvalidCheckpointError` unless it is a
    self-contained HDF5 file of plain numeric datasets."""
    import h5py

    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} is missing")
    size = os.path.getsize(path)
    try:
        file = h5py.File(path, "r")
    except OSError as error:
        raise InvalidCheckpointError(path, None, f"is not a readable HDF5 file ({error})") from None
    with file:
        declared, shapes = 0, {}
        pending, seen = [("", file)], 0
        while pending:
            prefix, group = pending.pop()
            try:
                names = list(group.keys())
            except (OSError, RuntimeError, KeyError) as error:
                raise InvalidCheckpointError(path, prefix or "/", f"cannot be listed ({error})") from None
            for name in names:
                seen += 1
                if seen > MAX_OBJECTS:
                    raise InvalidCheckpointError(path, None, f"holds more than {MAX_OBJECTS:,} objects")
                field = f"{prefix}/{name}"
                link = group.get(name, getlink=True)
                if not isinstance(link, h5py.HardLink):
                    raise InvalidCheckpointError(
                        path, field, f"is a {type(link).__name__}; only plain objects are read"
                    )
                try:
                    item = group[name]
                except (OSError, RuntimeError, KeyError) as error:
                    raise InvalidCheckpointError(path, field, f"cannot be opened ({error})") from None
                if isinstance(item, h5py.Group):
                    pending.append((field, item))
                    continue
                if not isinstance(item, h5py.Dataset):
                    raise InvalidCheckpointError(path, field, f"is a {type(item).__name__}, not a dataset")
                declared += _check_dataset(path, field, item, size)
                shapes[field.lstrip("/")] = tuple(item.shape)
        if declared > size:
            raise InvalidCheckpointError(path, None, f"declares {declared:,} bytes of data in a {size:,}-byte file")
    return shapes


def _check_dataset(path, field, dataset, file_size):
    if dataset.external:
        raise InvalidCheckpointError(path, field, "keeps its data in another file (external storage)")
    if dataset.is_virtual:
        raise InvalidCheckpointError(path, field, "is a virtual dataset (reads other files)")
    if dataset.dtype.kind not in "fiub" or dataset.dtype.fields is not None:
        raise InvalidCheckpointError(path, field, f"has dtype {dataset.dtype}, not a plain number type")
    if dataset.compression is not None or dataset.id.get_create_plist().get_nfilters():
        raise InvalidCheckpointError(path, field, "is compressed or filtered; weights are stored plain")
    nbytes = dataset.size * dataset.dtype.itemsize
    stored = dataset.id.get_storage_size()
    if nbytes > file_size or stored < nbytes:
        raise InvalidCheckpointError(
            path, field, f"declares shape {dataset.shape} ({nbytes:,} bytes) but stores {stored:,} bytes"
        )
    return nbytes
