// GPT-2 from token ids to final hidden states; mirrors keras_gpt2/models/gpt2_backbone.py.
// Registered with tf.serialization so that tf.loadLayersModel builds it from model.json.
import tf from '../tf.js';
import { PositionEmbedding } from '../layers/position_embedding.js';
import { ReverseEmbedding } from '../layers/reverse_embedding.js';
import { TransformerDecoder, causalAttentionMask, layerNorm } from '../layers/transformer_decoder.js';

/**
 * Divides each `<name>_scale` into `<name>`, in place: an int8 model exported with uint8
 * stores its int8 values exactly and one float scale per row or column beside them
 * (keras_gpt2/io/tfjs.py, `export_tfjs`); mirrors `fold_row_scales` there.
 */
function foldRowScales(weights) {
  for (const name of Object.keys(weights)) {
    const base = name.slice(0, -'_scale'.length);
    if (!name.endsWith('_scale') || !(base in weights)) continue;
    const folded = tf.keep(tf.div(weights[base], weights[name]));
    weights[base].dispose();
    weights[name].dispose();
    weights[base] = folded;
    delete weights[name];
  }
}

export class GPT2Backbone extends tf.serialization.Serializable {
  /** config: the TF.js (camelCase) fields: vocabularySize, numLayers, numHeads, hiddenDim, ... */
  constructor(config) {
    super();
    this.config = { layerNormEpsilon: 1e-5, ...config };
    for (const field of ['vocabularySize', 'numLayers', 'numHeads', 'hiddenDim', 'intermediateDim', 'maxSequenceLength']) {
      if (!Number.isInteger(this.config[field])) throw new Error(`GPT2Backbone config needs an integer ${field}.`);
    }
    this.weights = null;
  }

  getClassName() {
    return GPT2Backbone.className;
  }

  getConfig() {
    return this.config;
  }

  static fromConfig(cls, config) {
    return new cls(config);
  }

  /** Takes the decoded weights (name -> tensor, names as in Python) and builds the layers. */
  loadWeights(weights) {
    const { numLayers, numHeads, layerNormEpsilon } = this.config;
    const missing = this.expectedWeightNames().filter((name) => !(name in weights));
    if (missing.length) throw new Error(`Weights missing from the artifact: ${missing.slice(0, 5).join(', ')}`);
    this.dispose();
    this.weights = Object.fromEntries(Object.entries(weights).map(([name, t]) => [name, tf.keep(t.clone())]));
    foldRowScales(this.weights);
    const w = this.weights;
    this.tokenEmbedding = new ReverseEmbedding(w['token_embedding/embeddings']);
    w['token_embedding/embeddings'].dispose(); // the layer keeps the transposed table only
    delete w['token_embedding/embeddings'];
    this.positionEmbedding = new PositionEmbedding(w['position_embedding/embeddings']);
    this.transformerLayers = Array.from({ length: numLayers }, (_, i) => (
      new TransformerDecoder(w, `transformer_layer_${i}`, { numHeads, layerNormEpsilon })));
    this.finalNorm = [w['layer_norm/gamma'], w['layer_norm/beta']];
  }

  expectedWeightNames() {
    const names = ['token_embedding/embeddings', 'position_embedding/embeddings', 'layer_norm/gamma', 'layer_norm/beta'];
    for (let i = 0; i < this.config.numLayers; i++) {
      for (const n of ['query', 'key', 'value']) names.push(`transformer_layer_${i}/self_attention/${n}/kernel`);
    }
    return names;
  }

  /**
   * tokenIds: int32 tensor [batch, length] placed at positions startIndex.. .
   * cache: per-layer {keys, values} from an earlier call, or null. paddingMask: [batch][past+length]
   * 0/1 arrays or null. Returns {hidden [batch, length, hidden], cache}.
   */
  call(tokenIds, { cache = null, paddingMask = null, startIndex = 0 } = {}) {
    if (!this.weights) throw new Error('GPT2Backbone has no weights; load it with tf.loadLayersModel.');
    const [, length] = tokenIds.shape;
    const tokens = this.tokenEmbedding.call(tokenIds);
    let x = tf.add(tokens, this.positionEmbedding.call(length, startIndex));
    const single = length === 1 && paddingMask === null;
    const mask = single ? null : causalAttentionMask(length, startIndex, paddingMask);
    const nextCache = [];
    this.transformerLayers.forEach((layer, i) => {
      const result = layer.call(x, { cache: cache ? cache[i] : null, mask });
      x = result.output;
      nextCache.push(result.cache);
    });
    return { hidden: layerNorm(x, ...this.finalNorm, this.config.layerNormEpsilon), cache: nextCache };
  }

  dispose() {
    if (!this.weights) return;
    Object.values(this.weights).forEach((t) => t.dispose());
    this.tokenEmbedding.dispose();
    this.transformerLayers.forEach((layer) => layer.dispose());
    this.weights = null;
  }
}
GPT2Backbone.className = 'GPT2Backbone';
tf.serialization.registerClass(GPT2Backbone);
