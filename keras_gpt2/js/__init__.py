"""The browser runtime (JavaScript) and its demo page, as files the package ships.

`write_demo(folder)` copies the runtime, the demo page and the vendored
TensorFlow.js next to an exported `model.json`; `serve(folder)` serves such a
folder on localhost with the headers that let the wasm backend use threads.
"""

import functools
import http.server
import os
import shutil
import urllib.parse

JS_DIR = os.path.dirname(os.path.abspath(__file__))
RUNTIME_PARTS = (
    "index.js",
    "tf.js",
    "backends.js",
    "io",
    "tokenizers",
    "layers",
    "models",
    "generation",
    "preprocessing",
)
VENDOR_DIR = os.path.join(JS_DIR, "vendor")


def write_demo(folder):
    """Copies `index.html`, `demo.js`, `worker.js`, `keras_gpt2/` (the runtime) and `vendor/` into `folder`."""
    ignore = shutil.ignore_patterns("__pycache__", "*.py")
    runtime = os.path.join(folder, "keras_gpt2")
    os.makedirs(runtime, exist_ok=True)
    for part in RUNTIME_PARTS:
        source = os.path.join(JS_DIR, part)
        if os.path.isdir(source):
            shutil.copytree(source, os.path.join(runtime, part), ignore=ignore, dirs_exist_ok=True)
        else:
            shutil.copy2(source, runtime)
    for name in ("index.html", "demo.js", "worker.js"):
        shutil.copy2(os.path.join(JS_DIR, "demo", name), folder)
    shutil.copytree(VENDOR_DIR, os.path.join(folder, "vendor"), ignore=ignore, dirs_exist_ok=True)


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


class IsolatedRequestHandler(http.server.SimpleHTTPRequestHandler):
    """Regular files under one folder, with cross-origin isolation (wasm threads need it).

    Refused: a Host header that is not a loopback name (so a DNS-rebinding
    page cannot reach this server), directory listings, and any path that
    resolves (symbolic links followed) outside the folder or to something
    other than a regular file. `/` serves `index.html`.
    """

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
    }

    def send_head(self):
        host = (self.headers.get("Host") or "").strip().lower()
        if host.rsplit(":", 1)[0] not in LOOPBACK_HOSTS and host not in LOOPBACK_HOSTS:
            self.send_error(421, "This server answers only to 127.0.0.1 and localhost")
            return None
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        root = os.path.realpath(self.directory)
        real = os.path.realpath(path)
        if os.path.commonpath([real, root]) != root or not os.path.isfile(real):
            self.send_error(404, "File not found")
            return None
        self.path = "/" + urllib.parse.quote(os.path.relpath(real, root))
        return super().send_head()

    def list_directory(self, path):
        self.send_error(404, "File not found")
        return None

    def end_headers(self):
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):
        pass


def make_server(folder, host="127.0.0.1", port=0):
    """A `ThreadingHTTPServer` for `folder` (port 0 picks a free one)."""
    handler = functools.partial(IsolatedRequestHandler, directory=os.fspath(folder))
    return http.server.ThreadingHTTPServer((host, port), handler)
