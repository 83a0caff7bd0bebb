"""Tokenizers of keras_gpt2."""
