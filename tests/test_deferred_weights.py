import ctypes
import os
import sys

import keras
import numpy as np
import pytest

from keras_gpt2.generation.compiled_functions import compile_function
from keras_gpt2.utils.deferred_weights import build_then_load
from keras_gpt2.utils.deferred_weights import release_freed_memory


class CountingInitializer(keras.initializers.Initializer):
    """Zeros, counting how many times it runs."""

    calls = 0

    def __call__(self, shape, dtype=None):
        CountingInitializer.calls += 1
        return keras.ops.zeros(shape, dtype=dtype)


def dense_model(dropout=0.0):
    inputs = keras.Input((3,))
    hidden = keras.layers.Dropout(dropout)(inputs)
    outputs = keras.layers.Dense(2, kernel_initializer=CountingInitializer(), bias_initializer=CountingInitializer())(
        hidden
    )
    return keras.Model(inputs, outputs)


def load_ones(model):
    model.set_weights([np.ones(w.shape) for w in model.weights])


def test_loaded_values_are_the_weights():
    model = build_then_load(dense_model, load_ones)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(np.ones((1, 3)))), [[4.0, 4.0]])


@pytest.mark.skipif(keras.config.backend() != "jax", reason="deferred only on JAX")
def test_on_jax_no_initial_weights_are_computed():
    CountingInitializer.calls = 0
    build_then_load(dense_model, load_ones)
    assert CountingInitializer.calls == 0


def test_variables_the_loader_leaves_unset_are_initialized():
    model = build_then_load(lambda: dense_model(dropout=0.5), load_ones)
    assert all(keras.ops.convert_to_numpy(v.value) is not None for v in model.variables)
    model(np.ones((1, 3)), training=True)  # the dropout seed exists


def test_compiled_functions_run_after_loading():
    # Keras initializes pending variables when a stateless scope closes (as in
    # jax.jit); loaded variables must not be initialized a second time.
    model = build_then_load(dense_model, load_ones)
    function = compile_function(lambda x: model(x), model.variables)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(function(np.ones((1, 3), "float32"))), [[4.0, 4.0]])


def test_a_failed_load_raises():
    def fail(model):
        raise OSError("truncated file")

    with pytest.raises(OSError, match="truncated"):
        build_then_load(dense_model, fail)
    # Nothing of the failed model is left for Keras to initialize later.
    build_then_load(dense_model, load_ones)


def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and /proc")
def test_freed_heap_memory_goes_back_to_the_system():
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    block = 64 * 1024  # below the mmap threshold: from the heap
    blocks = [libc.malloc(block) for _ in range(2000)]  # 128 MB
    for address in blocks:
        ctypes.memset(address, 1, block)
    above = libc.malloc(block)  # holds the heap's top, so free() alone cannot shrink it
    for address in blocks:
        libc.free(address)
    before = resident_bytes()
    release_freed_memory()
    assert resident_bytes() < before - 64 * 2**20
    libc.free(above)
