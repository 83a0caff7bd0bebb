"""The exported demo in real Chromium (Debian package) driven by playwright-core."""

import filecmp
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from keras_gpt2.io import tfjs
from keras_gpt2.js import VENDOR_DIR
from keras_gpt2.js import write_demo
from keras_gpt2.models.gpt2_backbone import GPT2Backbone
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor
from tests.conftest import REPO_DIR
from tests.helpers import tiny_backbone
from tests.js_helpers import require_node_packages
from tests.js_helpers import serve_folder

ARTIFACTS_DIR = os.path.join(REPO_DIR, "test-artifacts")
VENDORED = {
    "tf.min.js": "@tensorflow/tfjs/dist/tf.min.js",
    "tf-backend-wasm.min.js": "@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js",
    "tfjs-backend-wasm.wasm": "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm",
    "tfjs-backend-wasm-simd.wasm": "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm",
    "tfjs-backend-wasm-threaded-simd.wasm": "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm",
}


@pytest.mark.node
def test_vendored_tfjs_equals_the_pinned_npm_packages():
    require_node_packages()
    for name, npm_path in VENDORED.items():
        assert filecmp.cmp(
            os.path.join(VENDOR_DIR, name), os.path.join(REPO_DIR, "node_modules", npm_path), shallow=False
        ), name


def run_demo(folder, screenshot, prompt):
    require_node_packages()
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    with serve_folder(folder) as base_url:
        run = subprocess.run(
            [
                "node",
                os.path.join(REPO_DIR, "tests", "js", "browser_demo.mjs"),
                f"{base_url}/index.html",
                screenshot,
                prompt,
            ],
            capture_output=True,
            text=True,
            cwd=REPO_DIR,
            timeout=600,
        )
    if run.returncode:
        raise AssertionError(f"browser run failed:\n{run.stderr[-4000:]}")
    return json.loads(run.stdout)


@pytest.mark.browser
def test_demo_page_generates_and_streams_in_chromium(gpt2_tokenizer, tmp_path):
    backbone = GPT2Backbone(
        vocabulary_size=50257,
        num_layers=2,
        num_heads=2,
        hidden_dim=32,
        intermediate_dim=64,
        dropout=0.0,
        max_sequence_length=64,
    )
    rng = np.random.default_rng(0)
    for weight in backbone.weights:
        weight.assign(rng.normal(0, 0.2, weight.shape))
    model = GPT2CausalLM(backbone, GPT2CausalLMPreprocessor(gpt2_tokenizer, sequence_length=64))
    folder = tmp_path / "web"
    tfjs.export_tfjs(model, folder, quantization="float16")
    write_demo(folder)
    os.makedirs(ARTIFACTS_DIR, exist_ok=True)
    screenshot = os.path.join(ARTIFACTS_DIR, "browser_demo.png")
    result = run_demo(folder, screenshot, "To be, or not to be")
    assert result["errors"] == []
    assert result["backend"] == "wasm" and result["crossOriginIsolated"] is True
    assert result["output"].startswith("To be, or not to be")
    assert len(result["output"]) > len("To be, or not to be")
    assert "tokens/s" in result["status"]
    assert os.path.getsize(screenshot) > 10_000


@pytest.mark.browser
def test_shipped_model_demo_works_offline_in_chromium(tmp_path):
    from keras_gpt2.assets import shipped_preset_path

    folder = tmp_path / "web"
    shutil.copytree(shipped_preset_path("shakespeare-tfjs"), folder)
    write_demo(folder)
    os.makedirs(ARTIFACTS_DIR, exist_ok=True)
    screenshot = os.path.join(ARTIFACTS_DIR, "shipped_model_demo.png")
    result = run_demo(folder, screenshot, "KING.")
    assert result["errors"] == [] and result["output"].startswith("KING.")
    words = result["output"].split()
    assert len(words) > 5
    assert os.path.getsize(screenshot) > 10_000


@pytest.mark.browser
def test_loader_fetches_nothing_outside_the_model_folder(gpt2_tokenizer, tmp_path):
    require_node_packages()
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "stolen.bin").write_bytes(b"\0" * 64)
    model = GPT2CausalLM(tiny_backbone(), GPT2CausalLMPreprocessor(gpt2_tokenizer, sequence_length=16))
    tfjs.export_tfjs(model, site / "good", with_demo=True)
    (site / "secret.bin").write_bytes(b"\0" * 64)
    for name in ("keras_gpt2", "vendor"):
        shutil.move(str(site / "good" / name), site)
    (site / "probe.html").write_text('<script src="vendor/tf.min.js"></script>')
    site_requests, other_requests = [], []
    with serve_folder(elsewhere, other_requests) as other_origin, serve_folder(site, site_requests) as base:
        hostile = {
            "scheme_relative": f"//{other_origin.split('//')[1]}/stolen.bin",
            "absolute_url": f"{other_origin}/stolen.bin",
            "scheme_host": f"http:{other_origin.split('//')[1]}/stolen.bin",
            "encoded_dotdot": "%2e%2e/secret.bin",
            "dotdot": "../secret.bin",
            "backslash": "..\\\\secret.bin",
        }
        urls = [f"{base}/good/model.json"]
        for name, path in hostile.items():
            folder = site / name
            shutil.copytree(site / "good", folder)
            model_json = json.loads((folder / "model.json").read_text())
            model_json["weightsManifest"][0]["paths"][0] = path
            (folder / "model.json").write_text(json.dumps(model_json))
            urls.append(f"{base}/{name}/model.json")
        tokenizer_escape = site / "tokenizer_escape"
        shutil.copytree(site / "good", tokenizer_escape)
        model_json = json.loads((tokenizer_escape / "model.json").read_text())
        model_json["modelTopology"]["config"]["preprocessor"]["config"]["tokenizer"]["config"]["vocabulary"] = (
            "%2e%2e/secret.bin"
        )
        (tokenizer_escape / "model.json").write_text(json.dumps(model_json))
        urls.append(f"{base}/tokenizer_escape/model.json")
        run = subprocess.run(
            ["node", os.path.join(REPO_DIR, "tests", "js", "loader_paths.mjs"), f"{base}/probe.html", *urls],
            capture_output=True,
            text=True,
            cwd=REPO_DIR,
            timeout=300,
        )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(run.stdout)
    assert results[0]["loaded"] == 16 and results[0]["error"] is None, results[0]  # the harness loads a good model
    for result in results[1:]:
        assert result["loaded"] is None
        assert "must be a plain relative file name" in result["error"], result
    assert other_requests == []
    assert not [path for path in site_requests if "secret" in path or "stolen" in path]
    assert any(path.endswith(".bin") for path in site_requests)  # the good model's shards were fetched
