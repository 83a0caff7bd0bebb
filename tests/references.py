"""Reference models for generation tests: a random GPT-2 in transformers, and ours from its files."""


def hf_twins(folder):
    """`(transformers model, our GPT2CausalLM)` with the same random weights at the real vocabulary.

    Wide weights (scaled 8x) give well-separated logits, so greedy and beam
    decoding have no near-ties that float rounding could flip.
    """
    import torch
    import transformers

    from keras_gpt2.io.hugging_face import import_hf

    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=50257, n_layer=2, n_head=2, n_embd=32, n_positions=64)
    reference = transformers.GPT2LMHeadModel(config).eval()
    with torch.no_grad():
        for parameter in reference.parameters():
            parameter.mul_(8.0)
    reference.save_pretrained(folder)
    return reference, import_hf(folder)
