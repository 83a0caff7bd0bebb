import pytest

from keras_gpt2.errors import InvalidCheckpointError
from keras_gpt2.io.checked_json import CheckedJSON
from keras_gpt2.io.checked_json import parse_json


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"a": 1, "a": 2}', r"repeats the key\(s\) \['a'\]"),
        ('{"a": NaN}', "is not valid JSON"),
        ('{"a": Infinity}', "is not valid JSON"),
        ("{'a': 1}", "is not valid JSON"),
        (b"\xff\xfe{}", "is not valid JSON|is not UTF-8"),
        ("[" * 100000 + "]" * 100000, "is not valid JSON"),
    ],
)
def test_bad_json_is_one_clear_error(text, message):
    with pytest.raises(InvalidCheckpointError, match=f"config.json: {message}"):
        parse_json(text, "config.json")


def test_size_cap_is_checked_before_parsing(tmp_path):
    (tmp_path / "big.json").write_text(" " * 2000 + "{}")
    with pytest.raises(InvalidCheckpointError, match="more than the 1,000 allowed"):
        CheckedJSON.read(tmp_path / "big.json", max_bytes=1000)


def test_typed_fields_name_the_file_and_the_path():
    doc = CheckedJSON({"config": {"shape": [1, "2"], "eps": 1e400, "flag": 1}}, "model.json")
    config = doc.child("config")
    with pytest.raises(InvalidCheckpointError, match=r"model.json: config.shape\[1\]: must be an integer, got '2'"):
        config.child("shape", list).items(int)
    with pytest.raises(InvalidCheckpointError, match="model.json: config.eps: must be finite"):
        config.get("eps", float)
    with pytest.raises(InvalidCheckpointError, match="model.json: config.flag: must be true or false, got 1"):
        config.get("flag", bool)
    with pytest.raises(InvalidCheckpointError, match="model.json: config.missing: is missing"):
        config.get("missing", int)
    assert config.get("missing", int, 7) == 7
    with pytest.raises(InvalidCheckpointError, match="model.json: config.shape: must be an object"):
        config.child("shape")
    with pytest.raises(InvalidCheckpointError, match="x.json: must be an object, got True"):
        CheckedJSON(True, "x.json").get("a", int)


def test_minimum_is_checked_with_the_type():
    doc = CheckedJSON({"sequence_length": 0, "pad_value": 0}, "preprocessor.json")
    with pytest.raises(InvalidCheckpointError, match="preprocessor.json: sequence_length: must be at least 1, got 0"):
        doc.get("sequence_length", int, minimum=1)
    assert doc.get("pad_value", int, minimum=0) == 0
