"""Fine-tune a model on your own text with `model.fit`, then generate from it.

    python examples/fine_tune.py my_notes.txt --epochs 2 --output runs/notes
    python examples/fine_tune.py my_notes.txt --model runs/other/last   # start from another preset

The text is split into 128-token windows; `fit` runs on them with Keras's
progress bar; the result is saved as a preset you can load with
`GPT2CausalLM.from_preset` or `keras-gpt2 generate --model`.
"""

import argparse

import keras

from keras_gpt2 import GPT2CausalLM
from keras_gpt2.assets import shipped_preset_path
from keras_gpt2.training.text_windows import make_windows
from keras_gpt2.training.text_windows import read_documents
from keras_gpt2.training.text_windows import tokenize_documents


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("text_files", nargs="+")
    parser.add_argument("--model", default=shipped_preset_path("shakespeare"), help="preset to start from")
    parser.add_argument("--output", default="runs/fine_tuned")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--sequence-length", type=int, default=128)
    parser.add_argument("--prompt", default="The")
    args = parser.parse_args()

    model = GPT2CausalLM.from_preset(args.model)
    token_ids = tokenize_documents(model.preprocessor.tokenizer, read_documents(args.text_files))
    x, y, sample_weight = make_windows(token_ids, min(args.sequence_length, len(token_ids) - 1))
    model.compile(optimizer=keras.optimizers.AdamW(3e-4), sampler="top_k")
    model.fit(x, y, sample_weight=sample_weight, batch_size=8, epochs=args.epochs)
    model.save_to_preset(args.output)
    print(model.generate(args.prompt, max_new_tokens=40))
    print(f"saved to {args.output}")


if __name__ == "__main__":
    main()
