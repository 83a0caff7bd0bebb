"""Serving an export folder over HTTP and running the JS runtime in Node, for the tests."""

import contextlib
import functools
import json
import os
import shutil
import subprocess
import threading

import pytest

from keras_gpt2.js import IsolatedRequestHandler
from keras_gpt2.js import make_server
from tests.conftest import REPO_DIR


def require_node_packages():
    if not shutil.which("node") or not os.path.isdir(os.path.join(REPO_DIR, "node_modules", "@tensorflow")):
        pytest.skip("node or the npm packages are missing (tools/run_tests.sh runs npm ci)")


@contextlib.contextmanager
def serve_folder(folder, requests=None):
    """Serves `folder` on 127.0.0.1 (a free port); yields the base URL.

    With a `requests` list, the path of every request received is appended to it.
    """
    server = make_server(folder)
    if requests is not None:

        class LoggedHandler(IsolatedRequestHandler):
            def send_head(self):
                requests.append(self.path)
                return super().send_head()

        server.RequestHandlerClass = functools.partial(LoggedHandler, directory=os.fspath(folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_node(script, *arguments, timeout=600):
    """Runs `tests/js/<script>` with node and `arguments`; returns the JSON it prints."""
    run = subprocess.run(
        ["node", os.path.join(REPO_DIR, "tests", "js", script), *arguments],
        capture_output=True,
        text=True,
        cwd=REPO_DIR,
        timeout=timeout,
    )
    if run.returncode:
        raise AssertionError(f"{script} failed:\n{run.stderr[-4000:]}")
    return json.loads(run.stdout)


def run_runtime(model_url, tasks, backend="wasm", timeout=600):
    """Runs tests/js/runtime_check.mjs on `tasks`; returns its results list."""
    job = json.dumps({"backend": backend, "modelUrl": model_url, "tasks": tasks})
    output = run_node("runtime_check.mjs", job, timeout=timeout)
    assert output["backend"] == backend
    return output["results"]


def run_in_chromium(script, *arguments, timeout=600):
    """Runs `tests/js/<script>` (a playwright-core driver of Debian's Chromium) with
    `arguments`; returns the JSON it prints. Skips where node, the npm packages or
    Chromium are missing."""
    require_node_packages()
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    return run_node(script, *arguments, timeout=timeout)
