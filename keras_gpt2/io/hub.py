"""Presets by name: Hugging Face Hub repositories and keras-hub's GPT-2 names.

`resolve_preset(preset)` turns what a user passes to `from_preset` or
`--model` into a local preset folder:

- a local folder: itself;
- `hf://org/name` (or `hf://org/name@revision`): the repository's GPT-2
  files downloaded through `huggingface_hub` (its cache; `HF_HOME`,
  `HF_HUB_OFFLINE` and `HF_TOKEN` apply), converted once with `import_hf`,
  and kept as a preset in `~/.cache/keras-gpt2/hub/org--name/<commit>`
  (`KERAS_GPT2_CACHE` moves it): later calls load that preset directly;
- keras-hub's names (`gpt2_base_en`, `gpt2_medium_en`, `gpt2_large_en`,
  `gpt2_extra_large_en`): OpenAI's GPT-2 weights, which are the same on the
  Hugging Face Hub (`hf://openai-community/gpt2`, ...), fetched from there.

The downloaded files go through the same checks as any Hugging Face folder
(`keras_gpt2.io.hugging_face`); nothing from the Hub is executed.

Examples:
>>> resolve_preset("presets/mine")
'presets/mine'
>>> KERAS_HUB_NAMES["gpt2_base_en"]
'openai-community/gpt2'
"""

import os
import re
import shutil
import tempfile

from keras_gpt2.errors import InvalidInputError

KERAS_HUB_NAMES = {
    "gpt2_base_en": "openai-community/gpt2",
    "gpt2_medium_en": "openai-community/gpt2-medium",
    "gpt2_large_en": "openai-community/gpt2-large",
    "gpt2_extra_large_en": "openai-community/gpt2-xl",
}
HF_PREFIX = "hf://"
HF_FILES = [
    "config.json",
    "*.safetensors",
    "model.safetensors.index.json",
    "vocab.json",
    "merges.txt",
    "tokenizer.json",
]
REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}")
REVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")


def cache_root():
    """Where converted Hub checkpoints are kept: `$KERAS_GPT2_CACHE/hub`, or `~/.cache/keras-gpt2/hub`."""
    base = os.environ.get("KERAS_GPT2_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "keras-gpt2")
    return os.path.join(base, "hub")


def is_hub_name(preset):
    text = os.fspath(preset)
    return text.startswith(HF_PREFIX) or text in KERAS_HUB_NAMES


def resolve_preset(preset):
    """A local preset folder for `preset` (see the module docstring); local folders pass through."""
    if not is_hub_name(preset):
        return preset
    text = os.fspath(preset)
    address = HF_PREFIX + KERAS_HUB_NAMES[text] if text in KERAS_HUB_NAMES else text
    repository, _, revision = address[len(HF_PREFIX) :].partition("@")
    if not REPOSITORY.fullmatch(repository) or ".." in repository:
        raise InvalidInputError(text, None, "must be hf://organization/name, each part letters, digits, '.', '_', '-'")
    if revision and (not REVISION.fullmatch(revision) or ".." in revision):
        raise InvalidInputError(text, None, f"{revision!r} is not a revision name")
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise InvalidInputError(text, None, "loading from the Hugging Face Hub needs `pip install huggingface_hub`")
    snapshot = snapshot_download(repository, revision=revision or None, allow_patterns=HF_FILES)
    converted = os.path.join(cache_root(), repository.replace("/", "--"), os.path.basename(snapshot))
    if not os.path.isfile(os.path.join(converted, "config.json")):
        _convert(snapshot, converted)
    return converted


def _convert(snapshot, converted):
    """`import_hf` of a Hub snapshot, saved as a preset at `converted`.

    A snapshot's files are links into the Hub cache's blob store, which our
    readers refuse (links out of their folder); the files are first linked
    (or copied) as plain files into a folder of their own.
    """
    from keras_gpt2.io.hugging_face import import_hf

    os.makedirs(os.path.dirname(converted), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=os.path.dirname(converted), prefix=".download-") as plain:
        for name in os.listdir(snapshot):
            source = os.path.realpath(os.path.join(snapshot, name))
            if not os.path.isfile(source):
                continue
            try:
                os.link(source, os.path.join(plain, name))
            except OSError:
                shutil.copyfile(source, os.path.join(plain, name))
        import_hf(plain).save_to_preset(converted, overwrite=True)
