"""Runs a sampler's whole decoding loop against a fixed next-token distribution."""

import numpy as np
from keras import ops

PROBABILITIES = np.array([0.4, 0.25, 0.15, 0.1, 0.05, 0.03, 0.02], "float32")


def run_fixed_distribution(sampler, batch_size=64, length=20, probabilities=PROBABILITIES, stop_token_ids=()):
    """Every position after the first is sampled from `probabilities`."""
    logits = np.log(probabilities)

    def next(prompt, cache, index):
        return ops.tile(ops.convert_to_tensor(logits)[None, :], [ops.shape(prompt)[0], 1]), cache

    prompt = np.zeros((batch_size, length), "int32")
    mask = np.zeros((batch_size, length), bool)
    mask[:, 0] = True
    uniforms = ops.convert_to_tensor(sampler.uniforms(batch_size, length))
    output, _ = sampler(
        next, ops.convert_to_tensor(prompt), (), 1, ops.convert_to_tensor(mask), uniforms, length, stop_token_ids
    )
    return ops.convert_to_numpy(output)[:, 1:]
