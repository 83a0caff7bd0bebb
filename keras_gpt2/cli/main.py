"""The `keras-gpt2` command line.

Only argparse is imported up front; each subcommand imports Keras and
TensorFlow when it runs, so `--help` and usage errors answer at once.
"""

import argparse
import sys

from keras_gpt2.version import __version__

EPILOG = """examples:
  keras-gpt2 tokenize "Hello world"
  keras-gpt2 generate "ROMEO:" --max-length 60
"""


class CommandError(Exception):
    """An error the user can fix; printed as one line, exit code 2."""


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


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-gpt2",
        description="GPT-2 for Keras 3: generate text, train, convert checkpoints, export to the browser.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"keras-gpt2 {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    tokenize = commands.add_parser(
        "tokenize",
        help="print the GPT-2 token ids of a text",
        description="Print the GPT-2 token ids of TEXT (or of standard input).",
        epilog='example:\n  keras-gpt2 tokenize --show-tokens "Hello world"',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tokenize.add_argument("text", nargs="?", help="text to tokenize; read from stdin when left out")
    tokenize.add_argument("--show-tokens", action="store_true", help="also print each token's text")
    tokenize.set_defaults(run=_tokenize)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        args.run(args)
    except (CommandError, ValueError, FileNotFoundError) as error:
        print(f"keras-gpt2 {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"keras-gpt2 {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
