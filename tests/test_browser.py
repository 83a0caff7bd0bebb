"""The exported demo in real Chromium (Debian package) driven by playwright-core."""

import filecmp
import json
import os
import shutil

import numpy as np
import pytest

from keras_gpt2.io import tfjs
from keras_gpt2.js import VENDOR_DIR
from keras_gpt2.js import write_demo
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor
from tests.conftest import REPO_DIR
from tests.helpers import once_per_suite
from tests.helpers import tiny_backbone
from tests.helpers import wide_random_causal_lm
from tests.js_helpers import require_node_packages
from tests.js_helpers import run_in_chromium
from tests.js_helpers import serve_folder

pytestmark = once_per_suite("Chromium runs the same JavaScript on either pass")

ARTIFACTS_DIR = os.path.join(REPO_DIR, "test-artifacts")
VENDORED = {
    "tf.min.js": "@tensorflow/tfjs/dist/tf.min.js",
    "tf-backend-wasm.min.js": "@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js",
    "tf-backend-webgpu.min.js": "@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js",
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
    with serve_folder(folder) as base_url:
        return run_in_chromium("browser_demo.mjs", f"{base_url}/index.html", screenshot, prompt)


@pytest.mark.browser
def test_demo_page_generates_and_streams_in_chromium(gpt2_tokenizer, tmp_path):
    model = wide_random_causal_lm(gpt2_tokenizer, num_heads=2)
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
        results = run_in_chromium("loader_paths.mjs", f"{base}/probe.html", *urls, timeout=300)
    assert results[0]["loaded"] == 16 and results[0]["error"] is None, results[0]  # the harness loads a good model
    for result in results[1:]:
        assert result["loaded"] is None
        assert "must be a plain relative file name" in result["error"], result
    assert other_requests == []
    assert not [path for path in site_requests if "secret" in path or "stolen" in path]
    assert any(path.endswith(".bin") for path in site_requests)  # the good model's shards were fetched


@pytest.fixture(scope="module")
def exported_small_model(gpt2_tokenizer, tmp_path_factory):
    """A 2-layer, hidden-32 GPT-2 at the real vocabulary with wide random weights (no greedy
    ties), exported in float32 with the demo; returns (model, folder)."""
    model = wide_random_causal_lm(gpt2_tokenizer, max_sequence_length=256)
    folder = tmp_path_factory.mktemp("backends") / "web"
    tfjs.export_tfjs(model, folder, with_demo=True)
    return model, folder


@pytest.mark.browser
def test_webgpu_and_webgl_generate_the_tokens_of_wasm_and_python(exported_small_model):
    from keras_gpt2.generation.samplers import TopKSampler

    model, folder = exported_small_model
    prompt = [50256, 464, 2068, 7586]
    job = json.dumps({"prompt": prompt, "maxNewTokens": 30, "leakTokens": 200})
    with serve_folder(folder) as base_url:
        results = run_in_chromium("backends_check.mjs", f"{base_url}/index.html", job)
    expected = model.generate({"token_ids": np.array([prompt])}, max_length=34, stop_token_ids=None)
    expected = expected["token_ids"][0, 4:].tolist()
    sampled = model.generate(
        {"token_ids": np.array([prompt])}, max_length=34, stop_token_ids=None, sampler=TopKSampler(k=20, seed=3)
    )
    sampled = sampled["token_ids"][0, 4:].tolist()
    assert sampled != expected  # the seeded sampler did not just pick the most likely tokens
    shard_bytes = sum(path.stat().st_size for path in folder.glob("*.bin"))
    for backend in ("wasm", "webgl", "webgpu"):
        result = results[backend]
        assert "error" not in result, (backend, result)
        assert result["active"] == backend
        assert result["tokenIds"] == expected, backend
        assert result["sampled"] == sampled, backend  # one random stream in Python and the browser
        assert result["tensorsAfter"] == result["tensorsBefore"], backend  # 200 tokens, no leak
        assert result["progress"] == {"loaded": shard_bytes, "total": shard_bytes}, backend
    # SwiftShader is a software GPU: 'auto' prefers wasm to it.
    assert results["auto"] == "wasm"


@pytest.mark.browser
def test_a_second_visit_reads_the_weights_from_the_browser_cache(exported_small_model):
    _, folder = exported_small_model
    served = []
    with serve_folder(folder, served) as base_url:
        result = run_in_chromium("second_visit.mjs", f"{base_url}/index.html")
    first, second = result["visits"]
    assert result["errors"] == []
    for visit in (first, second):
        assert visit["status"].startswith("Ready") and visit["backend"] == "wasm", visit
    shards = sorted(path.name for path in folder.glob("*.bin"))
    assert sorted(path.rsplit("/", 1)[-1] for path in first["requests"] if path.endswith(".bin")) == shards
    assert [path for path in second["requests"] if path.endswith((".bin", "vocabulary.json", "merges.txt"))] == []
    assert "/model.json" in second["requests"]  # fetched again: a changed model gets a new cache
    assert sorted(path.rsplit("/", 1)[-1] for path in served if path.endswith(".bin")) == shards  # once in all
