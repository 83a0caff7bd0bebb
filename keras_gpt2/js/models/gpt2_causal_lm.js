// GPT-2 with its tied head, and generation; mirrors keras_gpt2/models/gpt2_causal_lm.py.
import tf from '../tf.js';
import { GPT2Backbone } from './gpt2_backbone.js';
import { GreedySampler } from '../samplers/sampler.js';

function disposeCache(cache) {
  cache?.forEach(({ keys, values }) => { keys.dispose(); values.dispose(); });
}

export class GPT2CausalLM extends tf.serialization.Serializable {
  /** config (camelCase, as TF.js hands it over): {backbone: {className, config}, preprocessor?} */
  constructor(config) {
    super();
    if (!config?.backbone?.config) throw new Error('GPT2CausalLM config needs a backbone entry.');
    this.config = config;
    this.backbone = new GPT2Backbone(config.backbone.config);
    const preprocessor = config.preprocessor?.config ?? {};
    this.addStartToken = preprocessor.addStartToken ?? true;
    this.tokenizer = null; // Set by loadGPT2CausalLM from the files next to model.json.
  }

  getClassName() {
    return GPT2CausalLM.className;
  }

  getConfig() {
    return this.config;
  }

  static fromConfig(cls, config) {
    return new cls(config);
  }

  loadWeights(weights) {
    this.backbone.loadWeights(weights);
  }

  /** Logits [batch, length, vocabulary] of every position (no cache), e.g. for checks. */
  predict(tokenIds, paddingMask = null) {
    return tf.tidy(() => {
      const ids = tf.tensor2d(tokenIds, undefined, 'int32');
      const { hidden } = this.backbone.call(ids, { paddingMask });
      const [batch, length, width] = hidden.shape;
      const logits = this.backbone.tokenEmbedding.call(tf.reshape(hidden, [batch * length, width]), { reverse: true });
      return tf.reshape(logits, [batch, length, -1]);
    });
  }

  /** One forward pass of `ids` from position `start`; returns last-position logits and the new cache. */
  step(ids, cache, start) {
    return tf.tidy(() => {
      const tokens = tf.tensor2d([ids], [1, ids.length], 'int32');
      const { hidden, cache: next } = this.backbone.call(tokens, { cache, startIndex: start });
      const last = ids.length === 1 ? tf.reshape(hidden, [1, -1]) : tf.reshape(tf.slice(hidden, [0, ids.length - 1, 0], [1, 1, -1]), [1, -1]);
      return { logits: this.backbone.tokenEmbedding.call(last, { reverse: true }), cache: next };
    });
  }

  /**
   * Continues `prompt` (a string, or an array of token ids) one token at a time.
   * Options: maxNewTokens (default 50), sampler (default greedy), stopTokenIds (default
   * [<|endoftext|>]), useCache (default true; false recomputes the whole sequence every
   * step), onToken({tokenId, text}) called as each token arrives, with `text` the new
   * piece of decoded text (held back while inside a multi-byte character), and signal
   * (an AbortSignal: generation stops cleanly after the current token).
   * Resolves to {tokenIds, text} where text is the continuation only.
   */
  async generate(prompt, options = {}) {
    const {
      maxNewTokens = 50, sampler = new GreedySampler(), useCache = true, onToken = null, signal = null,
    } = options;
    const { maxSequenceLength, vocabularySize } = this.backbone.config;
    sampler.validate(vocabularySize);
    let ids = typeof prompt === 'string' ? this.encodePrompt(prompt) : Array.from(prompt);
    const stopTokenIds = options.stopTokenIds ?? (this.tokenizer ? [this.tokenizer.endTokenId] : []);
    if (ids.length + maxNewTokens > maxSequenceLength) {
      throw new Error(`${ids.length} prompt tokens + ${maxNewTokens} new is beyond max_sequence_length ${maxSequenceLength}.`);
    }
    const generated = [];
    let cache = null;
    let emitted = '';
    let pending = ids;
    for (let n = 0; n < maxNewTokens && !signal?.aborted; n++) {
      const result = useCache ? this.step(pending, cache, ids.length - pending.length) : this.step(ids, null, 0);
      disposeCache(cache);
      cache = result.cache;
      if (!useCache) {
        disposeCache(cache);
        cache = null;
      }
      const logits = await result.logits.data();
      result.logits.dispose();
      const tokenId = sampler.sample(logits);
      if (stopTokenIds.includes(tokenId)) break;
      generated.push(tokenId);
      ids = [...ids, tokenId];
      pending = [tokenId];
      if (onToken) {
        const text = this.tokenizer ? this.tokenizer.detokenize(generated) : '';
        const piece = text.endsWith('\uFFFD') ? '' : text.slice(emitted.length);
        if (piece) emitted = text;
        await onToken({ tokenId, text: piece });
      }
    }
    disposeCache(cache);
    return { tokenIds: generated, text: this.tokenizer ? this.tokenizer.detokenize(generated) : '' };
  }

  encodePrompt(text) {
    if (!this.tokenizer) throw new Error('This model has no tokenizer; pass token ids.');
    const ids = this.tokenizer.tokenize(text);
    return this.addStartToken ? [this.tokenizer.startTokenId, ...ids] : ids;
  }

  dispose() {
    this.backbone.dispose();
  }
}
GPT2CausalLM.className = 'GPT2CausalLM';
tf.serialization.registerClass(GPT2CausalLM);
