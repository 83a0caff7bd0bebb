"""Converters of keras_gpt2."""
