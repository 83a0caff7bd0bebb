"""Compile a function of Keras ops once per input shape, on any backend."""

import keras


def compile_function(function, variables, state_variables=(), jit_compile=True):
    """Returns `function` compiled for the current Keras backend.

    TensorFlow: `tf.function` (with XLA when `jit_compile`). JAX: `jax.jit` of
    a stateless version, where `variables` (model weights, read only) and
    `state_variables` (e.g. a sampler's seed, updated) are passed in and out.
    PyTorch: runs eagerly under `torch.no_grad()`.
    """
    backend = keras.config.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(function, jit_compile=jit_compile)
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
