import pytest

from keras_gpt2 import errors


@pytest.mark.parametrize(
    "cls",
    [
        errors.InvalidCheckpointError,
        errors.InvalidConfigError,
        errors.UnsafePathError,
        errors.DestinationError,
        errors.InvalidInputError,
    ],
)
def test_every_error_is_a_value_error_with_where_field_and_problem(cls):
    error = cls("web/model.json", "weightsManifest[0]", "is wrong")
    assert isinstance(error, ValueError) and isinstance(error, errors.KerasGPT2Error)
    assert str(error) == "web/model.json: weightsManifest[0]: is wrong"
    assert str(cls("web", None, "is wrong")) == "web: is wrong"
