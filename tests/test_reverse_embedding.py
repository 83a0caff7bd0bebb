import keras
import numpy as np

from keras_gpt2.layers.reverse_embedding import ReverseEmbedding
from tests.helpers import run_serialization_test


def test_reverse_is_matmul_with_the_same_matrix():
    layer = ReverseEmbedding(input_dim=11, output_dim=4, embeddings_initializer="random_normal")
    hidden = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    logits = keras.ops.convert_to_numpy(layer(hidden, reverse=True))
    np.testing.assert_allclose(logits, hidden @ layer.embeddings.numpy().T, rtol=1e-5, atol=1e-6)
    assert len(layer.weights) == 1


def test_serialization(tmp_path):
    run_serialization_test(ReverseEmbedding(input_dim=5, output_dim=3), np.array([[1, 2]]), tmp_path)
