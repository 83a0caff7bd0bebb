"""`fit` with what a long run needs: validation, per-epoch presets, exact resume, a loss plot."""

import contextlib
import csv
import json
import math
import os
import shutil
import signal
import threading

import keras
import numpy as np

from keras_gpt2.errors import DestinationError
from keras_gpt2.io.paths import safe_child
from keras_gpt2.training.text_windows import make_windows

RUN_MARKER = ".keras-gpt2-run"


class PresetCheckpoint(keras.callbacks.Callback):
    """Saves the model as a preset directory at the end of every epoch (atomically)."""

    def __init__(self, directory):
        super().__init__()
        self.directory = directory

    def on_epoch_end(self, epoch, logs=None):
        self.model.save_to_preset(os.path.join(self.directory, "last"), overwrite=True)


class TrainingState(keras.callbacks.Callback):
    """Model and optimizer state with the data position, every `every_steps` steps and at
    each epoch's end, in `directory`: a preempted run loses at most `every_steps` steps.

    Each save writes `state-<epoch>-<step>.weights.h5` (weights and optimizer variables,
    as `Model.save_weights` stores them), then replaces `progress.json` (the epoch, the
    steps of it done, and that file's name) in one rename, then removes the older state
    file: a crash at any point leaves a complete state behind. `step_offset` is the number
    of steps of the epoch done before this `fit` call (a resumed epoch).
    """

    PROGRESS_FILE = "progress.json"

    def __init__(self, directory, every_steps=None, step_offset=0):
        super().__init__()
        self.directory = directory
        self.every_steps = every_steps
        self.step_offset = step_offset
        self.epoch = 0

    @classmethod
    def restore(cls, model, directory):
        """Loads the saved weights and optimizer state into `model` (compiled); returns `(epoch, step)`."""
        path = os.path.join(directory, cls.PROGRESS_FILE)
        if not os.path.isfile(path):
            return 0, 0
        with open(path, encoding="utf-8") as file:
            progress = json.load(file)
        state = safe_child(directory, progress["file"], path, "file")  # a plain name in the folder
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        model.load_weights(state)
        return progress["epoch"], progress["step"]

    def save(self, epoch, step):
        os.makedirs(self.directory, exist_ok=True)
        name = f"state-{epoch:05d}-{step:07d}.weights.h5"
        self.model.save_weights(os.path.join(self.directory, name))
        progress = os.path.join(self.directory, self.PROGRESS_FILE)
        with open(progress + ".tmp", "w", encoding="utf-8") as file:
            json.dump({"epoch": epoch, "step": step, "file": name}, file)
        os.replace(progress + ".tmp", progress)
        for old in os.listdir(self.directory):
            if old.startswith("state-") and old != name:
                os.remove(os.path.join(self.directory, old))

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        step = self.step_offset + batch + 1
        if self.every_steps and step % self.every_steps == 0:
            self.save(self.epoch, step)

    def on_epoch_end(self, epoch, logs=None):
        self.save(epoch + 1, 0)


def epoch_order(count, seed, epoch):
    """The order of the `count` training windows in `epoch`: fixed by `seed` and `epoch`
    alone, so that a resumed run sees the same batches as an uninterrupted one."""
    return np.random.default_rng([seed, epoch]).permutation(count)


class InterruptAtBatchEnd(keras.callbacks.Callback):
    """Turns Ctrl-C into a `KeyboardInterrupt` raised at the next batch boundary.

    A KeyboardInterrupt raised wherever the signal lands can leave a backend
    half-way through a step (on JAX, `fit` then hangs in its validation
    loop). Raised from here, it unwinds `fit` cleanly and on every backend;
    `TrainingState` keeps its last save for the resume.
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
        if rows and all(row.get(key, "NA") != "NA" for row in rows):  # Keras logs NA without validation
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
    checkpoint_every_steps=None,
    callbacks=(),
):
    """Trains `model` (a `GPT2CausalLM`) on token-id streams and writes `output_dir`.

    `output_dir` receives `last/` (a preset after every epoch), `history.csv`,
    `loss.png` and, while running, `backup/` (model, optimizer state and data
    position after every epoch and every `checkpoint_every_steps` steps):
    rerunning the same call after an interruption (Ctrl-C, a crash, a
    preempted machine) resumes at the step where the last save was made, with
    the same batches in the same order as an uninterrupted run. The loss
    logged for a resumed epoch averages its remaining steps only. `callbacks`
    are added to each `fit` call. Returns a Keras `History` of the epochs run
    by this call.
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
    start_epoch, start_step = TrainingState.restore(model, backup_dir)
    history = keras.callbacks.History()
    history.history, history.epoch = {}, []
    interrupt = InterruptAtBatchEnd()
    with interrupt.handling_sigint():
        for epoch in range(start_epoch, epochs):
            order = epoch_order(len(y), seed, epoch)[start_step * batch_size :]
            epoch_callbacks = [
                TrainingState(backup_dir, checkpoint_every_steps, step_offset=start_step),
                keras.callbacks.CSVLogger(history_path, append=True),
                PresetCheckpoint(output_dir),
                interrupt,
                *callbacks,
            ]
            run = model.fit(
                {key: value[order] for key, value in x.items()},
                y[order],
                sample_weight=sample_weight[order],
                batch_size=batch_size,
                epochs=epoch + 1,
                initial_epoch=epoch,
                validation_data=validation,
                callbacks=epoch_callbacks,
                shuffle=False,
                verbose=verbose,
            )
            for key, values in run.history.items():
                history.history.setdefault(key, []).extend(values)
            history.epoch.extend(run.epoch)
            start_step = 0
    shutil.rmtree(backup_dir, ignore_errors=True)  # finished: the preset in last/ is the result
    plot_history(history_path, os.path.join(output_dir, "loss.png"))
    return history
