"""Write a whole directory or file so that readers see all of it or none of it."""

import contextlib
import os
import shutil
import tempfile


@contextlib.contextmanager
def atomic_directory(path, overwrite=True):
    """Yields a temporary directory that replaces `path` only if the block succeeds.

    The temporary directory sits next to `path` (same filesystem, so the final
    rename is atomic). On any error it is deleted and `path` is left as it was.
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} already exists.")
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=parent)
    try:
        yield staging
        if os.path.exists(path):
            if not os.path.isdir(path):
                raise FileExistsError(f"{path} exists and is not a directory.")
            retired = staging + ".old"
            os.rename(path, retired)
            os.rename(staging, path)
            shutil.rmtree(retired)
        else:
            os.rename(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
