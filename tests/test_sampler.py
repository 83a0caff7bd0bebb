import keras
import numpy as np
import pytest

from keras_gpt2.generation import samplers
from keras_gpt2.generation.samplers.random_sampler import RandomSampler
from keras_gpt2.generation.samplers.sampler import any_equal
from tests.sampler_helpers import run_fixed_distribution


def test_any_equal():
    found = keras.ops.convert_to_numpy(any_equal(np.array([1, 2, 3, 2]), (2, 3), np.array([True, True, True, False])))
    assert found.tolist() == [False, True, True, False]


def test_loop_stops_when_every_row_has_a_stop_token():
    tokens = run_fixed_distribution(RandomSampler(seed=0), batch_size=4, length=200, stop_token_ids=(0,))
    # Token 0 has probability 0.4: every row meets it long before 200 steps, and the
    # loop leaves the rest of the prompt (zeros) untouched once all rows stopped.
    assert all((row == 0).any() for row in tokens)


@pytest.mark.parametrize("temperature", [0, -1.0])
def test_temperature_must_be_positive(temperature):
    with pytest.raises(ValueError, match="temperature"):
        RandomSampler(temperature=temperature)


def test_get_by_name_and_config_round_trip():
    for name in samplers.SAMPLERS:
        sampler = samplers.get(name)
        assert type(samplers.get(samplers.serialize(sampler))) is type(sampler)
    with pytest.raises(ValueError, match="Unknown sampler"):
        samplers.get("nucleus")
