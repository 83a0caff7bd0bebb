import pytest

from keras_gpt2.preprocessing.start_end_packer import StartEndPacker


def test_pads_and_marks():
    token_ids, padding_mask = StartEndPacker(5, start_value=9, end_value=8, pad_value=0)([[1, 2], []])
    assert token_ids.tolist() == [[9, 1, 2, 8, 0], [9, 8, 0, 0, 0]]
    assert padding_mask.tolist() == [[True] * 4 + [False], [True, True, False, False, False]]


def test_truncates_content_but_keeps_end_token():
    token_ids, padding_mask = StartEndPacker(4, start_value=9, end_value=8)([[1, 2, 3, 4, 5]])
    assert token_ids.tolist() == [[9, 1, 2, 8]]
    assert padding_mask.all()


def test_start_and_end_can_be_left_out_per_call():
    packer = StartEndPacker(4, start_value=9, end_value=8, pad_value=7)
    token_ids, _ = packer([[1]], add_start_value=False, add_end_value=False)
    assert token_ids.tolist() == [[1, 7, 7, 7]]


def test_bad_lengths_are_errors():
    with pytest.raises(ValueError, match="positive"):
        StartEndPacker(0)
    with pytest.raises(ValueError, match="too short"):
        StartEndPacker(1, start_value=1, end_value=2)([[3]])
