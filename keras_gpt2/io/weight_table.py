"""One name-and-layout table per checkpoint format, used both ways.

A table is a list of `WeightMapping`s. Each links one tensor of the foreign
format to one or more of our variables (by their stable path, e.g.
`transformer_layer_0/self_attention/query/kernel`) with layout functions:
`to_keras(array) -> tuple of arrays`, `from_keras(*arrays) -> array`, and
`foreign_shape(*our_shapes) -> shape`, which lets a reader check a stored
tensor's declared shape before reading a byte of it. Import and export walk
the same table, so they cannot drift apart.
"""

import dataclasses
import re
from typing import Callable

import numpy as np

from keras_gpt2.errors import InvalidCheckpointError


@dataclasses.dataclass(frozen=True)
class WeightMapping:
    """`name` in the foreign checkpoint <-> `paths` of our variables."""

    name: str
    paths: tuple
    to_keras: Callable = lambda array: (array,)
    from_keras: Callable = lambda array: array
    foreign_shape: Callable = lambda shape: tuple(shape)


@dataclasses.dataclass(frozen=True)
class StoredTensor:
    """A tensor in a file: its declared shape, and a function that reads it (only when called)."""

    shape: tuple
    read: Callable


def as_stored(arrays):
    """`{name: StoredTensor}` for arrays already mapped or in memory."""
    return {name: StoredTensor(tuple(np.shape(array)), lambda array=array: array) for name, array in arrays.items()}


def split_heads(num_heads):
    """`[hidden, hidden]` -> `[hidden, num_heads, head_dim]` and back (query/key/value kernels)."""
    return (
        lambda array: (array.reshape(array.shape[0], num_heads, -1),),
        lambda array: array.reshape(array.shape[0], -1),
    )


def backbone_variables(backbone):
    """`{path: variable}` for every weight of a backbone."""
    return {variable.path: variable for variable in backbone.weights}


def assign_from_table(backbone, table, tensors, where, ignored=(), progress=None):
    """Fills `backbone` from `tensors` (`{name: StoredTensor}`) of a foreign checkpoint.

    Names are checked first (every table name present, no unknown name
    unless it matches one of the `ignored` patterns), then every declared
    shape against our variables, and only then are tensors read, one at a
    time. A problem leaves the model untouched and names the tensor.
    """
    variables = backbone_variables(backbone)
    expected = {
        mapping.name: tuple(mapping.foreign_shape(*(tuple(variables[p].shape) for p in mapping.paths)))
        for mapping in table
    }
    missing = [name for name in expected if name not in tensors]
    if missing:
        raise InvalidCheckpointError(where, missing[0], f"is missing ({len(missing)} tensor(s) missing in all)")
    unknown = [n for n in tensors if n not in expected and not any(re.fullmatch(p, n) for p in ignored)]
    if unknown:
        raise InvalidCheckpointError(where, unknown[0], "is not a weight of this GPT-2 config")
    for name, shape in expected.items():
        if tuple(tensors[name].shape) != shape:
            raise InvalidCheckpointError(
                where, name, f"has shape {tuple(tensors[name].shape)}, but the config needs {shape}"
            )
    pending = []
    for mapping in table:
        array = np.asarray(tensors[mapping.name].read())
        if not np.all(np.isfinite(array)):
            raise InvalidCheckpointError(where, mapping.name, "holds NaN or infinite values")
        for path, piece in zip(mapping.paths, mapping.to_keras(array)):
            pending.append((variables[path], piece))
        if progress is not None:
            progress.update(1)
    for variable, piece in pending:
        variable.assign(piece.astype(variable.dtype, copy=False))


def export_with_table(backbone, table):
    """`{name: numpy array}` in the foreign layout."""
    variables = backbone_variables(backbone)
    return {
        mapping.name: np.ascontiguousarray(
            mapping.from_keras(*(np.asarray(variables[path].numpy()) for path in mapping.paths))
        )
        for mapping in table
    }
