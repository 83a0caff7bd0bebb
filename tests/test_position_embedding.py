import keras
import numpy as np

from keras_gpt2.layers.position_embedding import PositionEmbedding
from tests.helpers import run_serialization_test


def test_returns_table_rows_from_start_index():
    layer = PositionEmbedding(sequence_length=10, initializer="random_normal")
    full = keras.ops.convert_to_numpy(layer(np.zeros((2, 10, 4), "float32")))
    table = layer.position_embeddings.numpy()
    np.testing.assert_allclose(full[1], table)
    window = keras.ops.convert_to_numpy(layer(np.zeros((1, 3, 4), "float32"), start_index=5))
    np.testing.assert_allclose(window[0], table[5:8])


def test_serialization(tmp_path):
    layer = PositionEmbedding(sequence_length=6)
    run_serialization_test(layer, np.zeros((1, 6, 4), "float32"), tmp_path)
