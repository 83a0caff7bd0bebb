"""Preprocessing of keras_gpt2."""
