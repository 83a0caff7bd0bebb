"""Samplers: how `generate` picks each next token.

`get(identifier)` turns a name ("greedy", "random", "top_k", "top_p",
"beam") or a `{"class_name": ..., "config": ...}` dict into a sampler.
"""

from keras_gpt2.generation.samplers.beam_sampler import BeamSampler
from keras_gpt2.generation.samplers.greedy_sampler import GreedySampler
from keras_gpt2.generation.samplers.random_sampler import RandomSampler
from keras_gpt2.generation.samplers.sampler import Sampler
from keras_gpt2.generation.samplers.top_k_sampler import TopKSampler
from keras_gpt2.generation.samplers.top_p_sampler import TopPSampler

SAMPLERS = {
    "greedy": GreedySampler,
    "random": RandomSampler,
    "top_k": TopKSampler,
    "top_p": TopPSampler,
    "beam": BeamSampler,
}


def get(identifier):
    """A sampler from a name, a config dict, or a sampler (returned as is)."""
    if isinstance(identifier, Sampler):
        return identifier
    if isinstance(identifier, str) and identifier in SAMPLERS:
        return SAMPLERS[identifier]()
    if isinstance(identifier, dict) and identifier.get("class_name") in SAMPLERS:
        return SAMPLERS[identifier["class_name"]](**identifier.get("config", {}))
    raise ValueError(f"Unknown sampler {identifier!r}; choose one of {sorted(SAMPLERS)}.")


def serialize(sampler):
    """The `{"class_name", "config"}` dict that `get` reads back."""
    name = next(n for n, cls in SAMPLERS.items() if type(sampler) is cls)
    return {"class_name": name, "config": sampler.get_config()}
