"""The browser runtime as an npm package (`keras_gpt2/js/package.json`): packed by npm,
installed into a project, imported in Node, type-checked by TypeScript, and the README's
page served as written in Chromium."""

import json
import os
import re
import shutil
import subprocess
import tempfile

import numpy as np
import pytest

from keras_gpt2.io import tfjs
from keras_gpt2.js import JS_DIR
from keras_gpt2.js import RUNTIME_PARTS
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor
from keras_gpt2.version import __version__
from tests.conftest import REPO_DIR
from tests.helpers import once_per_suite
from tests.helpers import tiny_backbone
from tests.js_helpers import require_node_packages
from tests.js_helpers import run_in_chromium
from tests.js_helpers import serve_folder

pytestmark = once_per_suite("npm, Node and Chromium do not depend on the Keras backend")

NODE_MODULES = os.path.join(REPO_DIR, "node_modules")
# The TF.js files the README's page loads, as npm installs them.
PAGE_FILES = [
    "@tensorflow/tfjs/dist/tf.min.js",
    "@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js",
    "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm",
    "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm",
    "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm",
]

NODE_SCRIPT = """
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadGPT2CausalLM, GreedySampler } from 'keras-gpt2';
await tf.setBackend('wasm');
const model = await loadGPT2CausalLM(process.argv[2]);
const options = { maxNewTokens: 8, stopTokenIds: [], sampler: new GreedySampler() };
const { tokenIds } = await model.generate([50256, 464, 2068], options);
process.stdout.write(JSON.stringify({ tokenIds, backend: tf.getBackend() }));
"""

TYPED_USE = """
import {
  BeamSampler, loadGPT2CausalLM, TopKSampler, useBackend, type GenerateOptions, type Generated,
} from 'keras-gpt2';

const name: string = await useBackend('auto');
const model = await loadGPT2CausalLM('model/model.json', { onProgress: ({ loaded, total }) => loaded / total });
const options: GenerateOptions = { maxNewTokens: 4, sampler: new TopKSampler({ k: 5, seed: 1 }) };
const { text, tokenIds } = await model.generate('To be', options);
const [first, second] = await model.generate(['To be', 'or not'], options);
const beam = new BeamSampler({ numBeams: 3 });
const beams: Generated[][] = await model.generate(['To be'], { sampler: beam, numReturnSequences: 2 });
console.log(name, text.length + tokenIds.length, model.backbone.config.hiddenDim);
console.log(first.text + second.text, beams[0][1].text);
"""


def test_package_json_names_this_version_and_every_runtime_part():
    package = json.loads(open(os.path.join(JS_DIR, "package.json"), encoding="utf-8").read())
    assert package["version"] == __version__
    assert package["exports"]["."] == {"types": "./index.d.ts", "default": "./index.js"}
    files = {name.rstrip("/") for name in package["files"]}
    assert set(RUNTIME_PARTS) <= files and "index.d.ts" in files
    declared = set(
        re.findall(r"export declare (?:class|function|const) (\w+)", open(os.path.join(JS_DIR, "index.d.ts")).read())
    )
    exported = set()
    for block in re.findall(r"export \{([^}]*)\}", open(os.path.join(JS_DIR, "index.js")).read()):
        exported |= {name.strip() for name in block.split(",") if name.strip()}
    exported.add("loadGPT2CausalLM")
    assert exported == declared


@pytest.fixture(scope="module")
def installed(gpt2_tokenizer, tmp_path_factory):
    """`npm pack`, then `npm install` of the tarball into a new project; returns (project, model, model folder).

    The project lies under the repository's build/ folder so that Node finds `@tensorflow/tfjs`
    (the package's peer) in the repository's node_modules above it; npm installs nothing else."""
    require_node_packages()
    packed = tmp_path_factory.mktemp("packed")
    run = subprocess.run(["npm", "pack", JS_DIR, "--pack-destination", str(packed)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    (tarball,) = packed.glob("keras-gpt2-*.tgz")
    os.makedirs(os.path.join(REPO_DIR, "build"), exist_ok=True)
    project = tempfile.mkdtemp(prefix="npm-project-", dir=os.path.join(REPO_DIR, "build"))
    try:
        with open(os.path.join(project, "package.json"), "w") as file:
            json.dump({"name": "app", "private": True, "type": "module"}, file)
        run = subprocess.run(
            ["npm", "install", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", str(tarball)],
            cwd=project,
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr
        model = GPT2CausalLM(tiny_backbone(max_sequence_length=64), GPT2CausalLMPreprocessor(gpt2_tokenizer, 64))
        model.compile(sampler="greedy")
        models = tmp_path_factory.mktemp("served")
        tfjs.export_tfjs(model, models / "model")
        yield project, model, models
    finally:
        shutil.rmtree(project)


def test_the_installed_package_generates_in_node_like_python(installed):
    project, model, models = installed
    with open(os.path.join(project, "main.mjs"), "w") as file:
        file.write(NODE_SCRIPT)
    with serve_folder(models) as base_url:
        run = subprocess.run(
            ["node", "main.mjs", f"{base_url}/model/model.json"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout)
    expected = model.generate({"token_ids": np.array([[50256, 464, 2068]])}, max_length=11, stop_token_ids=None)
    assert result == {"tokenIds": expected["token_ids"][0, 3:].tolist(), "backend": "wasm"}


def test_typescript_checks_code_written_against_the_declarations(installed):
    project, _, _ = installed
    with open(os.path.join(project, "use.ts"), "w") as file:
        file.write(TYPED_USE)
    with open(os.path.join(project, "broken.ts"), "w") as file:
        file.write("import { loadGPT2CausalLM } from 'keras-gpt2';\nconst n: number = await loadGPT2CausalLM(3);\n")
    tsc = [
        os.path.join(NODE_MODULES, ".bin", "tsc"),
        "--noEmit",
        "--strict",
        "--target",
        "es2022",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--skipLibCheck",
    ]
    good = subprocess.run([*tsc, "use.ts"], cwd=project, capture_output=True, text=True)
    assert good.returncode == 0, good.stdout[-3000:]
    broken = subprocess.run([*tsc, "broken.ts"], cwd=project, capture_output=True, text=True)
    assert broken.returncode != 0 and "not assignable" in broken.stdout


def test_the_readme_page_works_as_written_in_chromium(installed, tmp_path):
    """The README's ```html block, served from a project laid out as its first line says."""
    project, _, models = installed
    with open(os.path.join(REPO_DIR, "README.md"), encoding="utf-8") as file:
        (page,) = re.findall(r"```html\n(.*?)```", file.read(), re.DOTALL)
    site = tmp_path / "site"
    shutil.copytree(os.path.join(project, "node_modules", "keras-gpt2"), site / "node_modules" / "keras-gpt2")
    for name in PAGE_FILES:
        (site / "node_modules" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(os.path.join(NODE_MODULES, name), site / "node_modules" / name)
    shutil.copytree(models / "model", site / "model")
    (site / "index.html").write_text(page)
    with serve_folder(site) as base_url:
        result = run_in_chromium("readme_page.mjs", f"{base_url}/index.html")
    assert result["errors"] == [], result
    assert len(result["output"]) > 10 and result["progress"] == 1
