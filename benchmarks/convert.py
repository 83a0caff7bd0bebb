"""Memory and time of `import-hf` on a GPT-2 small checkpoint (124M, random weights).

Writes a Hugging Face checkpoint with transformers in one process, then converts it to a
preset in a fresh process and prints: checkpoint size, seconds, the process's resident
memory after imports, and its peak during the conversion. The target is a peak increase of
at most about 2x the checkpoint size.

    python benchmarks/convert.py
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def current_rss_gb():
    with open("/proc/self/statm") as file:
        return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e9


def convert(source, target):
    import keras  # noqa: F401  (the backend import is not part of the conversion)

    from keras_gpt2.io.hugging_face import import_hf

    after_imports = current_rss_gb()
    start = time.perf_counter()
    import_hf(source).save_to_preset(target)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print("RESULT " + json.dumps({"seconds": seconds, "rss_after_imports_gb": after_imports, "peak_rss_gb": peak}))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--convert":
        return convert(sys.argv[2], sys.argv[3])
    import torch
    import transformers

    with tempfile.TemporaryDirectory() as folder:
        torch.manual_seed(0)
        transformers.GPT2LMHeadModel(transformers.GPT2Config()).save_pretrained(os.path.join(folder, "hf"))
        size = os.path.getsize(os.path.join(folder, "hf", "model.safetensors")) / 1e9
        run = subprocess.run(
            [sys.executable, __file__, "--convert", os.path.join(folder, "hf"), os.path.join(folder, "preset")],
            capture_output=True,
            text=True,
        )
        lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
        if run.returncode or not lines:
            raise SystemExit(run.stderr[-3000:])
        figures = json.loads(lines[0][len("RESULT ") :])
    figures["checkpoint_gb"] = size
    figures["peak_increase_over_checkpoint"] = (figures["peak_rss_gb"] - figures["rss_after_imports_gb"]) / size
    print(f"checkpoint {size:.2f} GB, converted in {figures['seconds']:.1f} s")
    print(
        f"resident memory after imports {figures['rss_after_imports_gb']:.2f} GB, peak {figures['peak_rss_gb']:.2f} GB"
    )
    print(f"peak increase = {figures['peak_increase_over_checkpoint']:.2f} x the checkpoint")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
