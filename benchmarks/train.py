"""Training throughput: keras-gpt2's `fit` on 1 device and on 4 virtual devices, against keras-hub.

A GPT-2 small-shaped model (124M parameters, random weights, dropout 0) is
trained with `fit` on random token ids at sequence length 256, on the JAX
backend. Each configuration runs in its own process (so peak memory is its
own): keras-gpt2 on one device, keras-gpt2 data parallel and 2 x 2 model
parallel on 4 virtual CPU devices (`--xla_force_host_platform_device_count=4`,
which splits this machine's cores, so it shows the overhead of the
distribution, not a speed-up), and keras-hub's `GPT2CausalLM.fit` on one
device. Tokens/s are timed over the steps after the first (compiling) one.
Peak memory is the process's peak resident size; per device it is that
divided by the device count (virtual CPU devices share one memory).

Prints a table, then one JSON line with every figure and our ratios.

    python benchmarks/train.py                       # 4 timed steps of batch 8
    python benchmarks/train.py --steps 8 --batch-size 16
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

SEQUENCE_LENGTH = 256
GPT2_SMALL = dict(vocabulary_size=50257, num_layers=12, num_heads=12, hidden_dim=768, intermediate_dim=3072)
CONFIGURATIONS = ("ours 1 device", "ours data parallel x4", "ours model parallel 2x2", "keras_hub 1 device")


def token_batches(batch_size, steps):
    import numpy as np

    rng = np.random.default_rng(0)
    ids = rng.integers(0, GPT2_SMALL["vocabulary_size"], size=(batch_size * steps, SEQUENCE_LENGTH + 1))
    return ids.astype("int32")


def set_distribution(configuration):
    import keras

    from keras_gpt2.models.gpt2_backbone import GPT2Backbone

    devices = keras.distribution.list_devices()
    if "data parallel" in configuration:
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    elif "model parallel" in configuration:
        mesh = keras.distribution.DeviceMesh((2, 2), ["batch", "model"], devices)
        layout_map = GPT2Backbone.get_layout_map(mesh)
        keras.distribution.set_distribution(
            keras.distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch")
        )
    return len(devices)


def build_model(configuration):
    import keras

    if configuration.startswith("keras_hub"):
        import keras_hub

        backbone = keras_hub.models.GPT2Backbone(**GPT2_SMALL, dropout=0.0, max_sequence_length=1024)
        model = keras_hub.models.GPT2CausalLM(backbone, preprocessor=None)
    else:
        from keras_gpt2.models.gpt2_backbone import GPT2Backbone
        from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM

        model = GPT2CausalLM(GPT2Backbone(**GPT2_SMALL, dropout=0.0, max_sequence_length=1024))
    model.compile(
        optimizer=keras.optimizers.AdamW(1e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


class StepTimer:
    """Times each training step (a Keras callback built lazily so Keras loads in the child only)."""

    def __new__(cls):
        import keras

        class Timer(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.times = []

            def on_train_batch_begin(self, batch, logs=None):
                self.start = time.perf_counter()

            def on_train_batch_end(self, batch, logs=None):
                self.times.append(time.perf_counter() - self.start)

        return Timer()


def run_configuration(configuration, batch_size, steps):
    import numpy as np

    device_count = set_distribution(configuration)
    model = build_model(configuration)
    ids = token_batches(batch_size, steps + 1)
    x = {"token_ids": ids[:, :-1], "padding_mask": np.ones((len(ids), SEQUENCE_LENGTH), bool)}
    timer = StepTimer()
    model.fit(x, ids[:, 1:], batch_size=batch_size, epochs=1, shuffle=False, verbose=0, callbacks=[timer])
    timed = timer.times[1:]  # the first step compiles
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    return {
        "tokens_per_s": batch_size * SEQUENCE_LENGTH * len(timed) / sum(timed),
        "first_step_s": timer.times[0],
        "devices": device_count,
        "peak_rss_gb": peak,
        "peak_rss_gb_per_device": peak / device_count,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=4, help="timed steps after the first")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--only", default=",".join(CONFIGURATIONS), help="comma-separated configurations")
    parser.add_argument("--configuration", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.configuration:
        result = run_configuration(args.configuration, args.batch_size, args.steps)
        print("RESULT " + json.dumps(result))
        return
    results = {}
    for configuration in args.only.split(","):
        print(f"running {configuration} ...", file=sys.stderr, flush=True)
        env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}
        if "x4" in configuration or "2x2" in configuration:
            env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
        command = [sys.executable, __file__, "--configuration", configuration]
        command += ["--batch-size", str(args.batch_size), "--steps", str(args.steps)]
        run = subprocess.run(command, env=env, capture_output=True, text=True)
        if run.returncode:
            print(f"{configuration} failed:\n{run.stderr[-3000:]}", file=sys.stderr)
            continue
        line = next(line for line in run.stdout.splitlines() if line.startswith("RESULT "))
        results[configuration] = json.loads(line[len("RESULT ") :])
    print(f"GPT-2 small, fit, sequence {SEQUENCE_LENGTH}, batch {args.batch_size}, JAX, {args.steps} timed steps")
    columns = ("tokens_per_s", "first_step_s", "devices", "peak_rss_gb", "peak_rss_gb_per_device")
    print(f"{'configuration':28}" + "".join(f"{c:>24}" for c in columns))
    for name, result in results.items():
        print(f"{name:28}" + "".join(f"{result[c]:>24.2f}" for c in columns))
    ratios = {}
    if "ours 1 device" in results and "keras_hub 1 device" in results:
        ratios["ours_over_keras_hub"] = (
            results["ours 1 device"]["tokens_per_s"] / results["keras_hub 1 device"]["tokens_per_s"]
        )
    print(json.dumps({"results": results, "ratios": ratios}))


if __name__ == "__main__":
    main()
