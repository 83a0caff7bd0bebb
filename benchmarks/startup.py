"""Start-up costs of the command line and the library, each in a fresh process.

Prints the wall time of `keras-gpt2 --help`, of a usage error, of `import
keras_gpt2`, of `import keras_gpt2` plus `GPT2CausalLM` (which loads Keras
and its backend), and of `keras-gpt2 generate` on the shipped model up to its
first streamed token and to the end of 20 tokens. Best of three runs each.

    python benchmarks/startup.py
"""

import json
import os
import subprocess
import sys
import time

CLI = [sys.executable, "-m", "keras_gpt2.cli.main"]
CASES = {
    "cli_help": CLI + ["--help"],
    "cli_usage_error": CLI + ["generate", "--max-new-tokens", "many"],
    "import_keras_gpt2": [sys.executable, "-c", "import keras_gpt2"],
    "import_model_classes": [sys.executable, "-c", "from keras_gpt2 import GPT2CausalLM"],
}


def best_of(command, runs=3):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        times.append(time.perf_counter() - start)
    return min(times)


def generate_first_token():
    """Seconds to the first streamed character of generated text, and to the end."""
    start = time.perf_counter()
    process = subprocess.Popen(
        CLI + ["generate", "To be", "--max-new-tokens", "20", "--seed", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    prompt_seen, first = b"", None
    while True:
        byte = process.stdout.read(1)
        if not byte:
            break
        prompt_seen += byte
        if first is None and len(prompt_seen) > len(b"To be"):
            first = time.perf_counter() - start
    process.wait()
    return first, time.perf_counter() - start


def main():
    results = {name: best_of(command) for name, command in CASES.items()}
    results["generate_first_token"], results["generate_20_tokens"] = generate_first_token()
    print(f"{'what':<24}{'seconds':>10}")
    for name, seconds in results.items():
        print(f"{name:<24}{(seconds or float('nan')):>10.2f}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
