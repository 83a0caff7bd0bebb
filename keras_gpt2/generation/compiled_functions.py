"""Compile a function of Keras ops once per input shape, on any backend."""

import collections
import os

import keras


def compile_function(function, variables):
    """Returns `function` compiled for the current Keras backend.

    TensorFlow: a `tf.function` graph, run by TensorFlow's own (oneDNN)
    kernels. Not XLA: on CPU, XLA re-lays out the tied embedding matrix at
    every decoding step, which made GPT-2 small decode 1.9x slower (23 vs
    12.6 ms/token on 2 cores, `benchmarks/generate.py`). JAX: `jax.jit` of
    a stateless version, where `variables` (the model's weights, read only)
    are passed in. PyTorch: runs eagerly under `torch.no_grad()`.
    """
    backend = keras.config.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(function)
    if backend == "jax":
        return _jax_compile(function, list(variables))
    if backend == "torch":
        import torch

        def run_without_grad(*args):
            with torch.no_grad():
                return function(*args)

        return run_without_grad
    raise ValueError(f"Unsupported Keras backend {backend!r}.")


def _jax_compile(function, variables):
    import jax

    def stateless(variable_values, *args):
        with keras.StatelessScope(state_mapping=list(zip(variables, variable_values))):
            return function(*args)

    compiled = jax.jit(stateless)

    def run(*args):
        return compiled([v.value for v in variables], *args)

    return run


class CompiledFunctions:
    """A bounded cache of compiled functions, keyed by what they depend on.

    Keys are plain values (a sampler's config, not the sampler object), so
    equal settings made anew for each request reuse one program; the least
    recently used program is dropped beyond `max_size`.

    Examples:
    >>> cache = CompiledFunctions(max_size=2)
    >>> double = cache.get(("double",), lambda x: x * 2, variables=[])
    >>> double is cache.get(("double",), lambda x: x * 2, variables=[])
    True
    """

    def __init__(self, max_size=8):
        self.max_size = max_size
        self._functions = collections.OrderedDict()

    def get(self, key, function, variables):
        """The compiled `function` for `key`, compiling it on first use."""
        if key in self._functions:
            self._functions.move_to_end(key)
        else:
            self._functions[key] = compile_function(function, variables)
            while len(self._functions) > self.max_size:
                self._functions.popitem(last=False)
        return self._functions[key]

    def clear(self):
        self._functions.clear()

    def __len__(self):
        return len(self._functions)


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
