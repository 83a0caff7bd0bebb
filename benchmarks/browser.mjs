// Times the keras-gpt2 browser runtime in real Chromium: ms per new token at batch 1, with
// and without the KV cache, on the backend asked for. Usage (see benchmarks/browser.py):
//   node benchmarks/browser.mjs http://127.0.0.1:PORT/index.html wasm 64 16
import { chromium } from 'playwright-core';

const [url, backend = 'wasm', cachedTokens = '64', uncachedTokens = '16'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  await page.goto(`${url}?backend=${backend}`);
  const errors = [];
  page.on('crash', () => { console.error('the page crashed (out of memory?)'); process.exit(1); });
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  await page.waitForFunction(() => /^(Ready|Could not)/.test(document.getElementById('status').textContent), null, { timeout: 600000 });
  const status = await page.textContent('#status');
  if (!status.startsWith('Ready')) throw new Error(`${status} ${errors.join(' | ')}`);
  const result = await page.evaluate(async ([cached, uncached]) => {
    const { loadGPT2CausalLM, GreedySampler, tf } = await import('./keras_gpt2/index.js');
    const model = await loadGPT2CausalLM('model.json');
    const prompt = [50256, 464, 2068, 7586, 21831, 18045, 625, 262];
    const time = async (maxNewTokens, useCache) => {
      const start = performance.now();
      const { tokenIds } = await model.generate(prompt, { maxNewTokens, useCache, stopTokenIds: [], sampler: new GreedySampler() });
      return (performance.now() - start) / tokenIds.length;
    };
    await time(4, true); // warm-up: kernels compiled, memory allocated
    const figures = {
      ms_per_token_cached: await time(cached, true),
      ms_per_token_uncached: await time(uncached, false),
      tensors_after: tf.memory().numTensors,
      backend: tf.getBackend(),
      threads: globalThis.crossOriginIsolated,
    };
    model.dispose();
    return figures;
  }, [Number(cachedTokens), Number(uncachedTokens)]);
  process.stdout.write(JSON.stringify(result));
} finally {
  await browser.close();
}
