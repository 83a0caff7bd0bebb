"""Weights in and out: one module per format, and the checks every reader goes through.

Formats: `preset` (keras-gpt2's own), `hugging_face`, `openai`, `keras_hub`, `tfjs`,
`safetensors`. Shared: `checked_json` (typed JSON), `paths` (names confined to a
folder), `h5_checks` (self-contained HDF5), `destination` (writes that lose nothing),
`weight_table` (name-and-layout tables), `loading` (tokenizer files, checked plans).
See `docs/security.md`.
"""
