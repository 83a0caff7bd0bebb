import numpy as np
import pytest

from keras_gpt2.generation.samplers.top_p_sampler import TopPSampler
from tests.sampler_helpers import run_fixed_distribution


def test_never_samples_outside_the_nucleus():
    # 0.4 + 0.25 = 0.65 < 0.7, so the nucleus for p=0.7 is tokens {0, 1, 2}.
    tokens = run_fixed_distribution(TopPSampler(p=0.7, seed=0), batch_size=128)
    assert set(np.unique(tokens)) == {0, 1, 2}


def test_small_p_keeps_the_top_token():
    assert (run_fixed_distribution(TopPSampler(p=0.01, seed=0)) == 0).all()


def test_optional_k_caps_the_nucleus():
    tokens = run_fixed_distribution(TopPSampler(p=0.99, k=2, seed=0), batch_size=128)
    assert set(np.unique(tokens)) == {0, 1}


@pytest.mark.parametrize("p", [0, -0.1, 1.5])
def test_p_outside_unit_interval(p):
    with pytest.raises(ValueError, match="`p`"):
        TopPSampler(p=p)
