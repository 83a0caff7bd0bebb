"""The shared random stream: uniform, independent of how generation is split, seed-dependent."""

import numpy as np

from keras_gpt2.generation.random_stream import new_seed
from keras_gpt2.generation.random_stream import uniforms


def test_numbers_are_uniform_in_unit_interval():
    values = uniforms(11, 64, 4096)
    assert values.dtype == np.float32 and values.min() >= 0 and values.max() < 1
    counts, _ = np.histogram(values, bins=16, range=(0, 1))
    expected = values.size / 16
    chi_square = float(((counts - expected) ** 2 / expected).sum())
    assert chi_square < 40  # 15 degrees of freedom: p < 0.001 beyond 37.7


def test_each_entry_depends_only_on_seed_row_and_position():
    wide = uniforms(5, 8, 100)
    np.testing.assert_array_equal(uniforms(5, 3, 40), wide[:40, :3])  # a smaller call draws the same numbers
    assert not np.array_equal(uniforms(6, 8, 100), wide)
    assert len(np.unique(wide)) > 790  # rows and positions do not repeat each other
    assert np.abs(np.corrcoef(wide[:-1].ravel(), wide[1:].ravel())[0, 1]) < 0.05


def test_seeds_are_taken_modulo_two_to_the_32_and_fresh_ones_differ():
    np.testing.assert_array_equal(uniforms(2**32 + 3, 2, 10), uniforms(3, 2, 10))
    assert len({new_seed() for _ in range(8)}) > 1
