"""Samplers of keras_gpt2."""
