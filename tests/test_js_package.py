"""`keras_gpt2.js`: the demo files it writes and the server that serves them."""

import os
import urllib.error
import urllib.request

import pytest

from keras_gpt2.js import RUNTIME_PARTS
from keras_gpt2.js import write_demo
from tests.js_helpers import serve_folder


def fetch(url, host=None):
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, b"", {}


@pytest.fixture
def site(tmp_path):
    folder = tmp_path / "web"
    folder.mkdir()
    write_demo(folder)
    (folder / "model.json").write_text("{}")
    (tmp_path / "secret.txt").write_text("private")
    os.symlink(tmp_path / "secret.txt", folder / "escape.txt")
    os.symlink(tmp_path, folder / "up")
    (folder / "empty").mkdir()
    return folder


def test_demo_holds_the_runtime_and_the_page(site):
    for part in RUNTIME_PARTS:
        assert (site / "keras_gpt2" / part).exists(), part
    assert (site / "index.html").is_file() and (site / "vendor" / "tf.min.js").is_file()


def test_server_serves_regular_files_inside_only(site):
    with serve_folder(site) as base:
        status, body, headers = fetch(f"{base}/")
        assert status == 200 and b"<script" in body
        assert headers["Cross-Origin-Embedder-Policy"] == "require-corp"
        assert fetch(f"{base}/model.json")[:2] == (200, b"{}")
        for path in ("/escape.txt", "/up/secret.txt", "/vendor/", "/empty/", "/../secret.txt", "/%2e%2e/secret.txt"):
            status, body, _ = fetch(base + path)
            assert status == 404 and b"private" not in body, path


def test_server_answers_only_to_loopback_host_names(site):
    with serve_folder(site) as base:
        port = base.rsplit(":", 1)[1]
        assert fetch(f"{base}/model.json", host=f"localhost:{port}")[0] == 200
        for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.evil.example"):
            assert fetch(f"{base}/model.json", host=host)[0] == 421, host
