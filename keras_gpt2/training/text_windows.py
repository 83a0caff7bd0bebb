"""Plain text files to fixed-length next-token training windows."""

import os

import numpy as np


def list_text_files(paths):
    """Expands files and folders (their `*.txt`, recursively) into a sorted list of files."""
    files = []
    for path in paths:
        path = os.fspath(path)
        if os.path.isdir(path):
            for root, _, names in os.walk(path):
                files += [os.path.join(root, n) for n in names if n.endswith(".txt")]
        elif os.path.isfile(path):
            files.append(path)
        else:
            raise FileNotFoundError(f"No such file or folder: {path}")
    if not files:
        raise ValueError(f"No .txt files found in {', '.join(map(str, paths))}.")
    return sorted(files)


def read_documents(files):
    """The text of each file, as UTF-8 with Windows line ends normalised."""
    documents = []
    for path in files:
        with open(path, encoding="utf-8", errors="strict") as file:
            documents.append(file.read().replace("\r\n", "\n"))
    return documents


def tokenize_documents(tokenizer, documents):
    """One id stream: each document followed by `<|endoftext|>`."""
    streams = tokenizer(documents)
    end = tokenizer.end_token_id
    return np.array([i for ids in streams for i in [*ids, end]], "int32")


def make_windows(token_ids, sequence_length, stride=None):
    """Cuts an id stream into `(x, y, sample_weight)` windows of `sequence_length`.

    `y` is `x` shifted by one token. Windows start every `stride` tokens
    (default: `sequence_length`, no overlap); the tail that does not fill a
    window is dropped.
    """
    stride = stride or sequence_length
    count = max(0, (len(token_ids) - sequence_length - 1) // stride + 1)
    if count == 0:
        raise ValueError(f"Only {len(token_ids)} tokens: not enough for one window of {sequence_length + 1}.")
    starts = np.arange(count) * stride
    index = starts[:, None] + np.arange(sequence_length + 1)[None, :]
    windows = token_ids[index]
    x = {"token_ids": windows[:, :-1], "padding_mask": np.ones((count, sequence_length), bool)}
    return x, windows[:, 1:], np.ones((count, sequence_length), "float32")


def unigram_perplexity(train_ids, validation_ids, vocabulary_size):
    """Perplexity of a unigram model (add-one smoothing) fitted on train, measured on validation."""
    counts = np.bincount(train_ids, minlength=vocabulary_size).astype("float64") + 1.0
    log_probs = np.log(counts / counts.sum())
    return float(np.exp(-log_probs[validation_ids].mean()))
