// GPT-2 with its tied head, and generation; mirrors keras_gpt2/models/gpt2_causal_lm.py.
import tf from '../tf.js';
import { GPT2Backbone } from './gpt2_backbone.js';
import { Generator } from '../generation/generator.js';
import { getSampler } from '../generation/samplers.js';

export class GPT2CausalLM extends tf.serialization.Serializable {
  /** config (camelCase, as TF.js hands it over): {backbone: {className, config}, preprocessor?} */
  constructor(config) {
    super();
    if (!config?.backbone?.config) throw new Error('GPT2CausalLM config needs a backbone entry.');
    this.config = config;
    this.backbone = new GPT2Backbone(config.backbone.config);
    const preprocessor = config.preprocessor?.config ?? {};
    this.addStartToken = preprocessor.addStartToken ?? true;
    // Set by loadGPT2CausalLM from the files next to model.json.
    this.tokenizer = null;
    this.preprocessor = null;
    this.generator = new Generator(this);
    // The sampler generate uses when none is given: the one the Python model had, else Python's default.
    this.sampler = getSampler(config.sampler ?? 'top_k');
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

  /**
   * One forward pass of `tokenIds` (arrays, [batch][length]) placed at `index` onwards,
   * reading and extending `cache` (per-layer {keys, values}, or null); mirrors Python's
   * call_with_cache. Returns {logits [batch, vocabulary] of the last position, cache}.
   */
  callWithCache(tokenIds, cache, index) {
    return tf.tidy(() => {
      const [batch, length] = [tokenIds.length, tokenIds[0].length];
      const tokens = tf.tensor2d(tokenIds, [batch, length], 'int32');
      const { hidden, cache: next } = this.backbone.call(tokens, { cache, startIndex: index });
      const last = length === 1 ? tf.reshape(hidden, [batch, -1]) : tf.reshape(tf.slice(hidden, [0, length - 1, 0], [batch, 1, -1]), [batch, -1]);
      return { logits: this.backbone.tokenEmbedding.call(last, { reverse: true }), cache: next };
    });
  }

  /**
   * Continues a prompt (a string or an array of token ids) or a batch of them (an array of
   * strings or of id arrays, any lengths). Options, as in Python's generate: maxNewTokens
   * (new tokens for every prompt) or maxLength (total length; default the preprocessor's
   * sequenceLength), sampler (default `model.sampler`, the exported model's; a seeded sampler
   * makes the same choices as Python's with the same seed), stopTokenIds (default
   * [<|endoftext|>]), stopStrings, repetitionPenalty, minNewTokens, numReturnSequences
   * (best beams with BeamSampler, else samples), logitsProcessors ((logits, tokenIds,
   * index) -> logits); and useCache (default true), onToken({row, tokenId, text}) called
   * as tokens arrive (`text`: the row's new piece of valid text), signal (an AbortSignal).
   * Resolves to {tokenIds, text} (the continuation only) per sequence: one for a single
   * prompt, an array for a batch, an array per prompt with numReturnSequences > 1.
   */
  async generate(prompt, options = {}) {
    const batched = Array.isArray(prompt) && prompt.length > 0 && typeof prompt[0] !== 'number';
    const prompts = (batched ? prompt : [prompt]).map((p) => (typeof p === 'string' ? this.encodePrompt(p) : Array.from(p)));
    const tokens = await this.generator.run(prompts, options);
    const results = tokens.map((tokenIds) => ({
      tokenIds, text: this.tokenizer ? this.tokenizer.detokenize(tokenIds) : '',
    }));
    const n = options.numReturnSequences ?? 1;
    const grouped = n > 1 ? prompts.map((_, i) => results.slice(i * n, (i + 1) * n)) : results;
    return batched ? grouped : grouped[0];
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
