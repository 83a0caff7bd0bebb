"""Generation speed and memory: keras-gpt2 against keras-hub and Hugging Face, in one run.

GPT-2 small (124M parameters, random weights), greedy decoding. First, one
random checkpoint per implementation is written to a temporary folder (each
in its own process). Then each implementation, in its own process (so peak
memory is its own), loads its checkpoint the way a user would and measures:

- ms per new token at batch 1 (prompt 8 tokens, 64 new tokens, after warm-up;
  total generate time / 64, so the prompt pass is included),
- first-call latency (compilation included),
- tokens/s at batch 8 and 32,
- peak resident memory of the whole process after the batch-1 runs
  (loading the checkpoint included),
- many prompts: 50 prompts of 50 different lengths (3 to 52 tokens), one after
  another, 16 new tokens each: the total time against the same 50 calls at one
  fixed length (27 tokens), and for ours the number of programs compiled.

On JAX, ours runs twice: with an empty compilation cache ("ours"), then in a
new process that finds the programs in that cache ("ours, cached"), as the
`keras-gpt2` command does from its second run on. `--dtypes` adds rows for
ours under other dtype policies (e.g. bfloat16, mixed_bfloat16).

Prints a table, then one JSON line with every figure and our ratios.

    python benchmarks/generate.py                      # default backend
    python benchmarks/generate.py --backend jax --dtypes float32,bfloat16,mixed_bfloat16
    python benchmarks/generate.py --only ours --quantize int8
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

PROMPT_LENGTH = 8
NEW_TOKENS = 64
MANY_LENGTHS = list(range(3, 53))
MANY_NEW_TOKENS = 16
GPT2_SMALL = dict(vocabulary_size=50257, num_layers=12, num_heads=12, hidden_dim=768, intermediate_dim=3072)


def peak_rss_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def prompts(batch_size, length=PROMPT_LENGTH, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    return rng.integers(0, 50000, size=(batch_size, length)).astype("int32")


def time_calls(generate, batch_size, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        generate(prompts(batch_size))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(generate):
    start = time.perf_counter()
    generate(prompts(1))
    first = time.perf_counter() - start
    warm = time_calls(generate, 1, repeats=5)
    result = {"first_call_s": first, "ms_per_token_b1": warm / NEW_TOKENS * 1000, "peak_rss_gb": peak_rss_gb()}
    for batch_size in (8, 32):
        generate(prompts(batch_size))
        seconds = time_calls(generate, batch_size, repeats=2)
        result[f"tokens_per_s_b{batch_size}"] = batch_size * NEW_TOKENS / seconds
    result["tokens_per_s_b1"] = 1000 / result["ms_per_token_b1"]
    compiled_before = generate.compilations() if hasattr(generate, "compilations") else None
    for key, lengths in (("many_lengths_s", MANY_LENGTHS), ("one_length_s", [27] * len(MANY_LENGTHS))):
        start = time.perf_counter()
        for seed, length in enumerate(lengths):
            generate(prompts(1, length, seed), MANY_NEW_TOKENS)
        result[key] = time.perf_counter() - start
    result["many_over_one_length"] = result["many_lengths_s"] / result["one_length_s"]
    result["many_ms_per_token"] = result["many_lengths_s"] / (len(MANY_LENGTHS) * MANY_NEW_TOKENS) * 1000
    if compiled_before is not None:
        result["many_compilations"] = generate.compilations() - compiled_before
    return result


def save_ours(folder):
    from keras_gpt2.models.gpt2_backbone import GPT2Backbone
    from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM

    GPT2CausalLM(GPT2Backbone(**GPT2_SMALL, dropout=0.0)).save_to_preset(folder)


def ours(folder, quantize=None, dtype=None):
    import numpy as np

    from keras_gpt2.generation.compiled_functions import enable_compilation_cache
    from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM

    if os.environ.get("BENCHMARK_COMPILATION_CACHE"):
        enable_compilation_cache(os.environ["BENCHMARK_COMPILATION_CACHE"])
    model = GPT2CausalLM.from_preset(folder, dtype=dtype)
    if quantize:
        model.quantize(quantize)
    model.compile(sampler="greedy")

    def generate(token_ids, new_tokens=NEW_TOKENS):
        x = {"token_ids": token_ids, "padding_mask": np.ones_like(token_ids, bool)}
        return model.generate(x, max_new_tokens=new_tokens, stop_token_ids=None)

    generate.compilations = lambda: model.generator.compilations
    return generate


def save_keras_hub(folder):
    import keras_hub

    keras_hub.models.GPT2Backbone(**GPT2_SMALL, dropout=0.0, max_sequence_length=1024).save_to_preset(folder)


def keras_hub(folder):
    import keras_hub
    import numpy as np

    backbone = keras_hub.models.GPT2Backbone.from_preset(folder)
    model = keras_hub.models.GPT2CausalLM(backbone, preprocessor=None)
    model.compile(sampler="greedy")

    def generate(token_ids, new_tokens=NEW_TOKENS):
        length = token_ids.shape[1]
        padded = np.zeros((len(token_ids), length + new_tokens), "int32")
        padded[:, :length] = token_ids
        mask = np.zeros_like(padded, bool)
        mask[:, :length] = True
        return model.generate({"token_ids": padded, "padding_mask": mask}, stop_token_ids=None)

    return generate


def save_hugging_face(folder):
    import transformers

    transformers.GPT2LMHeadModel(transformers.GPT2Config()).save_pretrained(folder)


def hugging_face(folder):
    import torch
    import transformers

    torch.set_num_threads(os.cpu_count())
    model = transformers.GPT2LMHeadModel.from_pretrained(folder).eval()

    def generate(token_ids, new_tokens=NEW_TOKENS):
        with torch.no_grad():
            return model.generate(
                torch.tensor(token_ids, dtype=torch.long),
                attention_mask=torch.ones(token_ids.shape, dtype=torch.long),
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                do_sample=False,
                use_cache=True,
                pad_token_id=0,
            )

    return generate


IMPLEMENTATIONS = {
    "ours": (save_ours, ours),
    "keras_hub": (save_keras_hub, keras_hub),
    "transformers": (save_hugging_face, hugging_face),
}


def run_child(label, arguments, env):
    run = subprocess.run([sys.executable, __file__, *arguments], env=env, capture_output=True, text=True)
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    if run.returncode or not lines:
        print(run.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{label} failed")
    return json.loads(lines[-1][len("RESULT ") :])


def child(args):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    save, load = IMPLEMENTATIONS[args.implementation]
    if args.save:
        save(args.folder)
        print("RESULT {}", flush=True)
        return
    options = {"quantize": args.quantize, "dtype": args.dtype} if args.implementation == "ours" else {}
    print("RESULT " + json.dumps(measure(load(args.folder, **options))), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default=None, help="Keras backend for ours and keras-hub")
    parser.add_argument("--only", default=",".join(IMPLEMENTATIONS), help="comma-separated implementations")
    parser.add_argument("--dtypes", default="float32", help="comma-separated dtype policies for ours")
    parser.add_argument("--quantize", default=None, choices=[None, "int8"], help="quantize ours")
    parser.add_argument("--implementation", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--folder", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--save", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dtype", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.implementation:
        return child(args)

    env = dict(os.environ)
    if args.backend:
        env["KERAS_BACKEND"] = args.backend
    backend = env.get("KERAS_BACKEND", "tensorflow")
    names = args.only.split(",")
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in names:
            print(f"writing a random {name} checkpoint ...", file=sys.stderr, flush=True)
            folder = os.path.join(scratch, name)
            run_child(name, ["--implementation", name, "--folder", folder, "--save"], env)
        for name in names:
            runs = [(name, [], {})]
            if name == "ours":
                runs = []
                for dtype in args.dtypes.split(","):
                    label = "ours" if dtype == "float32" else f"ours[{dtype}]"
                    cache = {"BENCHMARK_COMPILATION_CACHE": os.path.join(scratch, f"cache-{dtype}")}
                    options = ["--dtype", dtype] + (["--quantize", args.quantize] if args.quantize else [])
                    runs.append((label, options, cache))
                    if backend == "jax" and dtype == "float32":
                        runs.append(("ours, cached", options, cache))
            for label, options, extra_env in runs:
                engine = "torch" if name == "transformers" else backend
                print(f"running {label} ({engine}) ...", file=sys.stderr, flush=True)
                command = ["--implementation", name, "--folder", os.path.join(scratch, name), *options]
                results[label] = run_child(label, command, {**env, **extra_env})

    columns = [
        "ms_per_token_b1",
        "first_call_s",
        "tokens_per_s_b1",
        "tokens_per_s_b8",
        "tokens_per_s_b32",
        "peak_rss_gb",
        "many_lengths_s",
        "one_length_s",
        "many_over_one_length",
    ]
    print(f"GPT-2 small, greedy, prompt {PROMPT_LENGTH}, {NEW_TOKENS} new tokens, Keras backend {backend}")
    print(f"{'implementation':<22}" + "".join(f"{c:>22}" for c in columns))
    for name, figures in results.items():
        print(f"{name:<22}" + "".join(f"{figures[c]:>22.2f}" for c in columns))
    for name, figures in results.items():
        if "many_compilations" in figures:
            print(f"{name}: {figures['many_compilations']} programs compiled for the 50 prompt lengths")
    summary = {"backend": backend, "quantize": args.quantize, "results": results}
    if "ours" in results:
        mine = results["ours"]
        warm_call_s = mine["ms_per_token_b1"] * NEW_TOKENS / 1000
        summary["ratios"] = {
            "first_call_over_warm_call": mine["first_call_s"] / warm_call_s,
            "b32_over_b1_throughput": mine["tokens_per_s_b32"] / mine["tokens_per_s_b1"],
            **(
                {"cached_first_call_over_warm_call": results["ours, cached"]["first_call_s"] / warm_call_s}
                if "ours, cached" in results
                else {}
            ),
            **{
                f"speedup_vs_{name}": results[name]["ms_per_token_b1"] / mine["ms_per_token_b1"]
                for name in results
                if not name.startswith("ours")
            },
        }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
