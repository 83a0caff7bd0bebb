"""Token ids to text as they are made: whole characters only, and stop strings."""


def stop_string_end(tokenizer, token_ids, stop_strings):
    """How many of `token_ids` to keep: up to the token that completes the first stop
    string in their text (Hugging Face's `stop_strings`: that token is kept whole), or
    None when no stop string is in the text.

    Examples:
    >>> from keras_gpt2.assets import gpt2_vocabulary_path, gpt2_merges_path
    >>> from keras_gpt2.tokenizers.gpt2_tokenizer import GPT2Tokenizer
    >>> tokenizer = GPT2Tokenizer(gpt2_vocabulary_path(), gpt2_merges_path())
    >>> ids = tokenizer("To be, or not to be: that is")
    >>> stop_string_end(tokenizer, ids, ["not"]) == len(tokenizer("To be, or not"))
    True
    """
    if not stop_strings or not any(s in tokenizer.detokenize(token_ids) for s in stop_strings):
        return None
    low, high = 1, len(token_ids)  # the text of a prefix holds a stop string from some length on
    while low < high:
        middle = (low + high) // 2
        text = tokenizer.detokenize(token_ids[:middle])
        if any(s in text for s in stop_strings):
            high = middle
        else:
            low = middle + 1
    return low


class TextStreamer:
    """Turns new token ids, one at a time, into pieces of text.

    A piece is held back while the text ends inside a multi-byte character, so
    every piece is valid text; once a stop string is in the text, `stopped`
    is True and the rest of the text up to the token that completed it is
    given out.

    Args:
        tokenizer: a `GPT2Tokenizer`.
        stop_strings: strings that end generation (optional).

    Examples:
    >>> from keras_gpt2.assets import gpt2_vocabulary_path, gpt2_merges_path
    >>> from keras_gpt2.tokenizers.gpt2_tokenizer import GPT2Tokenizer
    >>> tokenizer = GPT2Tokenizer(gpt2_vocabulary_path(), gpt2_merges_path())
    >>> streamer = TextStreamer(tokenizer, stop_strings=["!"])
    >>> [streamer.put(i) for i in tokenizer("Hi there! Bye")]
    ['Hi', ' there', '!', '']
    >>> streamer.stopped
    True
    """

    def __init__(self, tokenizer, stop_strings=()):
        self.tokenizer = tokenizer
        self.stop_strings = tuple(stop_strings or ())
        self.token_ids = []
        self.emitted = ""
        self.stopped = False

    def put(self, token_id):
        """The new piece of text after `token_id` ('' while held back or once stopped)."""
        if self.stopped:
            return ""
        self.token_ids.append(int(token_id))
        text = self.tokenizer.detokenize(self.token_ids)
        self.stopped = any(s in text for s in self.stop_strings)
        if text.endswith("\ufffd") and not self.stopped:
            return ""
        return self._emit(text)

    def end(self):
        """Whatever text is still held back."""
        return self._emit(self.tokenizer.detokenize(self.token_ids)) if self.token_ids else ""

    def _emit(self, text):
        if len(text) <= len(self.emitted) or not text.startswith(self.emitted):
            return ""
        piece, self.emitted = text[len(self.emitted) :], text
        return piece
