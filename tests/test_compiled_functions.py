import keras
import numpy as np

from keras_gpt2.generation.compiled_functions import CompiledFunctions
from keras_gpt2.generation.compiled_functions import compile_function
from keras_gpt2.generation.compiled_functions import enable_compilation_cache


def test_compiled_function_reads_the_current_variables():
    weight = keras.Variable(np.full((2,), 3.0, "float32"))
    compiled = compile_function(lambda x: x * weight, [weight])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(compiled(np.ones((2,), "float32"))), [3.0, 3.0])
    weight.assign(np.full((2,), 2.0, "float32"))  # a new value, not a new program
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(compiled(np.ones((2,), "float32"))), [2.0, 2.0])


def test_cache_keeps_the_most_recently_used_programs():
    cache = CompiledFunctions(max_size=2)
    first = cache.get("a", lambda x: x, [])
    cache.get("b", lambda x: x, [])
    assert cache.get("a", lambda x: x, []) is first  # used again: now the most recent
    cache.get("c", lambda x: x, [])
    assert len(cache) == 2 and cache.get("a", lambda x: x, []) is first
    cache.clear()
    assert len(cache) == 0


def test_compilation_cache_keeps_programs_on_jax_only(tmp_path):
    enable_compilation_cache(tmp_path)
    try:
        import jax

        weight = keras.Variable(np.ones((64, 64), "float32"))
        compiled = compile_function(lambda x: keras.ops.tanh(x @ weight) @ weight, [weight])
        compiled(np.ones((3, 64), "float32"))
        written = [p for p in tmp_path.rglob("*") if p.is_file()]
        assert bool(written) == (keras.config.backend() == "jax")
    finally:
        from jax.experimental.compilation_cache import compilation_cache

        jax.config.update("jax_compilation_cache_dir", None)
        compilation_cache.reset_cache()
