"""`fit` with what a long run needs: validation, per-epoch presets, resume, a loss plot."""

import contextlib
import csv
import math
import os
import signal
import threading

import keras

from keras_gpt2.errors import DestinationError
from keras_gpt2.training.text_windows import make_windows

RUN_MARKER = ".keras-gpt2-run"


class PresetCheckpoint(keras.callbacks.Callback):
    """Saves the model as a preset directory at the end of every epoch (atomically)."""

    def __init__(self, directory):
        super().__init__()
        self.directory = directory

    def on_epoch_end(self, epoch, logs=None):
        self.model.save_to_preset(os.path.join(self.directory, "last"), overwrite=True)


class InterruptAtBatchEnd(keras.callbacks.Callback):
    """Turns Ctrl-C into a `KeyboardInterrupt` raised at the next batch boundary.

    A KeyboardInterrupt raised wherever the signal lands can leave a backend
    half-way through a step (on JAX, `fit` then hangs in its validation
    loop). Raised from here, it unwinds `fit` cleanly and on every backend;
    `BackupAndRestore` keeps its last epoch for the resume.
    """

    def __init__(self):
        super().__init__()
        self.requested = False

    def request(self, *args):
        self.requested = True

    def on_train_batch_end(self, batch, logs=None):
        if self.requested:
            raise KeyboardInterrupt

    on_test_batch_end = on_train_batch_end

    @contextlib.contextmanager
    def handling_sigint(self):
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signal.SIGINT, self.request)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


def plot_history(csv_path, png_path):
    """Draws training and validation loss per epoch from a Keras `CSVLogger` file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(csv_path, newline="") as file:
        rows = list(csv.DictReader(file))
    epochs = [int(row["epoch"]) + 1 for row in rows]
    figure, axis = plt.subplots(figsize=(6, 4))
    for key, label in (("loss", "train"), ("val_loss", "validation")):
        if rows and key in rows[0]:
            axis.plot(epochs, [float(row[key]) for row in rows], marker="o", label=label)
    axis.set_xlabel("epoch")
    axis.set_ylabel("cross-entropy (nats/token)")
    axis.set_title("keras-gpt2 training")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(png_path, dpi=120)
    plt.close(figure)


def claim_run_folder(output_dir):
    """Makes `output_dir` a run folder: it must be new, empty, or an earlier run's (to resume).

    A folder holding files that training did not write is refused
    (`DestinationError`) before anything is written or deleted there.
    """
    marker = os.path.join(output_dir, RUN_MARKER)
    if os.path.lexists(output_dir):
        if not os.path.isdir(output_dir) or os.path.islink(output_dir):
            raise DestinationError(output_dir, None, "exists and is not a folder")
        if os.listdir(output_dir) and not os.path.isfile(marker):
            raise DestinationError(
                output_dir,
                None,
                "holds files that keras-gpt2 training did not write; give a new or empty folder, "
                "or an earlier run's folder to resume it",
            )
    os.makedirs(output_dir, exist_ok=True)
    with open(marker, "w", encoding="utf-8") as file:
        file.write("A keras-gpt2 training run: rerun the same command to resume it.\n")


def train(
    model,
    train_ids,
    validation_ids,
    output_dir,
    sequence_length,
    epochs,
    batch_size=16,
    learning_rate=1e-3,
    seed=0,
    verbose=1,
):
    """Trains `model` (a `GPT2CausalLM`) on token-id streams and writes `output_dir`.

    `output_dir` receives `last/` (a preset after every epoch), `history.csv`,
    `loss.png` and, while running, `backup/` (model and optimizer state after
    every epoch): rerunning the same call after an interruption (Ctrl-C, a
    crash) resumes at the start of the first unfinished epoch, so finished
    epochs are never lost. Returns the Keras `History`.
    """
    claim_run_folder(output_dir)
    x, y, sample_weight = make_windows(train_ids, sequence_length)
    validation = make_windows(validation_ids, sequence_length) if validation_ids is not None else None
    steps_per_epoch = math.ceil(len(y) / batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=learning_rate / 10,
        decay_steps=max(1, epochs * steps_per_epoch),
        warmup_target=learning_rate,
        warmup_steps=min(200, steps_per_epoch),
        alpha=0.1,
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=0.01, clipnorm=1.0),
        sampler=model.sampler,
    )
    keras.utils.set_random_seed(seed)
    history_path = os.path.join(output_dir, "history.csv")
    backup_dir = os.path.join(output_dir, "backup")
    if not os.path.isdir(backup_dir) and os.path.exists(history_path):
        os.remove(history_path)  # A fresh run, not a resume: start the log anew.
    callbacks = [
        keras.callbacks.BackupAndRestore(backup_dir, save_freq="epoch", double_checkpoint=True),
        keras.callbacks.CSVLogger(history_path, append=True),
        PresetCheckpoint(output_dir),
    ]
    interrupt = InterruptAtBatchEnd()
    with interrupt.handling_sigint():
        history = model.fit(
            x,
            y,
            sample_weight=sample_weight,
            batch_size=batch_size,
            epochs=epochs,
            validation_data=validation,
            callbacks=[*callbacks, interrupt],
            shuffle=True,
            verbose=verbose,
        )
    plot_history(history_path, os.path.join(output_dir, "loss.png"))
    return history
