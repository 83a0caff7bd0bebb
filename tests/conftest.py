"""Shared fixtures: the real GPT-2 vocabulary, reference tokenizers, the parity corpus."""

import json
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest

from keras_gpt2.assets import gpt2_merges_path
from keras_gpt2.assets import gpt2_vocabulary_path

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(TESTS_DIR)

# The SHA-256 digests tiktoken pins for OpenAI's published GPT-2 files: the
# shipped copies are checked against them, so parity tests run on the real thing.
GPT2_VOCAB_BPE_SHA256 = "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"
GPT2_ENCODER_JSON_SHA256 = "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783"


@pytest.fixture(scope="session")
def parity_corpus():
    with open(os.path.join(TESTS_DIR, "data", "tokenizer_parity_corpus.json"), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def gpt2_tokenizer():
    from keras_gpt2.tokenizers.gpt2_tokenizer import GPT2Tokenizer

    return GPT2Tokenizer(gpt2_vocabulary_path(), gpt2_merges_path())


@pytest.fixture(scope="session")
def tiktoken_gpt2():
    """tiktoken's GPT-2 encoding, built from the shipped files with OpenAI's hashes checked."""
    tiktoken = pytest.importorskip("tiktoken")
    from tiktoken.load import data_gym_to_mergeable_bpe_ranks
    from tiktoken_ext.openai_public import r50k_pat_str

    ranks = data_gym_to_mergeable_bpe_ranks(
        vocab_bpe_file=gpt2_merges_path(),
        encoder_json_file=gpt2_vocabulary_path(),
        vocab_bpe_hash=GPT2_VOCAB_BPE_SHA256,
        encoder_json_hash=GPT2_ENCODER_JSON_SHA256,
    )
    return tiktoken.Encoding(
        name="gpt2-local",
        pat_str=r50k_pat_str,
        mergeable_ranks=ranks,
        special_tokens={"<|endoftext|>": 50256},
    )


@pytest.fixture(scope="session")
def hf_gpt2_tokenizer(tmp_path_factory):
    """Hugging Face's GPT-2 tokenizer (transformers' own `tokenizers` pipeline) on the same files."""
    transformers = pytest.importorskip("transformers")
    folder = tmp_path_factory.mktemp("hf_tokenizer")
    shutil.copy(gpt2_vocabulary_path(), folder / "vocab.json")
    shutil.copy(gpt2_merges_path(), folder / "merges.txt")
    return transformers.AutoTokenizer.from_pretrained(str(folder), tokenizer_type="gpt2")


@pytest.fixture(scope="session")
def hf_twins(tmp_path_factory, gpt2_tokenizer):
    """A random GPT-2 in transformers and ours with the same weights (`tests.references.hf_twins`)."""
    pytest.importorskip("torch")
    from tests.references import hf_twins as make_twins

    return make_twins(tmp_path_factory.mktemp("hf_twins"), gpt2_tokenizer)
