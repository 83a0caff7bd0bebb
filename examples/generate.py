"""Generate text in Python: samplers, batches, streaming and scoring.

python examples/generate.py                      # the shipped Shakespeare model
python examples/generate.py --model runs/mine/last --max-new-tokens 40
"""

import argparse

from keras_gpt2 import GPT2CausalLM
from keras_gpt2.assets import shipped_preset_path
from keras_gpt2.generation.samplers import TopKSampler
from keras_gpt2.generation.samplers import TopPSampler


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=shipped_preset_path("shakespeare"))
    parser.add_argument("--max-new-tokens", type=int, default=60)
    args = parser.parse_args()

    model = GPT2CausalLM.from_preset(args.model)

    # Greedy: deterministic, often repetitive.
    print(model.generate("To be, or not to be", max_new_tokens=args.max_new_tokens, sampler="greedy"))

    # A batch of prompts of different lengths, sampled reproducibly.
    prompts = ["KING.", "Good morrow, gentle", "What light through yonder window"]
    for text in model.generate(prompts, max_new_tokens=args.max_new_tokens, sampler=TopKSampler(k=40, seed=1)):
        print("---\n" + text)

    # Streaming: print each piece as soon as it is generated.
    print("---")
    for piece in model.generate_stream(
        "HAMLET.", max_new_tokens=args.max_new_tokens, sampler=TopPSampler(p=0.9, seed=2)
    ):
        print(piece, end="", flush=True)
    print()

    # Scoring: how likely is a line under the model?
    scores = model.score(["To be, or not to be, that is the question.", "question the is that, be to not or, be To."])
    print("perplexity (real line, shuffled line):", [round(p, 1) for p in scores["perplexity"]])


if __name__ == "__main__":
    main()
