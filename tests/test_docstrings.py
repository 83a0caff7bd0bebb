"""Every docstring example in the package runs and prints what it says."""

import doctest
import importlib
import pkgutil

import pytest

import keras_gpt2

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(keras_gpt2.__path__, prefix="keras_gpt2.")
    if not name.startswith("keras_gpt2.cli")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
