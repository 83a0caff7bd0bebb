"""Writing a folder so that nothing is lost: staged beside the destination, swapped in whole.

`writing_folder(destination)` yields an empty staging folder next to the
destination; when the block succeeds, the staging folder takes the
destination's place in one step. Before anything is written it refuses:

- a destination that is a file, or sits under a file;
- a destination that is, contains or lies inside one of the `sources` being read;
- a destination that exists and is not empty, unless `overwrite=True`; and
  even then, a folder holding any file keras-gpt2 did not write there (each
  folder we write lists its files in `.keras-gpt2.json`).

A crash or a kill leaves the destination as it was; the staging folder a
killed process leaves behind is removed by the next write to the same place.
Folders are created with the permissions the umask allows (not 0700), so a
static server running as another user can serve an export.
"""

import contextlib
import ctypes
import json
import os
import shutil
import tempfile

from keras_gpt2.errors import DestinationError
from keras_gpt2.version import __version__

MARKER_FILE = ".keras-gpt2.json"
STAGING_TAG = ".keras-gpt2-staging-"


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _files_under(folder):
    """Relative paths of every file and link under `folder` (empty folders count as nothing)."""
    found = set()
    for root, directories, files in os.walk(folder):
        for name in files + [d for d in directories if os.path.islink(os.path.join(root, d))]:
            found.add(os.path.relpath(os.path.join(root, name), folder))
    return found


def _written_by_us(folder):
    """The files our marker lists in `folder`, or None when there is no readable marker."""
    try:
        with open(os.path.join(folder, MARKER_FILE), encoding="utf-8") as file:
            files = json.load(file).get("files")
    except (OSError, ValueError, AttributeError):
        return None
    return set(files) | {MARKER_FILE} if isinstance(files, list) else None


def _related(a, b):
    a, b = os.path.realpath(a), os.path.realpath(b)
    return os.path.commonpath([a, b]) in (a, b)


def check_destination(destination, sources=(), overwrite=False, argument="destination"):
    """Raises `DestinationError` unless writing `destination` would lose nothing (see the module)."""
    path = os.path.abspath(os.fspath(destination))
    parent = os.path.dirname(path)
    while parent and not os.path.exists(parent):
        parent = os.path.dirname(parent) if os.path.dirname(parent) != parent else ""
    if parent and not os.path.isdir(parent):
        raise DestinationError(destination, None, f"cannot be created: {parent} is a file")
    for source in sources:
        if source is not None and _related(path, source):
            raise DestinationError(
                destination, None, f"is, contains or lies inside the source {os.fspath(source)}; choose another folder"
            )
    if os.path.lexists(path):
        if os.path.islink(path) or not os.path.isdir(path):
            raise DestinationError(destination, None, "exists and is not a folder")
        present = _files_under(path)
        if not present:
            return
        if not overwrite:
            raise DestinationError(
                destination,
                None,
                "exists and is not empty (to replace an output of keras-gpt2, pass --overwrite, "
                "or overwrite=True in Python)",
            )
        ours = _written_by_us(path)
        if ours is None:
            raise DestinationError(destination, None, "holds files keras-gpt2 did not write; refusing to replace it")
        foreign = sorted(present - ours)
        if foreign:
            raise DestinationError(
                destination,
                None,
                f"holds files keras-gpt2 did not write ({', '.join(foreign[:3])}); refusing to replace it",
            )


def _remove_stale_staging(parent, name):
    """Deletes staging folders of `name` whose writing process no longer runs."""
    prefix = f".{name}{STAGING_TAG}"
    for entry in os.listdir(parent):
        if not entry.startswith(prefix):
            continue
        pid = entry[len(prefix) :].split("-")[0]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}") and os.path.exists("/proc/self"):
            shutil.rmtree(os.path.join(parent, entry), ignore_errors=True)


def _exchange(a, b):
    """Swaps two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _swap_in(staging, path):
    if not os.path.exists(path):
        os.rename(staging, path)
        return
    if _exchange(staging, path):
        shutil.rmtree(staging)  # now holds the old destination, which check_destination vetted
        return
    retired = staging + ".old"
    os.rename(path, retired)
    os.rename(staging, path)
    shutil.rmtree(retired)


@contextlib.contextmanager
def writing_folder(destination, sources=(), overwrite=False):
    """Yields a staging folder that replaces `destination` if, and only if, the block succeeds.

    Examples:
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "out")
    >>> with writing_folder(target) as staging:
    ...     _ = open(os.path.join(staging, "a.txt"), "w").write("hello")
    >>> sorted(os.listdir(target))
    ['.keras-gpt2.json', 'a.txt']
    >>> try:
    ...     with writing_folder(target) as staging:
    ...         pass
    ... except DestinationError as error:
    ...     print(error.problem)
    exists and is not empty (to replace an output of keras-gpt2, pass --overwrite, or overwrite=True in Python)
    """
    check_destination(destination, sources, overwrite)
    path = os.path.abspath(os.fspath(destination))
    parent = os.path.dirname(path)
    os.makedirs(parent, mode=0o777, exist_ok=True)
    _remove_stale_staging(parent, os.path.basename(path))
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}{STAGING_TAG}{os.getpid()}-", dir=parent)
    try:
        os.chmod(staging, 0o777 & ~_umask())
        yield staging
        files = sorted(_files_under(staging))
        with open(os.path.join(staging, MARKER_FILE), "w", encoding="utf-8") as file:
            json.dump({"written_by": f"keras-gpt2 {__version__}", "files": files}, file, indent=1)
        check_destination(destination, sources, overwrite)  # nothing appeared there meanwhile
        _swap_in(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
