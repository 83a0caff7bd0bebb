"""The code blocks of docs/distributed_training.md run as written (JAX, virtual CPU devices, localhost)."""

import os
import re
import socket
import subprocess
import sys

import pytest

from tests.conftest import REPO_DIR


def doc_blocks():
    with open(os.path.join(REPO_DIR, "docs", "distributed_training.md"), encoding="utf-8") as file:
        return re.findall(r"```python\n(.*?)```", file.read(), re.DOTALL)


@pytest.fixture
def jax_env():
    pytest.importorskip("jax")
    if os.environ.get("KERAS_BACKEND") != "jax":
        pytest.skip("runs in the JAX pass")
    return {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}


@pytest.mark.slow
def test_one_machine_block_runs_on_four_virtual_devices(jax_env, tmp_path):
    one_machine, _ = doc_blocks()
    env = {**jax_env, "XLA_FLAGS": "--xla_force_host_platform_device_count=4"}
    run = subprocess.run([sys.executable, "-c", one_machine], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]


@pytest.mark.slow
def test_several_machines_block_runs_as_two_processes(jax_env, tmp_path):
    _, several_machines = doc_blocks()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    processes = []
    for process_id in range(2):
        env = {
            **jax_env,
            "KERAS_DISTRIBUTION_JOB_ADDRESSES": address,
            "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
            "KERAS_DISTRIBUTION_PROCESS_ID": str(process_id),
        }
        command = [sys.executable, "-c", several_machines]
        processes.append(subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True))
    for process in processes:
        _, errors = process.communicate(timeout=600)
        assert process.returncode == 0, errors[-3000:]
    assert (tmp_path / "runs" / "multi_host" / "model.weights.h5").is_file()
