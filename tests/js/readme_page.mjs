// Opens a page that streams generated text into <output id="output"> and shows loading in
// <progress id="bar">, and waits for the text. Usage: node readme_page.mjs PAGE_URL.
// Prints JSON: {output, progress, errors}.
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS } from './chromium_flags.mjs';

const [url] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('response', (response) => { // the browser's own /favicon.ico probe is not the page's
    if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) errors.push(`${response.status()} ${response.url()}`);
  });
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('output').textContent.length > 10, null, { timeout: 120000 })
    .catch(() => errors.push('no text within 120 s'));
  const result = await page.evaluate(() => ({
    output: document.getElementById('output').textContent,
    progress: document.getElementById('bar').value,
  }));
  process.stdout.write(JSON.stringify({ ...result, errors }));
} finally {
  await browser.close();
}
