"""One name-and-layout table per checkpoint format, used both ways.

A table is a list of `WeightMapping`s. Each links one tensor of the foreign
format to one or more of our variables (by their stable path, e.g.
`transformer_layer_0/self_attention/query/kernel`) with a pair of layout
functions: `to_keras(array) -> tuple of arrays` and `from_keras(*arrays) ->
array`. Import and export walk the same table, so they cannot drift apart.
"""

import dataclasses
from typing import Callable

import numpy as np


@dataclasses.dataclass(frozen=True)
class WeightMapping:
    """`name` in the foreign checkpoint <-> `paths` of our variables."""

    name: str
    paths: tuple
    to_keras: Callable = lambda array: (array,)
    from_keras: Callable = lambda array: array


def split_heads(num_heads):
    """`[hidden, hidden]` -> `[hidden, num_heads, head_dim]` and back (query/key/value kernels)."""
    return (
        lambda array: (array.reshape(array.shape[0], num_heads, -1),),
        lambda array: array.reshape(array.shape[0], -1),
    )


def backbone_variables(backbone):
    """`{path: variable}` for every weight of a backbone."""
    return {variable.path: variable for variable in backbone.weights}


def assign_from_table(backbone, table, read_tensor, progress=None):
    """Fills `backbone` from a foreign checkpoint.

    `read_tensor(name)` returns a numpy array (or raises `KeyError`). Every
    shape is checked against our variables before anything is assigned, so a
    mismatch leaves the model untouched and the error names the tensor.
    """
    variables = backbone_variables(backbone)
    pending = []
    for mapping in table:
        try:
            array = np.asarray(read_tensor(mapping.name))
        except KeyError:
            raise ValueError(f"Checkpoint has no tensor {mapping.name!r}.") from None
        try:
            pieces = mapping.to_keras(array)
        except ValueError as error:
            raise ValueError(f"Tensor {mapping.name!r} of shape {array.shape} has the wrong layout: {error}") from None
        for path, piece in zip(mapping.paths, pieces):
            expected = tuple(variables[path].shape)
            if tuple(piece.shape) != expected:
                raise ValueError(
                    f"Tensor {mapping.name!r} has shape {array.shape}, which does not fit "
                    f"{path} {expected}: the config does not match the weights."
                )
            pending.append((variables[path], piece))
        if progress is not None:
            progress.update(1)
    missing = set(variables) - {variable.path for variable, _ in pending}
    if missing:
        raise ValueError(f"The table leaves these weights unset: {sorted(missing)}.")
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
