"""Layers of keras_gpt2."""
