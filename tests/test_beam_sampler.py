import numpy as np
import pytest
from keras import ops

from keras_gpt2.generation.samplers.beam_sampler import BeamSampler


def test_finds_the_best_sequence_that_greedy_misses():
    # Step 1: token 1 (0.6) beats token 2 (0.4). Step 2: after 1 the best is 0.5,
    # after 2 it is 0.99. Best sequence: 2 then 3 (0.396 > 0.3).
    def next(prompt, cache, index):
        previous = prompt[:, index - 1]
        first = np.log(np.array([1e-6, 0.6, 0.4, 1e-6], "float32"))
        after_one = np.log(np.array([0.5, 1e-6, 0.25, 0.25], "float32"))
        after_two = np.log(np.array([0.005, 0.0025, 0.0025, 0.99], "float32"))
        rows = ops.where(
            (previous == 1)[:, None],
            after_one[None, :],
            ops.where((previous == 2)[:, None], after_two[None, :], first[None, :]),
        )
        return rows, cache

    prompt = np.zeros((1, 3), "int32")
    mask = ops.convert_to_tensor(np.array([[True, False, False]]))
    output, _ = BeamSampler(num_beams=2)(next, ops.convert_to_tensor(prompt), (np.zeros((1, 1)),), 1, mask, None, 3)
    assert ops.convert_to_numpy(output).tolist() == [[0, 2, 3]]


def test_bad_num_beams_and_streaming():
    with pytest.raises(ValueError, match="num_beams"):
        BeamSampler(num_beams=0)
    with pytest.raises(ValueError, match="cannot stream"):
        BeamSampler().step(None, None, None, None, None, None)
    with pytest.raises(ValueError, match="num_return_sequences"):
        BeamSampler(num_beams=2)(None, np.zeros((1, 3), "int32"), (), 1, None, None, 3, num_return_sequences=3)
