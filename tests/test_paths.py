import os

import pytest

from keras_gpt2.errors import UnsafePathError
from keras_gpt2.io.paths import checked_folder_file
from keras_gpt2.io.paths import is_plain_name
from keras_gpt2.io.paths import safe_child

HOSTILE = [
    "../x.bin",
    "/etc/passwd",
    "%2e%2e/x.bin",
    "http://h/x",
    "//h/x",
    "http:x",
    "a\\b",
    ".hidden",
    "",
    "a/../b",
    "a//b",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_refused(tmp_path, name):
    assert not is_plain_name(name)
    with pytest.raises(UnsafePathError, match="must be a plain relative file name"):
        safe_child(tmp_path, name, "model.json", "paths[0]")


def test_plain_names_inside_resolve(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.bin").write_bytes(b"1")
    assert safe_child(tmp_path, "sub/a.bin", "index.json", "weight_map.x") == os.path.join(tmp_path, "sub/a.bin")
    with pytest.raises(FileNotFoundError, match="index.json: weight_map.x: 'b.bin' is missing"):
        safe_child(tmp_path, "b.bin", "index.json", "weight_map.x")


def test_links_out_of_the_folder_are_refused(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (tmp_path / "secret").write_text("x")
    os.symlink(tmp_path / "secret", folder / "shard.bin")
    os.symlink(tmp_path, folder / "up")
    with pytest.raises(UnsafePathError, match="through a symbolic link"):
        safe_child(folder, "shard.bin", "model.json", "paths[0]")
    with pytest.raises(UnsafePathError, match="through a symbolic link"):
        safe_child(folder, "up/secret", "model.json", "paths[0]")
    with pytest.raises(UnsafePathError, match="leads outside its folder"):
        checked_folder_file(folder, "shard.bin")
