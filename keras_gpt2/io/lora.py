"""LoRA adapter files: the adapters of a backbone alone, in one small HDF5 file.

The file holds one dataset per factor, named by its variable path
(`transformer_layer_0/self_attention/query/lora_kernel_a`), and the rank and
alpha as attributes. Reading checks the file like any weights file
(`check_h5_file`) and refuses tensors that are not exactly this model's
adapters.
"""

import os

import numpy as np

from keras_gpt2.errors import InvalidCheckpointError
from keras_gpt2.io.h5_checks import check_h5_file
from keras_gpt2.models.lora import adapter_variables
from keras_gpt2.models.lora import enable_lora
from keras_gpt2.models.lora import lora_layers

FORMAT = "keras-gpt2-lora-1"


def save_lora_weights(backbone, path, overwrite=False):
    """Writes the adapters (and their rank) to the HDF5 file `path`, written beside it and renamed."""
    import h5py

    adapters = adapter_variables(backbone)
    if not adapters:
        raise ValueError("this backbone has no adapters; call enable_lora(rank) first")
    path = os.fspath(path)
    if os.path.lexists(path) and not overwrite:
        raise FileExistsError(f"{path}: exists; pass overwrite=True to replace it")
    staging = f"{path}.tmp-{os.getpid()}"
    with h5py.File(staging, "w") as file:
        file.attrs["format"] = FORMAT
        file.attrs["rank"] = backbone.lora_rank
        file.attrs["alpha"] = lora_layers(backbone)[0].lora_alpha
        for name, variable in adapters.items():
            file.create_dataset(name, data=np.asarray(variable.numpy()))
    os.replace(staging, path)


def load_lora_weights(backbone, path):
    """Reads adapters written by `save_lora_weights`, enabling them on the same layers first if needed.

    The file is checked before anything is read (`check_h5_file`); its tensors
    must be exactly the adapters of this backbone, with the same shapes.
    """
    import h5py

    path = os.fspath(path)
    shapes = check_h5_file(path)
    with h5py.File(path, "r") as file:
        if file.attrs.get("format") != FORMAT:
            raise InvalidCheckpointError(path, "format", f"is not a keras-gpt2 LoRA file ({FORMAT})")
        rank, alpha = file.attrs.get("rank"), file.attrs.get("alpha")
        if not isinstance(rank, (int, np.integer)) or rank < 1:
            raise InvalidCheckpointError(path, "rank", f"must be a positive integer, got {rank!r}")
        if not isinstance(alpha, (float, int, np.number)) or not np.isfinite(alpha) or alpha <= 0:
            raise InvalidCheckpointError(path, "alpha", f"must be a positive number, got {alpha!r}")
        if not lora_layers(backbone):
            names = tuple(sorted({name.split("/")[-2] for name in shapes if "/" in name}))
            try:
                enable_lora(backbone, int(rank), names, lora_alpha=float(alpha))
            except ValueError as error:
                raise InvalidCheckpointError(path, None, f"names no layer of this model ({error})") from None
        adapters = adapter_variables(backbone)
        if backbone.lora_rank != rank:
            raise InvalidCheckpointError(
                path, "rank", f"is {rank}, the model's adapters have rank {backbone.lora_rank}"
            )
        wanted = {name: tuple(variable.shape) for name, variable in adapters.items()}
        if shapes != wanted:
            extra, missing = sorted(set(shapes) - set(wanted)), sorted(set(wanted) - set(shapes))
            detail = f"extra {extra[:3]}" if extra else f"missing {missing[:3]}" if missing else "shapes differ"
            raise InvalidCheckpointError(path, None, f"does not hold this model's adapters ({detail})")
        for name, variable in adapters.items():
            variable.assign(file[name][()])
