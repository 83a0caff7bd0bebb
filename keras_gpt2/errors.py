"""The errors keras-gpt2 raises for input a user can fix.

Every one is a `ValueError`, so code that caught `ValueError` before keeps
working, and every message reads `<where>: <field>: <problem>`: the file (or
argument) at fault, the field inside it, and what is wrong. The command line
prints exactly that line after `keras-gpt2 CMD: error:` and exits with 2.

Examples:
>>> from keras_gpt2.errors import InvalidCheckpointError
>>> error = InvalidCheckpointError("web/model.json", "weightsManifest[0].paths", "must be a list")
>>> str(error)
'web/model.json: weightsManifest[0].paths: must be a list'
>>> isinstance(error, ValueError), error.field
(True, 'weightsManifest[0].paths')
"""

import os


class KerasGPT2Error(ValueError):
    """Base class: `where` (a file, folder or argument), `field` (or None) and `problem`."""

    def __init__(self, where, field, problem):
        self.where = os.fspath(where) if isinstance(where, os.PathLike) else where
        self.field = field
        self.problem = problem
        parts = [str(self.where)] + ([str(field)] if field else []) + [problem]
        super().__init__(": ".join(parts))


class InvalidCheckpointError(KerasGPT2Error):
    """A file to load is malformed, inconsistent, truncated or larger than it may be."""


class InvalidConfigError(InvalidCheckpointError):
    """GPT-2 hyper-parameters that no model can have (or that the weights on disk cannot fill)."""


class UnsafePathError(KerasGPT2Error):
    """A file name inside a checkpoint points outside its folder (`..`, absolute, a link, a URL)."""


class DestinationError(KerasGPT2Error):
    """A folder to write would lose files: not empty, not ours, a file, or the source itself."""


class InvalidInputError(KerasGPT2Error):
    """Arguments to a model call: token ids outside the vocabulary, a mask of the wrong shape, no data."""
