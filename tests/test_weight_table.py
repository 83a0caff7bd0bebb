import numpy as np
import pytest

from keras_gpt2.errors import InvalidCheckpointError
from keras_gpt2.io.hugging_face import hf_weight_table
from keras_gpt2.io.weight_table import StoredTensor
from keras_gpt2.io.weight_table import assign_from_table
from keras_gpt2.io.weight_table import export_with_table
from tests.helpers import tiny_backbone


@pytest.fixture(scope="module")
def backbone():
    return tiny_backbone(vocabulary_size=300)


def counting(arrays):
    """`{name: StoredTensor}` over `arrays`, and the list of names read so far."""
    reads = []
    stored = {
        name: StoredTensor(array.shape, lambda name=name, array=array: (reads.append(name), array)[1])
        for name, array in arrays.items()
    }
    return stored, reads


def test_export_then_assign_is_the_identity(backbone):
    table = hf_weight_table(backbone.num_layers, backbone.num_heads)
    exported = export_with_table(backbone, table)
    target = tiny_backbone(vocabulary_size=300)
    stored, reads = counting(exported)
    assign_from_table(target, table, stored, "hf")
    assert sorted(reads) == sorted(exported)
    for ours, theirs in zip(backbone.weights, target.weights):
        np.testing.assert_array_equal(np.asarray(ours.numpy()), np.asarray(theirs.numpy()))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda t: t.pop("transformer.ln_f.bias"), "transformer.ln_f.bias: is missing"),
        (lambda t: t.__setitem__("transformer.extra", np.zeros(1)), "transformer.extra: is not a weight"),
        (lambda t: t.__setitem__("transformer.wpe.weight", np.zeros((16, 8))), r"has shape \(16, 8\), but the config"),
    ],
)
def test_names_and_shapes_are_checked_before_any_read(backbone, change, message):
    table = hf_weight_table(backbone.num_layers, backbone.num_heads)
    exported = export_with_table(backbone, table)
    change(exported)
    stored, reads = counting(exported)
    with pytest.raises(InvalidCheckpointError, match=message):
        assign_from_table(tiny_backbone(vocabulary_size=300), table, stored, "hf")
    assert reads == []


def test_non_finite_values_are_refused(backbone):
    table = hf_weight_table(backbone.num_layers, backbone.num_heads)
    exported = export_with_table(backbone, table)
    exported["transformer.wte.weight"] = exported["transformer.wte.weight"].copy()
    exported["transformer.wte.weight"][3, 1] = np.nan
    with pytest.raises(InvalidCheckpointError, match="transformer.wte.weight: holds NaN or infinite values"):
        assign_from_table(tiny_backbone(vocabulary_size=300), table, counting(exported)[0], "hf")
