// Opens the exported demo page in real Chromium (Debian package), generates text from
// a prompt and saves a screenshot. Usage: node browser_demo.mjs URL SCREENSHOT [PROMPT]
// Prints JSON: {status, output, crossOriginIsolated, backend}.
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS } from './chromium_flags.mjs';

const [url, screenshot, prompt = 'To be, or not to be'] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('Ready'), null, { timeout: 120000 });
  await page.fill('#prompt', prompt);
  await page.selectOption('#sampler', 'top_k');
  await page.fill('#seed', '1');
  await page.fill('#max-new-tokens', '24');
  await page.click('#generate');
  await page.waitForFunction(() => document.body.dataset.done === 'true', null, { timeout: 300000 });
  await page.screenshot({ path: screenshot, fullPage: true });
  const result = await page.evaluate(() => ({
    status: document.getElementById('status').textContent,
    output: document.getElementById('output').textContent,
    crossOriginIsolated: globalThis.crossOriginIsolated,
    backend: document.body.dataset.backend,
  }));
  process.stdout.write(JSON.stringify({ ...result, errors }));
} finally {
  await browser.close();
}
