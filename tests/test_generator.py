"""The generation loop: Hugging Face parity for beam search, several sequences and stop
strings; one random stream for generate and generate_stream; compiled programs."""

import numpy as np
import pytest

from keras_gpt2.generation.generator import Generator
from keras_gpt2.generation.samplers import BeamSampler
from keras_gpt2.generation.samplers import RandomSampler
from keras_gpt2.generation.samplers import TopKSampler
from keras_gpt2.generation.samplers import TopPSampler

torch = pytest.importorskip("torch")

PROMPT = [50256, 464, 2068, 7586, 21831]


def before_stop(tokens, stop):
    return tokens[: tokens.index(stop)] if stop in tokens else tokens


def hf_sequences(reference, prompt, stop, **settings):
    """Hugging Face's new tokens of each returned sequence, up to (not including) `stop`."""
    with torch.no_grad():
        output = reference.generate(torch.tensor([prompt]), pad_token_id=0, eos_token_id=stop, **settings)
    return [before_stop(row[len(prompt) :].tolist(), stop) for row in output]


def our_sequences(model, prompt, stop, **settings):
    output = model.generate({"token_ids": np.array([prompt])}, stop_token_ids=[stop], **settings)
    return [
        row[mask].tolist()
        for row, mask in zip(output["token_ids"][:, len(prompt) :], output["padding_mask"][:, len(prompt) :])
    ]


def greedy_token(model, prompt, step):
    output = model.generate(
        {"token_ids": np.array([prompt])}, max_new_tokens=step + 1, sampler="greedy", stop_token_ids=None
    )
    return int(output["token_ids"][0, len(prompt) + step])


@pytest.mark.parametrize("length_penalty", [1.0, 4.0, -2.0])
def test_beam_search_matches_transformers(hf_twins, length_penalty):
    reference, ours = hf_twins
    stop = greedy_token(ours, PROMPT, 2)  # an end token that beams meet early
    settings = dict(num_beams=4, length_penalty=length_penalty)
    expected = hf_sequences(
        reference, PROMPT, stop, max_new_tokens=10, num_return_sequences=3, do_sample=False, **settings
    )
    made = our_sequences(ours, PROMPT, stop, max_new_tokens=10, num_return_sequences=3, sampler=BeamSampler(**settings))
    assert made == expected
    if length_penalty <= 1:  # short hypotheses are not favoured by 4.0, but here one competed
        assert any(len(tokens) < 10 for tokens in made)


def test_length_penalty_changes_which_beam_wins(hf_twins):
    _, ours = hf_twins
    stop = greedy_token(ours, PROMPT, 2)
    results = {
        penalty: our_sequences(
            ours, PROMPT, stop, max_new_tokens=10, sampler=BeamSampler(num_beams=4, length_penalty=penalty)
        )
        for penalty in (-2.0, 4.0)
    }
    assert len(results[-2.0][0]) < len(results[4.0][0])


def test_beam_search_prompts_of_different_lengths_equal_each_alone(hf_twins):
    _, ours = hf_twins
    prompts = ["The", "Shall I compare thee to a", "Rough winds"]
    sampler = BeamSampler(num_beams=3)
    together = ours.generate(prompts, max_new_tokens=6, sampler=sampler, stop_token_ids=None, num_return_sequences=2)
    alone = [
        ours.generate(p, max_new_tokens=6, sampler=sampler, stop_token_ids=None, num_return_sequences=2)
        for p in prompts
    ]
    assert together == alone and all(len(texts) == 2 for texts in together)


def test_stop_strings_match_transformers(hf_twins, gpt2_tokenizer, tmp_path):
    reference, ours = hf_twins
    free = ours.generate("The quick", max_new_tokens=16, sampler="greedy", stop_token_ids=None, strip_prompt=True)
    stop = free[len(free) // 3 : len(free) // 3 + 3]  # three characters from the middle of the text
    gpt2_tokenizer.save_tokenizer_json(tmp_path / "tokenizer.json")
    hf_tokenizer = pytest.importorskip("transformers").PreTrainedTokenizerFast(
        tokenizer_file=str(tmp_path / "tokenizer.json")
    )
    prompt = [50256, *gpt2_tokenizer("The quick")]
    with torch.no_grad():
        output = reference.generate(
            torch.tensor([prompt]),
            max_new_tokens=16,
            do_sample=False,
            stop_strings=[stop],
            tokenizer=hf_tokenizer,
            pad_token_id=0,
            eos_token_id=None,
        )
    expected = gpt2_tokenizer.detokenize(output[0, len(prompt) :].tolist())
    made = ours.generate(
        "The quick", max_new_tokens=16, sampler="greedy", stop_token_ids=None, stop_strings=[stop], strip_prompt=True
    )
    assert made == expected and stop in made and len(made) < len(free)
    streamed = "".join(
        ours.generate_stream("The quick", max_new_tokens=16, sampler="greedy", stop_token_ids=None, stop_strings=stop)
    )
    assert streamed == made


SAMPLERS = [
    ("greedy", lambda seed: "greedy"),
    ("random", lambda seed: RandomSampler(seed=seed)),
    ("top_k", lambda seed: TopKSampler(k=20, seed=seed, temperature=1.5)),
    ("top_p", lambda seed: TopPSampler(p=0.9, seed=seed)),
]


@pytest.mark.parametrize("name, make", SAMPLERS, ids=[name for name, _ in SAMPLERS])
def test_generate_and_stream_make_the_same_text_for_a_seed(hf_twins, name, make):
    _, ours = hf_twins
    for seed in (0, 1, 2):
        whole = ours.generate("Thou art", max_new_tokens=20, sampler=make(seed), stop_token_ids=None, strip_prompt=True)
        streamed = "".join(ours.generate_stream("Thou art", max_new_tokens=20, sampler=make(seed), stop_token_ids=None))
        assert streamed == whole
    texts = {ours.generate("Thou art", max_new_tokens=20, sampler=make(seed), stop_token_ids=None) for seed in range(4)}
    assert len(texts) == (1 if name == "greedy" else 4)


def test_several_samples_per_prompt_are_the_rows_of_a_repeated_batch(hf_twins):
    _, ours = hf_twins
    sampler = TopKSampler(k=50, seed=5)
    grouped = ours.generate(["Thou art", "Hello"], max_new_tokens=8, sampler=sampler, num_return_sequences=3)
    flat = ours.generate(["Thou art"] * 3 + ["Hello"] * 3, max_new_tokens=8, sampler=sampler)
    assert grouped == [flat[:3], flat[3:]] and len(set(grouped[0])) == 3


def test_every_prompt_length_uses_a_few_programs(hf_twins):
    import keras

    if keras.config.backend() == "torch":
        pytest.skip("PyTorch runs generation eagerly: nothing is compiled")
    _, ours = hf_twins
    generator = Generator(ours)
    rng = np.random.default_rng(0)
    for length in range(1, 49):  # ends 5..52: width buckets 16, 32 and 64
        output = generator.generate(
            {"token_ids": rng.integers(0, 50257, size=(1, length))},
            max_new_tokens=4,
            sampler="greedy",
            stop_token_ids=None,
        )
        assert output["token_ids"].shape == (1, length + 4) and output["padding_mask"].all()
    assert generator.compilations == 3


def test_programs_are_keyed_by_settings_bounded_and_cleared_by_compile(hf_twins):
    import keras

    if keras.config.backend() == "torch":
        pytest.skip("PyTorch runs generation eagerly: nothing is compiled")
    _, ours = hf_twins
    generator = Generator(ours, max_programs=2)
    for k in (5, 5, 6, 7, 5):
        generator.generate("Hello", max_new_tokens=2, sampler=TopKSampler(k=k, seed=k))
    assert generator.compilations == 4 and len(generator.programs) == 2  # k=5 reused, then dropped for 6 and 7
    ours.generate("Hello", max_new_tokens=2, sampler="greedy")
    assert len(ours.generator.programs) >= 1
    ours.compile(sampler="greedy")
    assert len(ours.generator.programs) == 0


def test_bad_settings_are_refused(hf_twins):
    _, ours = hf_twins
    with pytest.raises(ValueError, match="more than num_beams"):
        ours.generate("Hi", sampler=BeamSampler(num_beams=2), num_return_sequences=3)
    with pytest.raises(ValueError, match="cannot stream"):
        next(ours.generate_stream("Hi", sampler=BeamSampler(num_beams=2)))
    with pytest.raises(ValueError, match="stop_strings must be non-empty strings"):
        ours.generate("Hi", stop_strings=[""])
    with pytest.raises(ValueError, match="num_return_sequences must be a positive integer"):
        ours.generate("Hi", num_return_sequences=0)
    with pytest.raises(ValueError, match="max_new_tokens must be a positive integer"):
        ours.generate("Hi", max_new_tokens=0)
