import numpy as np
import pytest

from keras_gpt2.io.safetensors import read_safetensors
from keras_gpt2.io.safetensors import write_safetensors


def test_reference_library_reads_what_we_write(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    tensors = {"a": np.arange(6, dtype="float32").reshape(2, 3), "b": np.ones(4, "float16")}
    write_safetensors(tmp_path / "x.safetensors", tensors, metadata={"format": "pt"})
    theirs = safetensors_numpy.load_file(str(tmp_path / "x.safetensors"))
    for name, value in tensors.items():
        np.testing.assert_array_equal(theirs[name], value)


def test_we_read_what_the_reference_library_writes(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    tensors = {"w": np.random.default_rng(0).normal(size=(3, 5)).astype("float32"), "i": np.arange(3)}
    safetensors_numpy.save_file(tensors, str(tmp_path / "y.safetensors"))
    ours = read_safetensors(tmp_path / "y.safetensors")
    for name, value in tensors.items():
        np.testing.assert_array_equal(ours[name], value)


def test_bfloat16_is_widened_to_float32(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    tensor = torch.tensor([1.5, -2.0, 3.25], dtype=torch.bfloat16)
    safetensors_torch.save_file({"t": tensor}, str(tmp_path / "bf16.safetensors"))
    np.testing.assert_array_equal(read_safetensors(tmp_path / "bf16.safetensors")["t"], [1.5, -2.0, 3.25])


def test_truncated_file_is_a_clear_error(tmp_path):
    write_safetensors(tmp_path / "x.safetensors", {"w": np.ones((100,), "float32")})
    data = (tmp_path / "x.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[:-10])
    with pytest.raises(ValueError, match="truncated"):
        read_safetensors(tmp_path / "cut.safetensors")
    (tmp_path / "tiny.safetensors").write_bytes(data[:5])
    with pytest.raises(ValueError, match="too short"):
        read_safetensors(tmp_path / "tiny.safetensors")
