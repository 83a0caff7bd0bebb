"""The Shakespeare model that ships in the package: present, documented, and actually trained."""

import json
import os
import re

import pytest

from keras_gpt2.assets import shipped_preset_path
from keras_gpt2.io import tfjs
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
from tests.conftest import TESTS_DIR

PRESET = shipped_preset_path("shakespeare")
TFJS_EXPORT = shipped_preset_path("shakespeare-tfjs")


@pytest.fixture(scope="module")
def model():
    return GPT2CausalLM.from_preset(PRESET)


def test_preset_is_small_and_has_a_model_card():
    size = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(PRESET) for f in files)
    assert size < 35e6
    card = open(os.path.join(PRESET, "MODEL_CARD.md"), encoding="utf-8").read()
    for section in ("## Data", "## Training", "## Evaluation", "## Samples", "unigram baseline"):
        assert section in card
    figures = dict(re.findall(r"\| (this model|unigram baseline[^|]*) \| \**([0-9.]+)\** \|", card))
    ours = float(figures["this model"])
    unigram = float(next(v for k, v in figures.items() if k.startswith("unigram")))
    assert ours < unigram / 3


def test_the_model_card_describes_this_model(model):
    """The card's figures and samples, recomputed from the preset, not compared with each other."""
    card = open(os.path.join(PRESET, "MODEL_CARD.md"), encoding="utf-8").read()
    parameters = int(re.search(r"\| parameters \| ([0-9,]+) ", card).group(1).replace(",", ""))
    assert parameters == model.backbone.count_params()
    real, shuffled = map(float, re.search(r"shuffled:\n([0-9.]+) vs ([0-9.]+)\.", card).groups())
    measured = model.score(
        ["To be, or not to be, that is the question.", "question the is that, be to not or, be To."]
    )["perplexity"]
    assert measured[0] == pytest.approx(real, rel=0.01) and measured[1] == pytest.approx(shuffled, rel=0.01)
    greedy = re.search(r"\*\*To be, or not to be\*\* \(greedy\)\n\n```\n(.*?)\n```", card, re.DOTALL).group(1)
    assert model.generate("To be, or not to be", max_new_tokens=40, sampler="greedy") == greedy


def test_held_out_hamlet_is_far_more_likely_than_under_a_uniform_model(model):
    with open(os.path.join(TESTS_DIR, "data", "hamlet_held_out_excerpt.txt"), encoding="utf-8") as file:
        text = file.read()
    perplexity = model.score([text])["perplexity"][0]
    # Uniform over 50,257 tokens is 50,257; an untrained model is near that. Hamlet is held out.
    assert perplexity < 400


def test_generates_from_the_command_line_default(model):
    text = model.generate("To be, or not to be", max_new_tokens=20, sampler="greedy")
    assert text.startswith("To be, or not to be") and len(text) > 40


def test_tfjs_export_matches_the_preset(model):
    model_json = os.path.join(TFJS_EXPORT, "model.json")
    with open(model_json, encoding="utf-8") as file:
        assert json.load(file)["weightsManifest"][0]["weights"][0]["quantization"]["dtype"] == "float16"
    restored = tfjs.import_tfjs(model_json)
    prompts = ["KING.", "My lord,"]
    assert restored.generate(prompts, max_new_tokens=12, sampler="greedy") == model.generate(
        prompts, max_new_tokens=12, sampler="greedy"
    )
