// The demo page: loads ./model.json with the keras-gpt2 runtime and streams generated text.
import { loadGPT2CausalLM, SAMPLERS, tf, useBackend as switchBackend, wasmThreadCount } from './keras_gpt2/index.js';

const $ = (id) => document.getElementById(id);
const status = (text) => { $('status').textContent = text; };
let model = null;
let controller = null;

const useBackend = (name) => switchBackend(name, { wasmPaths: new URL('vendor/', document.baseURI).href });

async function load() {
  const requested = new URLSearchParams(location.search).get('backend') ?? 'wasm';
  $('backend').value = requested;
  await useBackend(requested);
  status(`Loading the model (${tf.getBackend()} backend)…`);
  model = await loadGPT2CausalLM('model.json');
  const { numLayers, hiddenDim, vocabularySize } = model.backbone.config;
  status(`Ready: ${numLayers} layers, hidden ${hiddenDim}, vocabulary ${vocabularySize}, backend ${tf.getBackend()}` +
    (tf.getBackend() === 'wasm' ? ` (${wasmThreadCount()} threads)` : ''));
  $('generate').disabled = false;
}

function makeSampler() {
  const name = $('sampler').value;
  const seed = $('seed').value === '' ? null : Number($('seed').value);
  const options = { temperature: Number($('temperature').value), seed };
  if (name === 'top_k') options.k = Number($('top-k').value);
  if (name === 'top_p') options.p = Number($('top-p').value);
  return name === 'greedy' ? new SAMPLERS.greedy() : new SAMPLERS[name](options);
}

async function generate() {
  const prompt = $('prompt').value;
  const output = $('output');
  output.innerHTML = '';
  const shown = document.createElement('span');
  shown.className = 'prompt';
  shown.textContent = prompt;
  output.append(shown);
  $('generate').disabled = true;
  $('stop').disabled = false;
  controller = new AbortController();
  const start = performance.now();
  let count = 0;
  try {
    if ($('backend').value !== tf.getBackend()) await useBackend($('backend').value);
    await model.generate(prompt, {
      maxNewTokens: Number($('max-new-tokens').value),
      sampler: makeSampler(),
      signal: controller.signal,
      onToken: async ({ text }) => {
        count += 1;
        output.append(text);
        status(`${count} tokens, ${(count / ((performance.now() - start) / 1000)).toFixed(1)} tokens/s (${tf.getBackend()})`);
        await new Promise((resolve) => setTimeout(resolve, 0)); // let the page repaint
      },
    });
    document.body.dataset.done = 'true';
  } catch (error) {
    status(`Error: ${error.message}`);
  } finally {
    $('generate').disabled = false;
    $('stop').disabled = true;
  }
}

$('generate').addEventListener('click', generate);
$('stop').addEventListener('click', () => controller?.abort());
load().catch((error) => status(`Could not load the model: ${error.message}`));
