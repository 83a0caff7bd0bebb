"""Models of keras_gpt2."""
