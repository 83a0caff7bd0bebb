"""Compile a function of Keras ops once per input shape, on any backend."""

import os

import keras


def compile_function(function, variables, state_variables=()):
    """Returns `function` compiled for the current Keras backend.

    TensorFlow: a `tf.function` graph, run by TensorFlow's own (oneDNN)
    kernels. Not XLA: on CPU, XLA re-lays out the tied embedding matrix at
    every decoding step, which made GPT-2 small decode 1.9x slower (23 vs
    12.6 ms/token on 2 cores, `benchmarks/generate.py`). JAX: `jax.jit` of
    a stateless version, where `variables` (model weights, read only) and
    `state_variables` (e.g. a sampler's seed, updated) are passed in and out.
    PyTorch: runs eagerly under `torch.no_grad()`.
    """
    backend = keras.config.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(function)
    if backend == "jax":
        return _jax_compile(function, list(variables), list(state_variables))
    if backend == "torch":
        import torch

        def run_without_grad(*args):
            with torch.no_grad():
                return function(*args)

        return run_without_grad
    raise ValueError(f"Unsupported Keras backend {backend!r}.")


def _jax_compile(function, variables, state_variables):
    import jax

    def stateless(variable_values, state_values, *args):
        mapping = list(zip(variables, variable_values)) + list(zip(state_variables, state_values))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            outputs = function(*args)
        new_state = []
        for variable, old in zip(state_variables, state_values):
            value = scope.get_current_value(variable)
            new_state.append(old if value is None else value)
        return outputs, new_state

    compiled = jax.jit(stateless)

    def run(*args):
        outputs, new_state = compiled([v.value for v in variables], [v.value for v in state_variables], *args)
        for variable, value in zip(state_variables, new_state):
            variable.assign(value)
        return outputs

    return run


def enable_compilation_cache(directory):
    """Keeps compiled programs in `directory` so that a new process skips compiling them.

    JAX only (its persistent compilation cache); a no-op on other backends.
    With the cache filled, the first `generate` call of a new process takes
    1.6x a warm call instead of 3x for GPT-2 small, and peak memory drops by
    the compiler's share (`benchmarks/generate.py`). The `keras-gpt2` command
    line turns it on, in `~/.cache/keras-gpt2/jax` unless `KERAS_GPT2_CACHE`
    names another folder.

    Examples:
    >>> import tempfile
    >>> enable_compilation_cache(tempfile.mkdtemp())
    """
    if keras.config.backend() != "jax":
        return
    import jax
    from jax.experimental.compilation_cache import compilation_cache

    compilation_cache.reset_cache()  # JAX decides once per process whether it caches; ask again
    jax.config.update("jax_compilation_cache_dir", os.fspath(directory))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
