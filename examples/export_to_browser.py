"""Export a model for the browser and look at it in a page that needs no server code.

    python examples/export_to_browser.py --output web
    python -m http.server --directory web 8000      # or: keras-gpt2 serve-demo web

Then open http://127.0.0.1:8000/. `keras-gpt2 serve-demo` also sends the
cross-origin isolation headers, which let the wasm backend use threads.
The same export from the command line:
`keras-gpt2 export-tfjs PRESET web --quantize float16 --with-demo`.
"""

import argparse
import os

from keras_gpt2 import GPT2CausalLM
from keras_gpt2.assets import shipped_preset_path
from keras_gpt2.io.tfjs import export_tfjs
from keras_gpt2.js import write_demo


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=shipped_preset_path("shakespeare"))
    parser.add_argument("--output", default="web")
    parser.add_argument("--quantize", default="float16", choices=["float16", "uint16", "uint8", "none"])
    args = parser.parse_args()

    model = GPT2CausalLM.from_preset(args.model)
    export_tfjs(model, args.output, quantization=None if args.quantize == "none" else args.quantize)
    write_demo(args.output)
    size = sum(os.path.getsize(os.path.join(args.output, f)) for f in os.listdir(args.output) if f.endswith(".bin"))
    print(f"wrote {args.output}/ ({size / 1e6:.1f} MB of weights); serve it with: keras-gpt2 serve-demo {args.output}")


if __name__ == "__main__":
    main()
