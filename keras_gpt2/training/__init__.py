"""Training on plain text: data windows, the training loop with checkpoints and resume."""
