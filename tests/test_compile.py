import keras
import numpy as np

from keras_gpt2.utils.compile import compile_function
from keras_gpt2.utils.compile import enable_compilation_cache


def test_compiled_function_reads_variables_and_updates_state():
    weight = keras.Variable(np.full((2,), 3.0, "float32"))
    counter = keras.Variable(np.zeros((), "float32"))

    def scale(x):
        counter.assign(counter + 1.0)
        return x * weight

    compiled = compile_function(scale, [weight], [counter])
    for _ in range(2):
        output = compiled(np.ones((2,), "float32"))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(output), [3.0, 3.0])
    assert float(keras.ops.convert_to_numpy(counter.value)) == 2.0


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
