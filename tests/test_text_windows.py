import numpy as np
import pytest

from keras_gpt2.training import text_windows


def test_list_and_read_text_files(tmp_path):
    (tmp_path / "a.txt").write_text("first\r\nline")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("second")
    (tmp_path / "skip.md").write_text("no")
    files = text_windows.list_text_files([tmp_path])
    assert [f.split("/")[-1] for f in files] == ["a.txt", "b.txt"]
    assert text_windows.read_documents(files) == ["first\nline", "second"]
    with pytest.raises(FileNotFoundError, match="No such file"):
        text_windows.list_text_files([tmp_path / "missing"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="No .txt files"):
        text_windows.list_text_files([empty])


def test_documents_are_separated_by_end_of_text(gpt2_tokenizer):
    ids = text_windows.tokenize_documents(gpt2_tokenizer, ["Hello", "world"])
    assert ids.tolist() == [*gpt2_tokenizer("Hello"), 50256, *gpt2_tokenizer("world"), 50256]


def test_windows_are_shifted_by_one():
    x, y, weights = text_windows.make_windows(np.arange(10), sequence_length=4)
    assert x["token_ids"].tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert y.tolist() == [[1, 2, 3, 4], [5, 6, 7, 8]]
    assert weights.shape == (2, 4) and x["padding_mask"].all()
    with pytest.raises(ValueError, match="not enough"):
        text_windows.make_windows(np.arange(3), sequence_length=4)


def test_unigram_perplexity():
    # Uniform counts over 4 tokens with add-one smoothing: perplexity is exactly 4.
    assert text_windows.unigram_perplexity(np.array([0, 1, 2, 3]), np.array([0, 1]), 4) == pytest.approx(4.0)
