"""Reference models for generation tests: a random GPT-2 in transformers, and ours from its files."""


def hf_twins(folder, tokenizer):
    """`(transformers model, our GPT2CausalLM)` with the same random weights at the real
    vocabulary; ours reads text with `tokenizer` (sequences of 32).

    Wide weights (scaled 8x) give well-separated logits, so greedy and beam
    decoding have no near-ties that float rounding could flip.
    """
    import torch
    import transformers

    from keras_gpt2.io.hugging_face import import_hf
    from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor

    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=50257, n_layer=2, n_head=2, n_embd=32, n_positions=64)
    reference = transformers.GPT2LMHeadModel(config).eval()
    with torch.no_grad():
        for parameter in reference.parameters():
            parameter.mul_(8.0)
    reference.save_pretrained(folder)
    ours = import_hf(folder)
    ours.preprocessor = GPT2CausalLMPreprocessor(tokenizer, sequence_length=32)
    return reference, ours


# Generation settings checked to give the same tokens everywhere (TF, JAX, PyTorch, the
# browser runtime) on the shipped model: (sampler name, Python options), 64 new tokens.
SHIPPED_PROMPT = "To be, or not to be"
SHIPPED_NEW_TOKENS = 64
SHIPPED_CASES = [
    ("greedy", {}),
    ("beam", {"num_beams": 4}),
    *(("top_k", {"k": 40, "seed": seed}) for seed in (0, 1)),
    *(("top_p", {"p": 0.9, "seed": seed}) for seed in (0, 1)),
]


def camel_case(options):
    """Python sampler options as the JS runtime names them."""
    return {"".join(w.capitalize() if i else w for i, w in enumerate(k.split("_"))): v for k, v in options.items()}


def shipped_generations(model):
    """The new token ids of each of `SHIPPED_CASES` (our Python generate)."""
    from keras_gpt2.generation import samplers

    results = []
    for name, options in SHIPPED_CASES:
        sampler = samplers.get({"class_name": name, "config": options})
        output = model.generate(SHIPPED_PROMPT, max_new_tokens=SHIPPED_NEW_TOKENS, sampler=sampler, strip_prompt=True)
        results.append(output)
    return results
