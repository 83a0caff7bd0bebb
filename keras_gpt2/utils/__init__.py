"""Utils of keras_gpt2."""
