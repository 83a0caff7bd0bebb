// Greedy and seeded top-k generation on every TF.js backend in real Chromium, with SwiftShader standing in for
// a GPU (WebGPU through its fallback adapter, WebGL through ANGLE). Usage:
//   node backends_check.mjs PAGE_URL '{"prompt": [ids], "maxNewTokens": 30, "leakTokens": 200}'
// Prints JSON: {backend: {tokenIds, sampled, tensorsBefore, tensorsAfter, active, progress, error}} for
// wasm, webgl and webgpu, and what useBackend('auto') chose.
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS } from './chromium_flags.mjs';

export const SWIFTSHADER_GPU_FLAGS = [
  ...CHROMIUM_FLAGS.filter((flag) => flag !== '--disable-gpu'),
  '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
];

const [pageUrl, jobText] = process.argv.slice(2);
const job = JSON.parse(jobText);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: SWIFTSHADER_GPU_FLAGS });
try {
  const page = await browser.newPage();
  await page.goto(pageUrl);
  const results = await page.evaluate(async ({ prompt, maxNewTokens, leakTokens }) => {
    for (const script of ['tf.min.js', 'tf-backend-wasm.min.js', 'tf-backend-webgpu.min.js']) await import(`./vendor/${script}`);
    const runtime = await import('./keras_gpt2/index.js');
    const { tf, GreedySampler, TopKSampler } = runtime;
    const wasmPaths = new URL('vendor/', document.baseURI).href;
    const out = { auto: await runtime.useBackend('auto', { wasmPaths }) };
    for (const backend of ['wasm', 'webgl', 'webgpu']) {
      try {
        await runtime.useBackend(backend, { wasmPaths });
        const progress = [];
        const model = await runtime.loadGPT2CausalLM('model.json', { cache: false, onProgress: (bytes) => progress.push(bytes) });
        const options = { stopTokenIds: [], sampler: new GreedySampler() };
        const { tokenIds } = await model.generate(prompt, { ...options, maxNewTokens });
        const sampler = new TopKSampler({ k: 20, seed: 3 });
        const sampled = (await model.generate(prompt, { ...options, sampler, maxNewTokens })).tokenIds;
        const tensorsBefore = tf.memory().numTensors;
        await model.generate(prompt, { ...options, maxNewTokens: leakTokens });
        const tensorsAfter = tf.memory().numTensors;
        out[backend] = { tokenIds, sampled, tensorsBefore, tensorsAfter, active: tf.getBackend(), progress: progress.at(-1), progressEvents: progress.length };
        model.dispose();
      } catch (error) {
        out[backend] = { error: String(error.message ?? error) };
      }
    }
    return out;
  }, job);
  process.stdout.write(JSON.stringify(results));
} finally {
  await browser.close();
}
