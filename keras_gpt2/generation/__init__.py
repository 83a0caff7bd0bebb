"""Generation pieces shared by every sampler: logits processors applied inside the compiled step."""
