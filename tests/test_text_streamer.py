"""Streaming text: whole characters only, and stop strings across token boundaries."""

from keras_gpt2.generation.text_streamer import TextStreamer
from keras_gpt2.generation.text_streamer import stop_string_end


def stream(tokenizer, ids, stop_strings=()):
    streamer = TextStreamer(tokenizer, stop_strings)
    pieces = [streamer.put(i) for i in ids] + [streamer.end()]
    return [p for p in pieces if p], streamer


def test_pieces_hold_back_half_characters(gpt2_tokenizer):
    text = "naïve 日本語 😀 done"
    ids = gpt2_tokenizer(text)
    pieces, streamer = stream(gpt2_tokenizer, ids)
    assert "".join(pieces) == text and not streamer.stopped
    assert all("\ufffd" not in piece for piece in pieces)
    assert len(pieces) < len(ids)  # some byte tokens were held back and given out together


def test_a_stop_string_split_across_tokens_stops_at_the_token_completing_it(gpt2_tokenizer):
    text = "To be, or not to be: that is the question"
    ids = gpt2_tokenizer(text)
    stop = "t to b"  # spans the tokens " not", " to" and " be"
    kept = stop_string_end(gpt2_tokenizer, ids, [stop])
    assert stop in gpt2_tokenizer.detokenize(ids[:kept]) and stop not in gpt2_tokenizer.detokenize(ids[: kept - 1])
    pieces, streamer = stream(gpt2_tokenizer, ids, [stop])
    assert streamer.stopped and "".join(pieces) == gpt2_tokenizer.detokenize(ids[:kept])
    assert stop_string_end(gpt2_tokenizer, ids, ["absent"]) is None and stop_string_end(gpt2_tokenizer, ids, []) is None


def test_a_stop_string_inside_a_multi_byte_character_is_found(gpt2_tokenizer):
    ids = gpt2_tokenizer("ab 😀 cd")
    pieces, streamer = stream(gpt2_tokenizer, ids, ["😀"])
    assert streamer.stopped and "".join(pieces) == "ab 😀"
