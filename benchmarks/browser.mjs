// Times the keras-gpt2 browser runtime in real Chromium, in a blank page beside the export:
// ms per new token at batch 1 (with the KV cache at each length asked for, and without it),
// the bare TF.js floor (the weight products of one decode step, no attention, no small ops)
// timed in the same page, and where one decode step spends its time (tf.profile, per kernel).
// Usage (see benchmarks/browser.py):
//   node benchmarks/browser.mjs http://127.0.0.1:PORT/blank.html wasm 64,512 16
// (the URL is any page of the exported folder, served cross-origin isolated).
import { chromium } from 'playwright-core';

const [url, backend = 'wasm', cachedTokens = '64', uncachedTokens = '16'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  page.on('crash', () => { console.error('the page crashed (out of memory?)'); process.exit(1); });
  await page.goto(url);
  const result = await page.evaluate(async ([backendName, cachedList, uncached]) => {
    for (const script of ['tf.min.js', 'tf-backend-wasm.min.js', 'tf-backend-webgpu.min.js']) await import(`./vendor/${script}`);
    const { loadGPT2CausalLM, GreedySampler, tf, useBackend, wasmThreadCount } = await import('./keras_gpt2/index.js');
    await useBackend(backendName, { wasmPaths: new URL('vendor/', document.baseURI).href });
    const model = await loadGPT2CausalLM('model.json', { cache: false });
    const prompt = [50256, 464, 2068, 7586, 21831, 18045, 625, 262];
    const median = (values) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const time = async (maxNewTokens, useCache) => {
      const start = performance.now();
      const { tokenIds } = await model.generate(prompt, { maxNewTokens, useCache, stopTokenIds: [], sampler: new GreedySampler() });
      return (performance.now() - start) / tokenIds.length;
    };
    await time(4, true); // warm-up: kernels compiled, memory allocated
    const figures = { ms_per_token_cached: {} };
    for (const n of cachedList) figures.ms_per_token_cached[n] = await time(n, true);
    figures.ms_per_token_uncached = await time(uncached, false);

    // Where one decode step (context 64) spends its time, per TF.js kernel.
    const { cache } = model.step(prompt.concat(new Array(56).fill(262)), null, 0);
    const profile = await tf.profile(() => { const step = model.step([262], cache, 64); step.logits.dataSync(); return step.logits; });
    cache.forEach(({ keys, values }) => { keys.dispose(); values.dispose(); });
    const kernels = {};
    for (const kernel of profile.kernels) kernels[kernel.name] = (kernels[kernel.name] ?? 0) + kernel.kernelTimeMs;
    figures.profile_ms = Object.fromEntries(Object.entries(kernels).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, +v.toFixed(2)]));
    figures.profile_kernel_count = profile.kernels.length;

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
    figures.floor_ms_per_token = median(floorRuns.slice(2));
    figures.floor_bytes = shapes.reduce((sum, [a, b]) => sum + 4 * a * b, 0);
    figures.tensors_after = tf.memory().numTensors;
    figures.backend = tf.getBackend();
    figures.threads = wasmThreadCount();
    figures.cross_origin_isolated = globalThis.crossOriginIsolated;
    return figures;
  }, [backend, cachedTokens.split(',').map(Number), Number(uncachedTokens)]);
  process.stdout.write(JSON.stringify(result));
} finally {
  await browser.close();
}
