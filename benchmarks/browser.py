"""Browser generation speed: GPT-2 small (124M, random weights) in Chromium with TF.js.

Exports the model (float32 by default) with the demo page, serves it with
cross-origin isolation (wasm threads on), and times the runtime's greedy
decoding at batch 1, with and without the KV cache, next to the floor measured
in the same page (the bare weight products of one decode step) and a per-kernel
profile of one step. Prints a table and a JSON line.

    python benchmarks/browser.py [--backend wasm] [--quantize float16] [--small-config]
"""

import argparse
import json
import os
import subprocess
import tempfile
import threading

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WEBGPT_MS_PER_TOKEN = 30.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="wasm", choices=["wasm", "cpu", "webgl", "webgpu"])
    parser.add_argument("--quantize", default=None, choices=["float16", "uint16", "uint8"])
    parser.add_argument("--new-tokens", default="64,512", help="comma-separated lengths timed with the KV cache")
    parser.add_argument("--uncached-new-tokens", type=int, default=16)
    parser.add_argument("--small-config", action="store_true", help="a 2-layer model, for a quick check")
    args = parser.parse_args()

    from keras_gpt2.io.tfjs import export_tfjs
    from keras_gpt2.js import make_server
    from keras_gpt2.js import write_demo
    from keras_gpt2.models.gpt2_backbone import GPT2Backbone
    from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM

    config = dict(vocabulary_size=50257, num_layers=12, num_heads=12, hidden_dim=768, intermediate_dim=3072)
    if args.small_config:
        config.update(num_layers=2, num_heads=2, hidden_dim=64, intermediate_dim=256)
    model = GPT2CausalLM(GPT2Backbone(**config, dropout=0.0, max_sequence_length=1024))
    with tempfile.TemporaryDirectory() as folder:
        export_tfjs(model, os.path.join(folder, "web"), quantization=args.quantize)
        write_demo(os.path.join(folder, "web"))
        with open(os.path.join(folder, "web", "blank.html"), "w") as page:
            page.write("<!doctype html><title>keras-gpt2 benchmark</title>\n")
        server = make_server(os.path.join(folder, "web"))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/blank.html"
            run = subprocess.run(
                [
                    "node",
                    os.path.join(REPO_DIR, "benchmarks", "browser.mjs"),
                    url,
                    args.backend,
                    str(args.new_tokens),
                    str(args.uncached_new_tokens),
                ],
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
    floor = figures["floor_ms_per_token"]
    print(
        f"GPT-2 {'small-config' if args.small_config else 'small (124M)'}, Chromium, TF.js {figures['backend']} "
        f"({figures['threads']} threads), weights {args.quantize or 'float32'}, batch 1, greedy, prompt 8"
    )
    print(f"{'engine':<44}{'ms/token':>10}{'x floor':>9}")
    rows = [(f"keras-gpt2, KV cache, {n} new tokens", ms) for n, ms in figures["ms_per_token_cached"].items()]
    rows.append((f"keras-gpt2, no cache, {args.uncached_new_tokens} new tokens", figures["ms_per_token_uncached"]))
    rows.append(("floor: bare x @ W products of one step", floor))
    rows.append(("WebGPT (published, other hardware)", WEBGPT_MS_PER_TOKEN))
    for name, ms in rows:
        print(f"{name:<44}{ms:>10.1f}{ms / floor:>9.2f}")
    print(f"floor bandwidth: {figures['floor_bytes'] / floor / 1e6:.1f} GB/s")
    print("one decode step at context 64, per kernel (ms):")
    for kernel, ms in list(figures["profile_ms"].items())[:12]:
        print(f"  {kernel:<28}{ms:>8.2f}")
    figures["ratio_to_floor"] = {n: ms / floor for n, ms in figures["ms_per_token_cached"].items()}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
