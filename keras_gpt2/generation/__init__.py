"""Generation: the decode loop and its compiled programs (`generator`), prompts made ready
(`prompts`), samplers, logits processors, the shared random stream, text streaming, scoring.
"""
