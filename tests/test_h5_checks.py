import h5py
import numpy as np
import pytest

from keras_gpt2.errors import InvalidCheckpointError
from keras_gpt2.io.h5_checks import check_h5_file


def make(path, build):
    with h5py.File(path, "w") as file:
        file.create_dataset("layers/dense/vars/0", data=np.ones((4, 4), "float32"))
        build(file, path.parent)
    return path


def secret(folder):
    path = folder / "secret.bin"
    path.write_bytes(np.arange(16, dtype="float32").tobytes())
    return str(path)


def virtual(file, folder):
    layout = h5py.VirtualLayout(shape=(16,), dtype="float32")
    with h5py.File(folder / "other.h5", "w") as other:
        other.create_dataset("data", data=np.zeros(16, "float32"))
    layout[:] = h5py.VirtualSource(str(folder / "other.h5"), "data", shape=(16,))
    file.create_virtual_dataset("stolen", layout)


CASES = {
    "external_link": (lambda f, d: f.__setitem__("stolen", h5py.ExternalLink(secret(d), "/x")), "ExternalLink"),
    "soft_link": (lambda f, d: f.__setitem__("alias", h5py.SoftLink("/layers")), "SoftLink"),
    "external_storage": (
        lambda f, d: f.create_dataset("stolen", shape=(16,), dtype="float32", external=[(secret(d), 0, 64)]),
        "external storage",
    ),
    "virtual": (virtual, "virtual dataset"),
    "compressed": (
        lambda f, d: f.create_dataset("zip", data=np.zeros((256, 256), "float32"), compression="gzip"),
        "compressed",
    ),
    "unallocated": (lambda f, d: f.create_dataset("huge", shape=(2**16, 2**12), dtype="float32"), "stores 0"),
    "strings": (lambda f, d: f.create_dataset("text", data=np.array([b"abc"])), "not a plain number type"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_files_that_reach_outside_or_declare_more_than_they_hold_are_refused(tmp_path, case):
    build, message = CASES[case]
    path = make(tmp_path / "weights.h5", build)
    with pytest.raises(InvalidCheckpointError, match=message):
        check_h5_file(str(path))


def test_plain_files_pass_and_damaged_files_are_refused(tmp_path):
    path = make(tmp_path / "weights.h5", lambda f, d: None)
    check_h5_file(str(path))
    data = path.read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[: len(data) // 2])
    (tmp_path / "garbage.h5").write_bytes(b"not hdf5 at all" * 100)
    for name in ("cut.h5", "garbage.h5"):
        with pytest.raises(InvalidCheckpointError):
            check_h5_file(str(tmp_path / name))
