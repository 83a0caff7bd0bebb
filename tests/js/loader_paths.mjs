// Loads model.json files whose manifests name files outside their folder, in real Chromium,
// and reports what the runtime's loader said. Usage: node loader_paths.mjs PAGE_URL MODEL_URL...
// Prints JSON: [{modelUrl, loaded, error}].
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS } from './chromium_flags.mjs';

const [pageUrl, ...modelUrls] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
try {
  const page = await browser.newPage();
  await page.goto(pageUrl);
  const results = await page.evaluate(async (urls) => {
    const runtime = await import('./keras_gpt2/index.js');
    await runtime.tf.setBackend('cpu');
    const out = [];
    for (const modelUrl of urls) {
      try {
        const model = await runtime.loadGPT2CausalLM(modelUrl);
        out.push({ modelUrl, loaded: model.backbone.config.hiddenDim, error: null });
      } catch (error) {
        out.push({ modelUrl, loaded: null, error: String(error.message ?? error) });
      }
    }
    return out;
  }, modelUrls);
  process.stdout.write(JSON.stringify(results));
} finally {
  await browser.close();
}
