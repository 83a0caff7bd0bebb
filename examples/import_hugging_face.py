"""Use a Hugging Face GPT-2 checkpoint you have on disk (no download happens here).

    python examples/import_hugging_face.py ~/models/gpt2 --output presets/gpt2

The folder is what `save_pretrained` writes: config.json, model.safetensors
(or shards, or pytorch_model.bin), and vocab.json/merges.txt. The result is a
preset: generate from it, fine-tune it, export it to the browser.
"""

import argparse

from keras_gpt2.io.hugging_face import import_hf


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("hf_folder")
    parser.add_argument("--output", default="presets/imported")
    parser.add_argument("--prompt", default="Hello, my name is")
    args = parser.parse_args()

    model = import_hf(args.hf_folder)
    model.save_to_preset(args.output)
    print(model.generate(args.prompt, max_new_tokens=20, sampler="greedy"))
    print(f"saved to {args.output}")


if __name__ == "__main__":
    main()
