"""The browser runtime (keras_gpt2/js) in Node on the wasm backend, against the Python model."""

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_gpt2.io import tfjs
from tests.helpers import once_per_suite
from tests.helpers import wide_random_causal_lm
from tests.js_helpers import require_node_packages
from tests.js_helpers import run_runtime
from tests.js_helpers import serve_folder

pytestmark = [pytest.mark.node, once_per_suite("the JavaScript runtime does not depend on the Keras backend")]


@pytest.fixture(scope="module")
def model(gpt2_tokenizer):
    return wide_random_causal_lm(gpt2_tokenizer)


@pytest.fixture(scope="module")
def model_url(model, tmp_path_factory):
    require_node_packages()
    folder = tmp_path_factory.mktemp("export")
    tfjs.export_tfjs(model, folder / "model")
    with serve_folder(folder) as base_url:
        yield f"{base_url}/model/model.json"


def test_js_tokenizer_matches_python(model_url, gpt2_tokenizer, parity_corpus):
    (tokenized, detokenized) = run_runtime(
        model_url,
        [
            {"kind": "tokenize", "texts": parity_corpus},
            {"kind": "detokenize", "tokenIds": gpt2_tokenizer(parity_corpus)},
        ],
    )
    assert tokenized["value"] == gpt2_tokenizer(parity_corpus)
    assert detokenized["value"] == parity_corpus


# Every character JavaScript's \s and Unicode's White_Space disagree on (U+0085, U+FEFF), the
# rest of White_Space, a zero-width space, and the other kinds of characters GPT-2's pattern
# tells apart; plus any character at all, less often.
WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2005\u200a\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
OTHERS = "'sdtlmrveabXYZ012!?.,-\xe9\xdf\u65e5\U0001f600\u0301"
UNICODE_TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(WHITESPACE + OTHERS), st.characters(codec="utf-8")), min_size=1, max_size=12
)
# Strings on which JavaScript's \s gave other ids than tiktoken (found by a search like this test).
KNOWN_DIFFERENCES = [" \x851cb", "! \x85\u65e5", " \ufeffY-0\t", "\xa0 \ufeffbX", "0 \x850"]


@settings(max_examples=2, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(texts=st.lists(UNICODE_TEXT, min_size=2000, max_size=2000))
def test_js_tokenizer_matches_tiktoken_on_any_unicode(model_url, tiktoken_gpt2, gpt2_tokenizer, texts):
    texts = KNOWN_DIFFERENCES + texts
    tokenized, js_tiktoken = run_runtime(
        model_url, [{"kind": kind, "texts": texts} for kind in ("tokenize", "jsTiktoken")]
    )
    expected = [tiktoken_gpt2.encode(text, disallowed_special=()) for text in texts]
    assert gpt2_tokenizer(texts) == expected
    mismatches = [(t, ids) for t, ids, e in zip(texts, tokenized["value"], expected) if ids != e]
    assert mismatches == []
    # js-tiktoken, the reference JS tokenizer, uses JavaScript's \s: it agrees with us (and
    # tiktoken) on every string without the two characters where \s and White_Space differ.
    differing = [t for t, ids, e in zip(texts, js_tiktoken["value"], expected) if ids != e]
    assert differing and all("\x85" in t or "\ufeff" in t for t in differing)


def test_js_logits_match_python(model_url, model):
    token_ids = np.random.default_rng(1).integers(0, 50257, size=(2, 12)).tolist()
    (result,) = run_runtime(model_url, [{"kind": "predict", "tokenIds": token_ids}])
    expected = keras.ops.convert_to_numpy(model({"token_ids": np.array(token_ids), "padding_mask": np.ones((2, 12))}))
    np.testing.assert_allclose(np.array(result["value"]).reshape(expected.shape), expected, atol=1e-4)


@pytest.mark.parametrize("use_cache", [True, False])
def test_js_greedy_tokens_match_python_without_leaks(model_url, model, use_cache):
    prompt = [50256, 464, 2068, 7586]
    (result,) = run_runtime(
        model_url,
        [{"kind": "generate", "prompt": prompt, "maxNewTokens": 30, "useCache": use_cache, "stopTokenIds": []}],
    )
    expected = model.generate({"token_ids": np.array([prompt])}, max_length=34, stop_token_ids=None)
    assert result["value"]["tokenIds"] == expected["token_ids"][0, 4:].tolist()
    assert result["tensorsAfter"] == result["tensorsBefore"]


def test_js_streams_text_pieces(model_url, model):
    (result,) = run_runtime(
        model_url, [{"kind": "generate", "prompt": "To be", "maxNewTokens": 12, "stopTokenIds": []}]
    )
    value = result["value"]
    assert "".join(value["pieces"]) == value["text"]
    expected = model.generate("To be", max_new_tokens=12, stop_token_ids=None, strip_prompt=True)
    assert value["text"] == expected
