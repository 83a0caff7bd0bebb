"""Browser generation speed: GPT-2 small (124M, random weights) in Chromium, ours against Transformers.js.

One random GPT-2 small (Hugging Face layout) is converted twice: to TF.js with
keras-gpt2 (float32 by default) and to ONNX with optimum (fp32, and q8 by
onnxruntime's dynamic quantization, the q8 Transformers.js uses). Both are
served with cross-origin isolation from one folder and timed in one Chromium,
greedy, batch 1, prompt of 8 tokens:

- keras-gpt2 with the KV cache at each `--new-tokens` length, and without it;
- the floor, in the same page: the 49 bare `x @ W` weight products of one
  decode step (no attention, no small ops), and a per-kernel profile of a step;
- Transformers.js (ONNX Runtime Web, wasm) fp32 and q8, at our thread count
  and at its default (all cores).

Prints a table and a JSON line with the ratios. The ONNX export needs
transformers 4.x and optimum-onnx, which conflict with the project's
transformers 5; they are pip-installed once with `--target` into
`benchmarks/.cache/onnx-deps` (Transformers.js into
`benchmarks/.cache/transformers-js` with npm), used by a subprocess only.

    python benchmarks/browser.py [--backend wasm] [--quantize float16] [--small-config] [--no-transformers-js]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE_DIR = os.path.join(REPO_DIR, "benchmarks", ".cache")
ONNX_DEPENDENCIES = [
    "optimum-onnx[onnxruntime]==0.1.0",
    "optimum==2.1.0",
    "transformers==4.57.6",
    "huggingface_hub==0.36.2",
    "tokenizers==0.22.2",
    "onnx==1.23.2",
    "onnxruntime==1.32.0",
]
TRANSFORMERS_JS = "@huggingface/transformers@4.3.2"

ONNX_EXPORT = r"""
import os, shutil, sys
from optimum.exporters.onnx import main_export
from onnxruntime.quantization import QuantType, quantize_dynamic

hf_folder, out = sys.argv[1], sys.argv[2]
main_export(hf_folder, output=out + "/export", task="text-generation-with-past")
os.makedirs(out + "/onnx")
shutil.move(out + "/export/model.onnx", out + "/onnx/model.onnx")
for name in ("config.json", "generation_config.json"):
    shutil.move(out + "/export/" + name, out + "/" + name)
quantize_dynamic(out + "/onnx/model.onnx", out + "/onnx/model_quantized.onnx", weight_type=QuantType.QUInt8)
shutil.rmtree(out + "/export")
"""


def prepare_transformers_js(web, hf_folder):
    """Exports `hf_folder` to `web/models/gpt2-random` (ONNX fp32 + q8) and puts Transformers.js in `web/tjs`."""
    deps = os.path.join(CACHE_DIR, "onnx-deps")
    if not os.path.isdir(deps):
        print("installing the ONNX exporter into benchmarks/.cache/onnx-deps (once)", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", deps, *ONNX_DEPENDENCIES],
            check=True,
        )
    env = {**os.environ, "PYTHONPATH": deps}
    subprocess.run(
        [sys.executable, "-c", ONNX_EXPORT, hf_folder, os.path.join(web, "models", "gpt2-random")],
        check=True,
        env=env,
        capture_output=True,
    )
    npm_dir = os.path.join(CACHE_DIR, "transformers-js")
    modules = os.path.join(npm_dir, "node_modules")
    if not os.path.isdir(modules):
        os.makedirs(npm_dir, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", npm_dir, "--ignore-scripts", "--no-audit", "--no-fund", TRANSFORMERS_JS],
            check=True,
            capture_output=True,
        )
    os.makedirs(os.path.join(web, "tjs"))
    shutil.copy2(os.path.join(modules, "@huggingface", "transformers", "dist", "transformers.min.js"), web + "/tjs")
    ort = os.path.join(modules, "onnxruntime-web", "dist")
    for name in os.listdir(ort):  # ONNX Runtime Web's wasm builds; it picks one for the browser
        if name.startswith("ort-wasm-simd-threaded") and name.endswith((".mjs", ".wasm")):
            shutil.copy2(os.path.join(ort, name), web + "/tjs")


def make_models(folder, small_config):
    """A random GPT-2 (small, or a 2-layer one) in Hugging Face's layout, and ours from the same weights."""
    import torch
    from transformers import GPT2Config
    from transformers import GPT2LMHeadModel

    from keras_gpt2.io.hugging_face import import_hf

    torch.manual_seed(0)
    config = GPT2Config(n_layer=2, n_head=2, n_embd=64) if small_config else GPT2Config()
    hf_folder = os.path.join(folder, "hf")
    GPT2LMHeadModel(config).save_pretrained(hf_folder)
    return import_hf(hf_folder), hf_folder


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="wasm", choices=["wasm", "cpu", "webgl", "webgpu"])
    parser.add_argument("--quantize", default=None, choices=["float16", "uint16", "uint8"])
    parser.add_argument("--new-tokens", default="64,512", help="comma-separated lengths timed with the KV cache")
    parser.add_argument("--uncached-new-tokens", type=int, default=16)
    parser.add_argument("--small-config", action="store_true", help="a 2-layer model, for a quick check")
    parser.add_argument("--no-transformers-js", action="store_true", help="time keras-gpt2 and the floor only")
    args = parser.parse_args()

    from keras_gpt2.io.tfjs import export_tfjs
    from keras_gpt2.js import make_server

    with tempfile.TemporaryDirectory() as folder:
        model, hf_folder = make_models(folder, args.small_config)
        web = os.path.join(folder, "web")
        export_tfjs(model, web, quantization=args.quantize, with_demo=True)
        with open(os.path.join(web, "blank.html"), "w") as page:
            page.write("<!doctype html><title>keras-gpt2 benchmark</title>\n")
        if not args.no_transformers_js:
            prepare_transformers_js(web, hf_folder)
        server = make_server(web)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        job = {
            "url": f"http://127.0.0.1:{server.server_address[1]}/blank.html",
            "backend": args.backend,
            "cachedTokens": [int(n) for n in args.new_tokens.split(",")],
            "uncachedTokens": args.uncached_new_tokens,
            "transformersJs": not args.no_transformers_js,
        }
        try:
            run = subprocess.run(
                ["node", os.path.join(REPO_DIR, "benchmarks", "browser.mjs"), json.dumps(job)],
                capture_output=True,
                text=True,
                cwd=REPO_DIR,
                check=False,
            )
        finally:
            server.shutdown()
    if run.returncode:
        raise SystemExit(run.stderr[-3000:])
    figures = json.loads(run.stdout)
    report(figures, args)


def report(figures, args):
    ours, floor = figures["keras_gpt2"], figures["floor_ms_per_token"]
    print(
        f"GPT-2 {'small-config' if args.small_config else 'small (124M)'}, Chromium, batch 1, greedy, prompt 8; "
        f"keras-gpt2 on TF.js {ours['backend']} ({ours['threads']} threads), weights {args.quantize or 'float32'}"
    )
    print(f"{'engine':<52}{'ms/token':>10}{'x floor':>9}")
    rows = [(f"keras-gpt2, KV cache, {n} new tokens", ms) for n, ms in ours["ms_per_token_cached"].items()]
    rows.append((f"keras-gpt2, no cache, {args.uncached_new_tokens} new tokens", ours["ms_per_token_uncached"]))
    for run in figures.get("transformers_js", []):
        for n, ms in run["ms_per_token"].items():
            rows.append((f"Transformers.js {run['dtype']}, {run['threads']} threads, {n} new tokens", ms))
    rows.append(("floor: bare x @ W products of one step (same page)", floor))
    for name, ms in rows:
        print(f"{name:<52}{ms:>10.1f}{ms / floor:>9.2f}")
    print(f"floor bandwidth: {figures['floor_bytes'] / floor / 1e6:.1f} GB/s")
    print("one keras-gpt2 decode step at context 64, per kernel (ms):")
    for kernel, ms in list(ours["profile_ms"].items())[:12]:
        print(f"  {kernel:<28}{ms:>8.2f}")
    figures["ratio_to_floor"] = {n: ms / floor for n, ms in ours["ms_per_token_cached"].items()}
    references = {}
    for run in figures.get("transformers_js", []):
        for n, ms in run["ms_per_token"].items():
            references[f"{run['dtype']}@{run['threads']}/{n}"] = ms
    figures["ratio_to_transformers_js"] = {
        key: ours["ms_per_token_cached"].get(key.split("/")[1], float("nan")) / ms for key, ms in references.items()
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
