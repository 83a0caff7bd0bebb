"""The `keras-gpt2` command line.

Only argparse is imported up front; each subcommand imports Keras and
TensorFlow when it runs, so `--help` and usage errors answer at once.
"""

import argparse
import contextlib
import os
import sys

from keras_gpt2.version import __version__

EPILOG = """examples:
  keras-gpt2 generate "To be, or not to be" --max-new-tokens 60
  keras-gpt2 train my_texts/ --output runs/mine --epochs 3
  keras-gpt2 score notes.txt
  keras-gpt2 tokenize --show-tokens "Hello world"
"""

SHIPPED_PRESET = "shakespeare"


class CommandError(Exception):
    """An error the user can fix; printed as one line, exit code 2."""


@contextlib.contextmanager
def _native_stderr_silenced():
    """Hides what native libraries print on import (TensorFlow's C++ start-up log lines)."""
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    sys.stderr.flush()
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _prefer_jax_for_generation(command):
    """`generate` runs on JAX when it is installed and no backend was chosen.

    JAX decodes about 1.7x faster than TensorFlow here (benchmarks/generate.py).
    Setting KERAS_BACKEND always wins.
    """
    import importlib.util

    if command == "generate" and "KERAS_BACKEND" not in os.environ and importlib.util.find_spec("jax") is not None:
        os.environ["KERAS_BACKEND"] = "jax"


def _import_backend():
    """Imports Keras (and so its backend) quietly, once, before a command needs it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _native_stderr_silenced():
        import keras  # noqa: F401


def _tokenize(args):
    from keras_gpt2.assets import gpt2_merges_path
    from keras_gpt2.assets import gpt2_vocabulary_path
    from keras_gpt2.tokenizers.gpt2_tokenizer import GPT2Tokenizer

    text = args.text if args.text is not None else sys.stdin.read()
    tokenizer = GPT2Tokenizer(gpt2_vocabulary_path(), gpt2_merges_path())
    ids = tokenizer(text)
    if args.show_tokens:
        print(" ".join(repr(tokenizer.detokenize([i])) for i in ids))
    print(" ".join(str(i) for i in ids))


def _load_model(args):
    """The `GPT2CausalLM` named by `--model` (a preset directory or Hub name), default the shipped one."""
    from keras_gpt2.assets import shipped_preset_path

    return _load_preset_argument(args.model or shipped_preset_path(SHIPPED_PRESET))


def _sampler(args):
    from keras_gpt2.generation import samplers

    options = {
        "greedy": {},
        "random": {"temperature": args.temperature, "seed": args.seed},
        "top_k": {"k": args.top_k or 40, "temperature": args.temperature, "seed": args.seed},
        "top_p": {"p": args.top_p, "k": args.top_k, "temperature": args.temperature, "seed": args.seed},
        "beam": {"num_beams": args.num_beams, "length_penalty": args.length_penalty, "temperature": args.temperature},
    }
    return samplers.SAMPLERS[args.sampler](**options[args.sampler])


def _generate(args):
    from keras_gpt2.generation.compiled_functions import enable_compilation_cache

    prompt = args.prompt if args.prompt is not None else sys.stdin.read()
    default_cache = os.path.join(os.path.expanduser("~"), ".cache", "keras-gpt2", "jax")
    enable_compilation_cache(os.environ.get("KERAS_GPT2_CACHE") or default_cache)
    model = _load_model(args)
    sampler = _sampler(args)
    limits = {"max_new_tokens": args.max_new_tokens} if args.max_length is None else {"max_length": args.max_length}
    controls = dict(
        sampler=sampler,
        stop_strings=args.stop,
        repetition_penalty=args.repetition_penalty,
        min_new_tokens=args.min_new_tokens,
        **limits,
    )
    if args.no_stream or args.sampler == "beam":
        print(model.generate(prompt, **controls))
        return
    pieces = model.generate_stream(prompt, **controls)  # checks the request before anything is printed
    sys.stdout.write(prompt)
    sys.stdout.flush()
    for piece in pieces:
        sys.stdout.write(piece)
        sys.stdout.flush()
    sys.stdout.write("\n")


def _score(args):
    import math

    from keras_gpt2.training.text_windows import read_documents

    result = _load_model(args).score(read_documents(args.files))
    total_log_likelihood, total_tokens = result["log_likelihood"].sum(), result["num_tokens"].sum()
    print(f"tokens: {total_tokens}")
    print(f"cross-entropy: {-total_log_likelihood / total_tokens:.4f} nats/token")
    print(f"perplexity: {math.exp(-total_log_likelihood / total_tokens):.2f}")


def _train(args):
    from keras_gpt2.training import text_windows
    from keras_gpt2.training.trainer import claim_run_folder
    from keras_gpt2.training.trainer import train

    claim_run_folder(args.output)  # before any slow loading

    if args.init_from:
        from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM

        model = GPT2CausalLM.from_preset(args.init_from)
    else:
        model = _new_model(args)
    if args.lora_rank:
        model.backbone.enable_lora(args.lora_rank)
    files = text_windows.list_text_files(args.inputs)
    held_out = text_windows.list_text_files(args.validation) if args.validation else []
    files = [f for f in files if f not in held_out]
    if not held_out and len(files) > 1:
        held_out, files = files[-1:], files[:-1]
    tokenizer = model.preprocessor.tokenizer
    train_ids = text_windows.tokenize_documents(tokenizer, text_windows.read_documents(files))
    validation_ids = (
        text_windows.tokenize_documents(tokenizer, text_windows.read_documents(held_out)) if held_out else None
    )
    print(
        f"training on {len(files)} file(s), {len(train_ids):,} tokens; validating on {len(held_out)} file(s)",
        file=sys.stderr,
    )
    train(
        model,
        train_ids,
        validation_ids,
        args.output,
        sequence_length=args.sequence_length,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        checkpoint_every_steps=args.checkpoint_every,
    )
    if args.lora_rank:
        model.backbone.save_lora_weights(os.path.join(args.output, "adapters.lora.h5"), overwrite=True)
    print(f"preset written to {args.output}/last; loss curve in {args.output}/loss.png", file=sys.stderr)


def _new_model(args):
    from keras_gpt2.assets import gpt2_merges_path
    from keras_gpt2.assets import gpt2_vocabulary_path
    from keras_gpt2.models.gpt2_backbone import GPT2Backbone
    from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
    from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor
    from keras_gpt2.tokenizers.gpt2_tokenizer import GPT2Tokenizer

    tokenizer = GPT2Tokenizer(gpt2_vocabulary_path(), gpt2_merges_path())
    backbone = GPT2Backbone(
        vocabulary_size=tokenizer.vocabulary_size(),
        num_layers=args.num_layers,
        num_heads=args.num_heads,
        hidden_dim=args.hidden_dim,
        intermediate_dim=4 * args.hidden_dim,
        dropout=args.dropout,
        max_sequence_length=max(args.sequence_length, args.max_sequence_length),
    )
    return GPT2CausalLM(backbone, GPT2CausalLMPreprocessor(tokenizer, sequence_length=backbone.max_sequence_length))


def _load_preset_argument(path):
    from keras_gpt2.io.hub import is_hub_name

    if not is_hub_name(path) and not os.path.isdir(path):
        raise CommandError(f"model {path} is not a preset directory, hf://org/name or a keras-hub GPT-2 name")
    from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM

    return GPT2CausalLM.from_preset(path)


def _check_destination(destination, source, overwrite):
    """Refuses a destination that would lose files before any slow loading starts."""
    from keras_gpt2.io.destination import check_destination

    check_destination(destination, sources=(source,), overwrite=overwrite)


def _export_tfjs(args):
    from keras_gpt2.io import tfjs

    _check_destination(args.out_dir, args.preset, args.overwrite)
    tfjs.export_tfjs(
        _load_preset_argument(args.preset),
        args.out_dir,
        quantization=args.quantize,
        shard_size_mb=args.shard_size_mb,
        with_demo=args.with_demo,
        overwrite=args.overwrite,
        sources=(args.preset,),
    )
    print(
        f"wrote {args.out_dir}/model.json"
        + (" and the demo page (keras-gpt2 serve-demo to open it)" if args.with_demo else "")
    )


def _import_into_preset(module, function):
    """A command that runs `keras_gpt2.io.<module>.<function>(source)` and saves a preset."""

    def run(args):
        import importlib

        _check_destination(args.out_preset, args.source, args.overwrite)
        importer = getattr(importlib.import_module(f"keras_gpt2.io.{module}"), function)
        model = importer(args.source)
        model.save_to_preset(args.out_preset, overwrite=args.overwrite, sources=(args.source,))
        print(f"wrote preset {args.out_preset}")

    return run


def _export_hf(args):
    from keras_gpt2.io.hugging_face import export_hf

    _check_destination(args.out_dir, args.preset, args.overwrite)
    export_hf(
        _load_preset_argument(args.preset),
        args.out_dir,
        overwrite=args.overwrite,
        sources=(args.preset,),
        max_shard_bytes=int(args.max_shard_size_mb * 10**6),
    )
    print(f"wrote {args.out_dir} (transformers.GPT2LMHeadModel.from_pretrained loads it)")


def _export_keras_hub(args):
    from keras_gpt2.io.keras_hub import export_keras_hub

    _check_destination(args.out_dir, args.preset, args.overwrite)
    export_keras_hub(_load_preset_argument(args.preset), args.out_dir, overwrite=args.overwrite, sources=(args.preset,))
    print(f"wrote {args.out_dir} (keras_hub.models.GPT2CausalLM.from_preset loads it)")


def _serve_demo(args):
    from keras_gpt2.js import make_server

    if not os.path.isfile(os.path.join(args.folder, "index.html")):
        raise CommandError(f"{args.folder} has no index.html; export with --with-demo first")
    if not 0 <= args.port <= 65535:
        raise CommandError(f"--port {args.port} is not a port number (0-65535)")
    try:
        server = make_server(args.folder, "127.0.0.1", args.port)
    except OSError as error:
        raise CommandError(f"cannot listen on 127.0.0.1:{args.port}: {error.strerror or error}") from None
    print(f"serving {args.folder} at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def _add_model_option(parser):
    parser.add_argument(
        "--model",
        default=None,
        help="preset directory, hf://org/name or a keras-hub GPT-2 name (default: the shipped Shakespeare model)",
    )


def _subcommand(commands, name, help, example, run):
    parser = commands.add_parser(
        name,
        help=help,
        description=help[0].upper() + help[1:] + ".",
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(run=run)
    parser.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the Python trace of an error"
    )
    return parser


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-gpt2",
        description="GPT-2 for Keras 3: generate text, train, convert checkpoints, export to the browser.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"keras-gpt2 {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the Python trace of an error")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    generate = _subcommand(
        commands,
        "generate",
        "continue a prompt, streaming the text as it is made",
        'keras-gpt2 generate "To be, or not to be" --sampler top_p --top-p 0.9 --seed 1',
        _generate,
    )
    generate.add_argument("prompt", nargs="?", help="the prompt; read from stdin when left out")
    _add_model_option(generate)
    generate.add_argument("--max-new-tokens", type=int, default=80, help="new tokens at most (default 80)")
    generate.add_argument("--max-length", type=int, default=None, help="total tokens instead, prompt included")
    generate.add_argument("--sampler", default="top_k", choices=["greedy", "random", "top_k", "top_p", "beam"])
    generate.add_argument("--temperature", type=float, default=1.0)
    generate.add_argument("--top-k", type=int, default=None, help="k for top_k (default 40), or a cap for top_p")
    generate.add_argument("--top-p", type=float, default=0.9)
    generate.add_argument("--num-beams", type=int, default=4)
    generate.add_argument("--length-penalty", type=float, default=1.0, help="beam: > 0 favours longer text (default 1)")
    generate.add_argument("--stop", action="append", default=None, help="stop once the text holds this (repeatable)")
    generate.add_argument("--repetition-penalty", type=float, default=None, help="e.g. 1.3 (Hugging Face's)")
    generate.add_argument("--min-new-tokens", type=int, default=None, help="no end of text before this many tokens")
    generate.add_argument("--seed", type=int, default=None, help="make sampling reproducible")
    generate.add_argument("--no-stream", action="store_true", help="print the whole text at the end")

    train = _subcommand(
        commands,
        "train",
        "train (or fine-tune) on text files; writes a preset, a log and a loss plot",
        "keras-gpt2 train notes/ --output runs/notes --epochs 3 --hidden-dim 128",
        _train,
    )
    train.add_argument("inputs", nargs="+", help="text files or folders of .txt files")
    train.add_argument("--output", required=True, help="run folder (rerun the same command to resume)")
    train.add_argument("--validation", nargs="*", default=None, help="held-out files (default: the last file)")
    train.add_argument("--init-from", default=None, help="preset to fine-tune instead of a new model")
    train.add_argument("--epochs", type=int, default=3)
    train.add_argument("--batch-size", type=int, default=16)
    train.add_argument("--learning-rate", type=float, default=1e-3)
    train.add_argument(
        "--lora-rank",
        type=int,
        default=None,
        metavar="R",
        help="train rank-R LoRA adapters only (query and value); RUN/last holds them merged, "
        "RUN/adapters.lora.h5 alone",
    )
    train.add_argument(
        "--checkpoint-every",
        type=int,
        default=None,
        metavar="STEPS",
        help="also save the training state every STEPS steps (a rerun resumes there; default: each epoch)",
    )
    train.add_argument("--sequence-length", type=int, default=128)
    train.add_argument("--num-layers", type=int, default=4, help="new models only")
    train.add_argument("--num-heads", type=int, default=4, help="new models only")
    train.add_argument("--hidden-dim", type=int, default=128, help="new models only")
    train.add_argument("--dropout", type=float, default=0.0, help="new models only")
    train.add_argument("--max-sequence-length", type=int, default=256, help="new models only")

    score = _subcommand(
        commands,
        "score",
        "perplexity of text files under a model",
        "keras-gpt2 score hamlet.txt",
        _score,
    )
    score.add_argument("files", nargs="+", help="text files")
    _add_model_option(score)

    export_tfjs = _subcommand(
        commands,
        "export-tfjs",
        "export a preset to the TensorFlow.js format (optionally with a browser demo)",
        "keras-gpt2 export-tfjs runs/mine/last web/ --quantize float16 --with-demo",
        _export_tfjs,
    )
    export_tfjs.add_argument("--quantize", choices=["float16", "uint16", "uint8"], default=None)
    export_tfjs.add_argument("--shard-size-mb", type=float, default=4.0)
    export_tfjs.add_argument("--with-demo", action="store_true", help="add index.html, the JS runtime and TF.js")

    import_tfjs = _subcommand(
        commands,
        "import-tfjs",
        "read a TensorFlow.js export back into a preset",
        "keras-gpt2 import-tfjs web/model.json runs/from_web",
        _import_into_preset("tfjs", "import_tfjs"),
    )
    import_tfjs.add_argument("source", help="path to model.json")
    import_tfjs.add_argument("out_preset", help="preset folder to write: new or empty (see --overwrite)")

    importers = []
    for name, module, function, what, example in (
        (
            "import-hf",
            "hugging_face",
            "import_hf",
            "a Hugging Face GPT-2 folder (config.json, safetensors)",
            "keras-gpt2 import-hf ~/models/gpt2 presets/gpt2",
        ),
        (
            "import-openai",
            "openai",
            "import_openai",
            "an original OpenAI GPT-2 checkpoint folder",
            "keras-gpt2 import-openai ~/models/124M presets/gpt2",
        ),
        (
            "import-keras-hub",
            "keras_hub",
            "import_keras_hub",
            "a keras-hub GPT-2 preset folder",
            "keras-gpt2 import-keras-hub ~/keras_hub/gpt2_base_en presets/gpt2",
        ),
    ):
        command = _subcommand(
            commands, name, f"convert {what} into a preset", example, _import_into_preset(module, function)
        )
        command.add_argument("source", help="checkpoint folder")
        command.add_argument("out_preset", help="preset folder to write: new or empty (see --overwrite)")
        importers.append(command)

    export_hf = _subcommand(
        commands,
        "export-hf",
        "write a preset as a Hugging Face GPT-2 folder",
        "keras-gpt2 export-hf presets/gpt2 hf/gpt2",
        _export_hf,
    )
    export_hf.add_argument(
        "--max-shard-size-mb",
        type=float,
        default=5000.0,
        help="cut larger weights into shards with an index, as transformers does (default 5000)",
    )
    export_keras_hub = _subcommand(
        commands,
        "export-keras-hub",
        "write a preset as a keras-hub GPT-2 preset (keras_hub.models.GPT2CausalLM.from_preset loads it)",
        "keras-gpt2 export-keras-hub presets/gpt2 keras_hub/gpt2",
        _export_keras_hub,
    )
    for command in (export_tfjs, export_hf, export_keras_hub):
        command.add_argument("preset", help="preset directory")
        command.add_argument("out_dir", help="folder to write: new or empty (see --overwrite)")
    for command in (export_tfjs, import_tfjs, export_hf, export_keras_hub, *importers):
        command.add_argument(
            "--overwrite",
            action="store_true",
            help="replace the destination if keras-gpt2 wrote it (a folder with other files is never replaced)",
        )

    serve_demo = _subcommand(
        commands,
        "serve-demo",
        "serve an exported browser demo on 127.0.0.1",
        "keras-gpt2 serve-demo web/ --port 8000",
        _serve_demo,
    )
    serve_demo.add_argument("folder", help="folder written by export-tfjs --with-demo")
    serve_demo.add_argument("--port", type=int, default=8000)

    tokenize = _subcommand(
        commands,
        "tokenize",
        "print the GPT-2 token ids of a text (or of standard input)",
        'keras-gpt2 tokenize --show-tokens "Hello world"',
        _tokenize,
    )
    tokenize.add_argument("text", nargs="?", help="text to tokenize; read from stdin when left out")
    tokenize.add_argument("--show-tokens", action="store_true", help="also print each token's text")
    return parser


def _check_text_arguments(args):
    """Text given on the command line must be valid UTF-8 (Python keeps bad bytes as lone surrogates)."""
    for name in ("prompt", "text"):
        value = getattr(args, name, None)
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as error:
                raise CommandError(f"{name}: is not valid UTF-8 (byte {error.start} of the argument)") from None


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        _check_text_arguments(args)
        if args.command not in ("serve-demo", "tokenize"):
            _prefer_jax_for_generation(args.command)
            _import_backend()
        args.run(args)
    except (
        CommandError,
        ValueError,
        FileNotFoundError,
        IsADirectoryError,
        NotADirectoryError,
        PermissionError,
    ) as error:
        if args.debug:
            raise
        print(f"keras-gpt2 {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"keras-gpt2 {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug or an input we did not foresee: still one line, the trace on request
        if args.debug:
            raise
        print(
            f"keras-gpt2 {args.command}: internal error: {type(error).__name__}: {_one_line(error)} "
            "(rerun with --debug for the trace)",
            file=sys.stderr,
        )
        return 1
    return 0


def _one_line(error):
    """The message of `error` on one line (OS errors as `path: reason`)."""
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        return f"{error.filename}: {error.strerror}"
    text = " ".join(str(error).split())
    return text if len(text) <= 1000 else text[:997] + "..."


if __name__ == "__main__":
    sys.exit(main())
