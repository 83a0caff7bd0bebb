"""File names read from inside a checkpoint, resolved so that they cannot leave its folder.

A manifest, shard index, tokenizer config or checkpoint state file names
other files. Each such name must be a plain relative name (segments of
letters, digits, `.`, `_`, `-`, not starting with a dot: no `..`, no
absolute path, no URL, no percent-encoding, no backslash) and must resolve,
symbolic links followed, to a regular file inside the folder. The browser
loader (`js/io/safe_url.js`) applies the same rule to URLs.
"""

import os
import re

from keras_gpt2.errors import UnsafePathError

PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")


def is_plain_name(name):
    """True for `model.safetensors`, `shards/a.bin`; False for `../x`, `/etc/x`, `%2e%2e/x`, `http:x`."""
    return (
        isinstance(name, str)
        and 0 < len(name) <= 255
        and all(PLAIN_SEGMENT.fullmatch(segment) for segment in name.split("/"))
    )


def inside(folder, path):
    """True when `path` (symlinks followed) is `folder` itself or lies under it."""
    real_folder = os.path.realpath(folder)
    return os.path.commonpath([os.path.realpath(path), real_folder]) == real_folder


def safe_child(folder, name, where, field):
    """`folder/name`, a regular file inside `folder`; else an `UnsafePathError` or `FileNotFoundError`.

    `where` and `field` name the file and the field the name was read from.

    Examples:
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> safe_child(folder, "../../etc/passwd", "model.json", "weightsManifest[0].paths[0]")
    Traceback (most recent call last):
    ...
    keras_gpt2.errors.UnsafePathError: model.json: weightsManifest[0].paths[0]: '../../etc/passwd' must be a plain \
relative file name inside the model's folder
    """
    if not is_plain_name(name):
        raise UnsafePathError(where, field, f"{name!r} must be a plain relative file name inside the model's folder")
    path = os.path.join(os.fspath(folder), name)
    if not inside(folder, path):
        raise UnsafePathError(where, field, f"{name!r} leads outside {os.fspath(folder)} through a symbolic link")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{where}: {field}: {name!r} is missing from {os.fspath(folder)}")
    return path


def checked_folder_file(folder, name):
    """`folder/name` for a file a format always has; refuses a link that leads out of `folder`."""
    path = os.path.join(os.fspath(folder), name)
    if os.path.lexists(path) and not inside(folder, path):
        raise UnsafePathError(path, None, "is a symbolic link that leads outside its folder")
    return path
