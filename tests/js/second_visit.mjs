// Opens the demo page twice in one Chromium profile and counts what each visit fetched:
// the second visit must read weights and tokenizer files from Cache Storage.
// Usage: node second_visit.mjs PAGE_URL. Prints JSON: {visits: [{requests, status, backend}], errors}.
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS } from './chromium_flags.mjs';

const [pageUrl] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
try {
  const context = await browser.newContext();
  const errors = [];
  let requests = [];
  context.on('request', (request) => requests.push(new URL(request.url()).pathname));
  const visits = [];
  for (let visit = 0; visit < 2; visit++) {
    requests = [];
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(pageUrl);
    await page.waitForFunction(() => /^(Ready|Could not)/.test(document.getElementById('status').textContent), null, { timeout: 120000 });
    visits.push({
      requests: [...requests],
      status: await page.textContent('#status'),
      backend: await page.evaluate(() => document.body.dataset.backend),
    });
    await page.close();
  }
  process.stdout.write(JSON.stringify({ visits, errors }));
} finally {
  await browser.close();
}
