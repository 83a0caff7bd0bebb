"""`keras-gpt2 train` end to end: progress, per-epoch presets, SIGINT and resume, the plot."""

import csv
import json
import math
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor
from tests.helpers import tiny_backbone

SONNET = (
    "Shall I compare thee to a summer's day?\nThou art more lovely and more temperate:\n"
    "Rough winds do shake the darling buds of May,\nAnd summer's lease hath all too short a date;\n"
)


def train_command(data, output, epochs):
    return [
        sys.executable,
        "-m",
        "keras_gpt2.cli.main",
        "train",
        str(data),
        "--output",
        str(output),
        "--epochs",
        str(epochs),
        "--sequence-length",
        "16",
        "--batch-size",
        "4",
        "--hidden-dim",
        "16",
        "--num-layers",
        "1",
        "--num-heads",
        "2",
        "--max-sequence-length",
        "32",
        "--learning-rate",
        "0.01",
    ]


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text(SONNET * 40)
    (folder / "b.txt").write_text(SONNET * 4)
    return folder


def epochs_logged(output):
    with open(output / "history.csv", newline="") as file:
        return [int(row["epoch"]) for row in csv.DictReader(file)]


def test_interrupted_training_resumes_without_losing_epochs(data, tmp_path):
    output = tmp_path / "run"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(
        train_command(data, output, epochs=1000), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.time() + 300
    while time.time() < deadline and not (output / "history.csv").exists():
        time.sleep(0.5)
    while time.time() < deadline and len(epochs_logged(output)) < 2:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr[-2000:]
    assert "interrupted" in stderr
    finished = epochs_logged(output)
    assert 2 <= len(finished) < 1000 and finished == list(range(len(finished)))
    assert (output / "backup").is_dir() and (output / "last" / "model.weights.h5").is_file()

    # The same command again: continues after the last finished epoch, never repeats one.
    resumed = subprocess.run(
        train_command(data, output, epochs=len(finished) + 2), env=env, capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert epochs_logged(output) == list(range(len(finished) + 2))
    assert not (output / "backup").exists()
    assert (output / "loss.png").stat().st_size > 5000
    model = GPT2CausalLM.from_preset(output / "last")
    assert model.backbone.hidden_dim == 16


def test_loss_goes_down_and_validation_is_reported(data, tmp_path):
    from keras_gpt2.cli.main import main

    output = tmp_path / "run"
    assert main(train_command(data, output, epochs=3)[3:]) == 0
    with open(output / "history.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"])
    assert "val_loss" in rows[0]


def test_a_folder_with_other_files_is_never_a_run_folder(data, tmp_path):
    output = tmp_path / "documents"
    output.mkdir()
    (output / "history.csv").write_text("my own spreadsheet")
    (output / "loss.png").write_bytes(b"my picture")
    run = subprocess.run(train_command(data, output, 1), capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.strip().count("\n") == 0, run.stderr
    assert "holds files that keras-gpt2 training did not write" in run.stderr
    assert sorted(os.listdir(output)) == ["history.csv", "loss.png"]
    assert (output / "history.csv").read_text() == "my own spreadsheet"


class PreemptAtStep(keras.callbacks.Callback):
    """Stops training at one step as a preempted machine would, between two batches."""

    def __init__(self, step):
        super().__init__()
        self.step, self.seen = step, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.step:
            raise KeyboardInterrupt


def test_a_run_preempted_mid_epoch_resumes_at_its_last_checkpoint_exactly(gpt2_tokenizer, tmp_path):
    from keras_gpt2.training.text_windows import tokenize_documents
    from keras_gpt2.training.trainer import train

    base = tmp_path / "base"
    GPT2CausalLM(tiny_backbone(max_sequence_length=16), GPT2CausalLMPreprocessor(gpt2_tokenizer, 16)).save_to_preset(
        base
    )
    ids = tokenize_documents(gpt2_tokenizer, [SONNET * 12])
    steps_per_epoch = math.ceil(((len(ids) - 1) // 16) / 4)
    settings = dict(sequence_length=16, epochs=2, batch_size=4, learning_rate=0.01, verbose=0)

    whole = GPT2CausalLM.from_preset(base)
    train(whole, ids, None, tmp_path / "whole", checkpoint_every_steps=3, **settings)

    preempted = tmp_path / "preempted"
    with pytest.raises(KeyboardInterrupt):
        train(
            GPT2CausalLM.from_preset(base),
            ids,
            None,
            preempted,
            callbacks=[PreemptAtStep(steps_per_epoch + 5)],
            checkpoint_every_steps=3,
            **settings,
        )
    progress = json.loads((preempted / "backup" / "progress.json").read_text())
    assert (progress["epoch"], progress["step"]) == (1, 3)  # epoch 0 done, 5 steps of epoch 1, the first 3 saved
    resumed = GPT2CausalLM.from_preset(base)  # a new process would start from the files alone
    history = train(resumed, ids, None, preempted, checkpoint_every_steps=3, **settings)
    assert history.epoch == [1]
    for ours, reference in zip(resumed.backbone.weights, whole.backbone.weights):
        np.testing.assert_allclose(ours.numpy(), reference.numpy(), atol=1e-5, err_msg=ours.path)
    assert not (preempted / "backup").exists()
    assert epochs_logged(preempted) == [0, 1]


def test_lora_fine_tuning_from_the_command_line(data, tmp_path):
    from keras_gpt2.assets import shipped_preset_path
    from keras_gpt2.cli.main import main
    from keras_gpt2.models.lora import lora_layers

    output = tmp_path / "run"
    command = train_command(data, output, epochs=1)[3:] + ["--init-from", shipped_preset_path("shakespeare")]
    assert main([*command, "--lora-rank", "2"]) == 0
    assert (output / "adapters.lora.h5").stat().st_size < 200_000
    tuned = GPT2CausalLM.from_preset(output / "last")  # a plain model: the adapters are merged in
    assert lora_layers(tuned.backbone) == []
    base = GPT2CausalLM.from_preset(shipped_preset_path("shakespeare"))
    base.backbone.load_lora_weights(output / "adapters.lora.h5")
    ids = np.array([[50256, 42, 2751, 13]])
    inputs = {"token_ids": ids, "padding_mask": np.ones_like(ids, bool)}
    np.testing.assert_allclose(np.asarray(tuned(inputs)), np.asarray(base(inputs)), atol=1e-5)
