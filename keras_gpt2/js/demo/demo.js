// The demo page: the model loads and generates in worker.js (a Web Worker), so the page
// stays responsive; this file only shows progress, streams text and forwards the controls.
const $ = (id) => document.getElementById(id);
const status = (text) => { $('status').textContent = text; };
const worker = new Worker(new URL('worker.js', import.meta.url), { type: 'module' });
let started = 0;
let count = 0;

function load(backend) {
  $('generate').disabled = true;
  status(`Loading the model (${backend} backend)…`);
  worker.postMessage({ type: 'load', backend });
}

function samplerConfig() {
  const name = $('sampler').value;
  const seed = $('seed').value === '' ? null : Number($('seed').value);
  if (name === 'greedy') return { name };
  const config = { name, temperature: Number($('temperature').value), seed };
  if (name === 'top_k') config.k = Number($('top-k').value);
  if (name === 'top_p') config.p = Number($('top-p').value);
  return config;
}

function finish() {
  $('generate').disabled = false;
  $('stop').disabled = true;
}

const handlers = {
  started: () => {
    const requested = new URLSearchParams(location.search).get('backend') ?? 'auto';
    $('backend').value = requested;
    load(requested);
  },
  progress: ({ loaded, total }) => {
    const percent = total ? Math.min(100, Math.round((100 * loaded) / total)) : 0;
    $('progress').value = percent;
    status(`Loading the weights: ${(loaded / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB`);
  },
  ready: ({ backend, threads, config, failures }) => {
    const { numLayers, hiddenDim, vocabularySize } = config;
    document.body.dataset.backend = backend;
    $('progress').value = 100;
    status(`Ready: ${numLayers} layers, hidden ${hiddenDim}, vocabulary ${vocabularySize}, backend ${backend}` +
      (backend === 'wasm' ? ` (${threads} threads)` : '') + (failures.length ? ` — passed over: ${failures.join('; ')}` : ''));
    $('generate').disabled = false;
  },
  token: ({ text }) => {
    count += 1;
    $('output').append(text);
    status(`${count} tokens, ${(count / ((performance.now() - started) / 1000)).toFixed(1)} tokens/s (${document.body.dataset.backend})`);
  },
  done: () => {
    document.body.dataset.done = 'true';
    finish();
  },
  error: ({ message }) => {
    status(message.startsWith('Could not') ? message : `Error: ${message}`);
    finish();
  },
};
worker.onmessage = ({ data }) => handlers[data.type](data);
worker.onerror = (event) => status(`Could not start the model's worker: ${event.message ?? 'unknown error'}`);

$('generate').addEventListener('click', () => {
  const prompt = $('prompt').value;
  const shown = document.createElement('span');
  shown.className = 'prompt';
  shown.textContent = prompt;
  $('output').replaceChildren(shown);
  delete document.body.dataset.done;
  $('generate').disabled = true;
  $('stop').disabled = false;
  started = performance.now();
  count = 0;
  worker.postMessage({
    type: 'generate', prompt, options: { maxNewTokens: Number($('max-new-tokens').value) }, sampler: samplerConfig(),
  });
});
$('stop').addEventListener('click', () => worker.postMessage({ type: 'stop' }));
$('backend').addEventListener('change', () => load($('backend').value));
