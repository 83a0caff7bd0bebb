import os
import signal
import subprocess
import sys

import pytest

from keras_gpt2.errors import DestinationError
from keras_gpt2.io.destination import MARKER_FILE
from keras_gpt2.io.destination import check_destination
from keras_gpt2.io.destination import writing_folder


def write(folder, files, **kwargs):
    with writing_folder(folder, **kwargs) as staging:
        for name, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(staging, name)), exist_ok=True)
            with open(os.path.join(staging, name), "w") as file:
                file.write(text)


def test_new_and_empty_destinations_are_written_whole(tmp_path):
    write(tmp_path / "new" / "deep", {"a.txt": "1", "sub/b.txt": "2"})
    assert sorted(os.listdir(tmp_path / "new" / "deep")) == [MARKER_FILE, "a.txt", "sub"]
    (tmp_path / "empty").mkdir()
    write(tmp_path / "empty", {"a.txt": "1"})
    assert (tmp_path / "empty" / "a.txt").read_text() == "1"


def test_a_folder_with_other_files_is_never_replaced(tmp_path):
    site = tmp_path / "public"
    site.mkdir()
    (site / "index.html").write_text("my site")
    for overwrite in (False, True):
        with pytest.raises(DestinationError, match="public"):
            write(site, {"model.json": "{}"}, overwrite=overwrite)
    assert sorted(os.listdir(site)) == ["index.html"]
    write(tmp_path / "ours", {"model.json": "{}"})
    (tmp_path / "ours" / "notes.txt").write_text("added by the user later")
    with pytest.raises(DestinationError, match=r"did not write \(notes.txt\)"):
        write(tmp_path / "ours", {"model.json": "{}"}, overwrite=True)
    assert (tmp_path / "ours" / "notes.txt").is_file()


def test_overwrite_replaces_only_our_own_output(tmp_path):
    write(tmp_path / "out", {"a.txt": "old", "b.txt": "old"})
    with pytest.raises(DestinationError, match="not empty"):
        write(tmp_path / "out", {"a.txt": "new"})
    write(tmp_path / "out", {"a.txt": "new"}, overwrite=True)
    assert sorted(os.listdir(tmp_path / "out")) == [MARKER_FILE, "a.txt"]
    assert (tmp_path / "out" / "a.txt").read_text() == "new"


@pytest.mark.parametrize("relation", ["same", "inside", "contains"])
def test_the_source_is_never_a_destination(tmp_path, relation):
    source = tmp_path / "source"
    source.mkdir()
    (source / "model.safetensors").write_bytes(b"weights")
    destination = {"same": source, "inside": source / "out", "contains": tmp_path}[relation]
    with pytest.raises(DestinationError, match="source"):
        check_destination(destination, sources=(source,), overwrite=True)
    assert (source / "model.safetensors").read_bytes() == b"weights"


def test_files_in_the_way(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(DestinationError, match="is not a folder"):
        write(tmp_path / "file", {})
    with pytest.raises(DestinationError, match="is a file"):
        write(tmp_path / "file" / "below", {})
    assert (tmp_path / "file").read_text() == "x"


def test_a_failure_leaves_the_destination_as_it_was(tmp_path):
    write(tmp_path / "out", {"a.txt": "old"})
    with pytest.raises(RuntimeError):
        with writing_folder(tmp_path / "out", overwrite=True) as staging:
            (open(os.path.join(staging, "a.txt"), "w")).write("new")
            raise RuntimeError("disk full")
    assert (tmp_path / "out" / "a.txt").read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_a_killed_writer_leaves_the_destination_and_its_staging_is_cleaned(tmp_path):
    write(tmp_path / "out", {"a.txt": "old"})
    script = (
        "import os, sys, time\n"
        "from keras_gpt2.io.destination import writing_folder\n"
        "with writing_folder(sys.argv[1], overwrite=True) as staging:\n"
        "    open(os.path.join(staging, 'a.txt'), 'w').write('new')\n"
        "    print('staged', flush=True)\n"
        "    time.sleep(60)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "out")], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "staged"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert (tmp_path / "out" / "a.txt").read_text() == "old"
    leftovers = [name for name in os.listdir(tmp_path) if name != "out"]
    assert len(leftovers) == 1 and ".keras-gpt2-staging-" in leftovers[0]
    write(tmp_path / "out", {"a.txt": "new"}, overwrite=True)
    assert sorted(os.listdir(tmp_path)) == ["out"]
    assert (tmp_path / "out" / "a.txt").read_text() == "new"


def test_folders_follow_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        write(tmp_path / "out", {"a.txt": "1"})
    finally:
        os.umask(previous)
    assert oct(os.stat(tmp_path / "out").st_mode & 0o777) == oct(0o755)
