// Times GPT-2 generation in real Chromium for benchmarks/browser.py: keras-gpt2's runtime
// (ms per new token at batch 1, with the KV cache at each length asked for, and without it),
// the bare TF.js floor (the weight products of one decode step) and a per-kernel profile of a
// step, all in one page; then Transformers.js fp32 and q8, each in a fresh page (ONNX Runtime
// fixes its thread count once per page), at our thread count and at one thread per core. Usage: node benchmarks/browser.mjs JOB_JSON, with
// JOB = {url (a page of the served folder), backend, cachedTokens: [n...], uncachedTokens, transformersJs}.
import { chromium } from 'playwright-core';

const job = JSON.parse(process.argv[2]);
const PROMPT = [50256, 464, 2068, 7586, 21831, 18045, 625, 262];
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run', '--disable-sync'],
});

async function inPage(work, argument) {
  const page = await browser.newPage();
  page.on('crash', () => { console.error('the page crashed (out of memory?)'); process.exit(1); });
  await page.goto(job.url);
  try {
    return await page.evaluate(work, argument);
  } finally {
    await page.close();
  }
}

async function kerasGPT2({ backend, cachedTokens, uncachedTokens, prompt }) {
  for (const script of ['tf.min.js', 'tf-backend-wasm.min.js', 'tf-backend-webgpu.min.js']) await import(`./vendor/${script}`);
  const { loadGPT2CausalLM, GreedySampler, tf, useBackend, wasmThreadCount } = await import('./keras_gpt2/index.js');
  await useBackend(backend, { wasmPaths: new URL('vendor/', document.baseURI).href });
  const model = await loadGPT2CausalLM('model.json', { cache: false });
  const median = (values) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const time = async (maxNewTokens, useCache) => {
    const start = performance.now();
    const { tokenIds } = await model.generate(prompt, { maxNewTokens, useCache, stopTokenIds: [], sampler: new GreedySampler() });
    return (performance.now() - start) / tokenIds.length;
  };
  await time(4, true); // warm-up: kernels compiled, memory allocated
  const ours = { ms_per_token_cached: {}, backend: tf.getBackend(), threads: wasmThreadCount() };
  for (const n of cachedTokens) ours.ms_per_token_cached[n] = await time(n, true);
  ours.ms_per_token_uncached = await time(uncachedTokens, false);

  // Where one decode step (context 64) spends its time, per TF.js kernel.
  const { cache, logits } = model.callWithCache([prompt.concat(new Array(64 - prompt.length).fill(262))], null, 0);
  logits.dispose();
  const profile = await tf.profile(() => { const step = model.callWithCache([[262]], cache, 64); step.logits.dataSync(); return step.logits; });
  cache.forEach(({ keys, values }) => { keys.dispose(); values.dispose(); });
  const kernels = {};
  for (const kernel of profile.kernels) kernels[kernel.name] = (kernels[kernel.name] ?? 0) + kernel.kernelTimeMs;
  ours.profile_ms = Object.fromEntries(Object.entries(kernels).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, +v.toFixed(2)]));

  // The floor: the same weight products as one decode step, each a plain x @ W.
  const { numLayers, hiddenDim, intermediateDim, vocabularySize } = model.backbone.config;
  model.dispose();
  const shapes = [];
  for (let i = 0; i < numLayers; i++) {
    shapes.push([hiddenDim, 3 * hiddenDim], [hiddenDim, hiddenDim], [hiddenDim, intermediateDim], [intermediateDim, hiddenDim]);
  }
  shapes.push([hiddenDim, vocabularySize]);
  const matrices = shapes.map((shape) => tf.randomNormal(shape, 0, 0.02));
  const inputs = Object.fromEntries([hiddenDim, intermediateDim].map((n) => [n, tf.randomNormal([1, n])]));
  const floorRuns = [];
  for (let run = 0; run < 7; run++) {
    const start = performance.now();
    const outputs = matrices.map((w) => tf.matMul(inputs[w.shape[0]], w));
    outputs.forEach((t) => t.dataSync());
    floorRuns.push(performance.now() - start);
    outputs.forEach((t) => t.dispose());
  }
  matrices.forEach((t) => t.dispose());
  return { keras_gpt2: ours, floor_ms_per_token: median(floorRuns.slice(2)), floor_bytes: shapes.reduce((sum, [a, b]) => sum + 4 * a * b, 0) };
}

async function transformersJs({ dtype, threads, cachedTokens, prompt }) {
  const { AutoModelForCausalLM, Tensor, env } = await import('./tjs/transformers.min.js');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = new URL('models/', document.baseURI).href;
  env.backends.onnx.wasm.wasmPaths = new URL('tjs/', document.baseURI).href;
  env.backends.onnx.wasm.numThreads = threads === 'all' ? navigator.hardwareConcurrency : threads;
  const model = await AutoModelForCausalLM.from_pretrained('gpt2-random', { dtype, device: 'wasm' });
  const ids = new Tensor('int64', BigInt64Array.from(prompt.map(BigInt)), [1, prompt.length]);
  const mask = new Tensor('int64', BigInt64Array.from(prompt.map(() => 1n)), [1, prompt.length]);
  const time = async (n) => {
    const start = performance.now();
    const output = await model.generate({ input_ids: ids, attention_mask: mask, max_new_tokens: n, min_new_tokens: n, do_sample: false });
    return (performance.now() - start) / (output.dims[1] - prompt.length);
  };
  await time(4);
  const result = { dtype, threads: env.backends.onnx.wasm.numThreads, ms_per_token: {} };
  for (const n of cachedTokens) result.ms_per_token[n] = await time(n);
  await model.dispose();
  return result;
}

try {
  const figures = await inPage(kerasGPT2, { ...job, prompt: PROMPT });
  if (job.transformersJs) {
    figures.transformers_js = [];
    const ourThreads = figures.keras_gpt2.threads ?? 1;
    for (const threads of [ourThreads, 'all']) { // ours, and every core (its thread pool starts)
      for (const dtype of ['fp32', 'q8']) {
        figures.transformers_js.push(await inPage(transformersJs, { dtype, threads, cachedTokens: job.cachedTokens, prompt: PROMPT }));
      }
    }
  }
  process.stdout.write(JSON.stringify(figures));
} finally {
  await browser.close();
}
