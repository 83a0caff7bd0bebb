// The demo's model runs here, in a module Web Worker, so that loading and generating never
// freeze the page. Messages in: {type: 'load', backend}, {type: 'generate', prompt, options,
// sampler: {name, ...config}}, {type: 'stop'}. Messages out: {type: 'progress', loaded, total},
// {type: 'ready', backend, threads, config}, {type: 'token', text}, {type: 'done'},
// {type: 'error', message}.
await import('./vendor/tf.min.js'); // UMD bundles: they set globalThis.tf
await import('./vendor/tf-backend-wasm.min.js');
await import('./vendor/tf-backend-webgpu.min.js');
const { loadGPT2CausalLM, SAMPLERS, BACKEND_PREFERENCE, useBackend, wasmThreadCount } = await import('./keras_gpt2/index.js');

const wasmPaths = new URL('vendor/', self.location.href).href;
let model = null;
let controller = null;

/** Loads on `requested`; under 'auto' a backend that fails (out of memory, a lost GPU) hands over to the next. */
async function load(requested) {
  const order = requested === 'auto' ? ['auto', ...BACKEND_PREFERENCE] : [requested];
  const failures = [];
  for (const backend of order) {
    if (failures.some((failure) => failure.startsWith(`${backend}:`))) continue;
    let attempted = backend;
    try {
      attempted = await useBackend(backend, { wasmPaths });
      model?.dispose();
      model = null;
      model = await loadGPT2CausalLM('model.json', { onProgress: (bytes) => postMessage({ type: 'progress', ...bytes }) });
      postMessage({ type: 'ready', backend: attempted, threads: wasmThreadCount(), config: model.backbone.config, failures });
      return;
    } catch (error) {
      const message = /memory|allocat/i.test(String(error.message)) ? `out of memory (${error.message})` : error.message;
      failures.push(`${attempted}: ${message}`);
    }
  }
  postMessage({ type: 'error', message: `Could not load the model: ${failures.join('; ')}` });
}

async function generate({ prompt, options, sampler }) {
  controller = new AbortController();
  const { name, ...config } = sampler;
  try {
    await model.generate(prompt, {
      ...options,
      sampler: new SAMPLERS[name](config),
      signal: controller.signal,
      onToken: async ({ text }) => {
        postMessage({ type: 'token', text });
        await new Promise((resolve) => setTimeout(resolve, 0)); // lets a 'stop' message in
      },
    });
    postMessage({ type: 'done' });
  } catch (error) {
    postMessage({ type: 'error', message: error.message });
  }
}

self.onmessage = ({ data }) => {
  if (data.type === 'load') load(data.backend);
  if (data.type === 'generate') generate(data);
  if (data.type === 'stop') controller?.abort();
};
postMessage({ type: 'started' });
