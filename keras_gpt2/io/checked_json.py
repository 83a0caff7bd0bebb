"""JSON read from files we do not trust: size-capped, duplicate keys refused, every field typed.

`CheckedJSON` wraps a parsed value with the file it came from and the
field path inside it, so every error names both:

    web/model.json: modelTopology.config.backbone.config.num_heads: must be an integer, got 'two'
"""

import json
import math
import os

from keras_gpt2.errors import InvalidCheckpointError

# A side file (config, manifest, tokenizer config) is never this large; a vocabulary of
# 50,257 tokens is 1 MB. The cap keeps a hostile file from making us parse gigabytes.
MAX_JSON_BYTES = 64 * 1024 * 1024

REQUIRED = object()
KIND_NAMES = {
    int: "an integer",
    float: "a number",
    str: "a string",
    bool: "true or false",
    list: "a list",
    dict: "an object",
}


def _refuse_duplicates(pairs):
    value = dict(pairs)
    if len(value) != len(pairs):
        seen, duplicates = set(), set()
        for key, _ in pairs:
            (duplicates if key in seen else seen).add(key)
        raise _DuplicateKeys(sorted(duplicates))
    return value


class _DuplicateKeys(ValueError):
    pass


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def parse_json(data, where, max_bytes=MAX_JSON_BYTES):
    """The value of JSON `data` (bytes or str); any problem is an `InvalidCheckpointError` naming `where`."""
    if len(data) > max_bytes:
        raise InvalidCheckpointError(where, None, f"is {len(data):,} bytes, more than the {max_bytes:,} allowed")
    try:
        return json.loads(data, object_pairs_hook=_refuse_duplicates, parse_constant=_refuse_constant)
    except _DuplicateKeys as error:
        raise InvalidCheckpointError(where, None, f"repeats the key(s) {error.args[0]}") from None
    except UnicodeDecodeError as error:
        raise InvalidCheckpointError(where, None, f"is not UTF-8 text ({error.reason} at byte {error.start})") from None
    except (json.JSONDecodeError, ValueError, RecursionError) as error:
        raise InvalidCheckpointError(where, None, f"is not valid JSON ({error})") from None


def read_file_capped(path, max_bytes, where=None):
    """The bytes of a regular file, refusing one larger than `max_bytes` before reading it."""
    where = where or path
    if not os.path.isfile(path):
        raise InvalidCheckpointError(where, None, "is missing (or is not a regular file)")
    size = os.path.getsize(path)
    if size > max_bytes:
        raise InvalidCheckpointError(where, None, f"is {size:,} bytes, more than the {max_bytes:,} allowed")
    with open(path, "rb") as file:
        return file.read(max_bytes + 1)


class CheckedJSON:
    """A JSON value plus where it came from; typed accessors raise errors that name the field.

    Examples:
    >>> doc = CheckedJSON({"n_embd": 768, "n_head": "12"}, "config.json")
    >>> doc.get("n_embd", int)
    768
    >>> doc.get("n_head", int)
    Traceback (most recent call last):
    ...
    keras_gpt2.errors.InvalidCheckpointError: config.json: n_head: must be an integer, got '12'
    """

    def __init__(self, value, where, field=""):
        self.value = value
        self.where = os.fspath(where)
        self.field = field

    @classmethod
    def read(cls, path, max_bytes=MAX_JSON_BYTES):
        """Reads and parses the file at `path`."""
        return cls(parse_json(read_file_capped(path, max_bytes), path, max_bytes), path)

    def error(self, problem, key=None):
        """An `InvalidCheckpointError` about this value (or its field `key`)."""
        return InvalidCheckpointError(self.where, self._path(key) or None, problem)

    def _path(self, key):
        if key is None:
            return self.field
        step = f"[{key}]" if isinstance(key, int) else str(key)
        return f"{self.field}{'' if isinstance(key, int) or not self.field else '.'}{step}"

    def _check(self, value, kind, key):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = any(
            (isinstance(value, k) and not (k in (int, float) and isinstance(value, bool)))
            or (k is float and isinstance(value, int) and not isinstance(value, bool))
            for k in kinds
        )
        if not ok:
            wanted = " or ".join(KIND_NAMES.get(k, k.__name__) for k in kinds)
            raise self.error(f"must be {wanted}, got {_short(value)}", key)
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(f"must be finite, got {value}", key)
        return value

    def as_object(self):
        self._check(self.value, dict, None)
        return self

    def keys(self):
        return list(self.as_object().value)

    def has(self, key):
        return isinstance(self.value, dict) and key in self.value

    def get(self, key, kind, default=REQUIRED, minimum=None):
        """`self[key]`, which must be of `kind` (a type or tuple of types) and, when a number
        and `minimum` is given, at least `minimum`; `default` when absent."""
        self.as_object()
        if key not in self.value or (self.value[key] is None and default is not REQUIRED):
            if default is REQUIRED:
                raise self.error("is missing", key)
            return default
        value = self._check(self.value[key], kind, key)
        if minimum is not None and isinstance(value, (int, float)) and value < minimum:
            raise self.error(f"must be at least {minimum}, got {value}", key)
        return value

    def child(self, key, kind=dict, default=REQUIRED):
        """`self[key]` as a `CheckedJSON` (an object unless `kind` says otherwise)."""
        value = self.get(key, kind, default)
        return None if value is None else CheckedJSON(value, self.where, self._path(key))

    def items(self, kind=None):
        """`[(index, CheckedJSON)]` of a list value, each of `kind` when given."""
        self._check(self.value, list, None)
        return [
            (i, CheckedJSON(self._check(v, kind, i) if kind else v, self.where, self._path(i)))
            for i, v in enumerate(self.value)
        ]


def _short(value):
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
