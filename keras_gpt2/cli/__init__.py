"""Cli of keras_gpt2."""
