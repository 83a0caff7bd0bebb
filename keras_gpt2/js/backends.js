// Choosing the TensorFlow.js backend the runtime computes on.
import tf from './tf.js';

/** The order `useBackend('auto')` tries: a GPU through WebGPU, then WebGL, then the CPU through wasm. */
export const BACKEND_PREFERENCE = ['webgpu', 'webgl', 'wasm'];

const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render/i;

/**
 * True when `name` would run on a real GPU here: WebGPU with a non-fallback adapter, or
 * WebGL on a renderer that is not a software one. A software GPU (SwiftShader, as in
 * headless Chromium) is correct but slower than wasm, so 'auto' passes it over.
 */
export async function isHardwareAccelerated(name) {
  if (name === 'webgpu') {
    const adapter = await globalThis.navigator?.gpu?.requestAdapter?.().catch(() => null);
    return Boolean(adapter) && !(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter);
  }
  if (name === 'webgl') {
    const canvas = globalThis.OffscreenCanvas ? new OffscreenCanvas(1, 1) : globalThis.document?.createElement('canvas');
    const gl = canvas?.getContext('webgl2');
    if (!gl) return false;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    return !SOFTWARE_RENDERER.test(String(renderer));
  }
  return false;
}

async function start(name, { wasmPaths, threads }) {
  if (name === 'wasm' && tf.wasm && !('wasm' in tf.engine().registry)) { // settings count before its first use
    if (wasmPaths) tf.wasm.setWasmPaths(wasmPaths);
    if (threads) tf.wasm.setThreadsCount(threads);
  }
  if (!(await tf.setBackend(name))) return false;
  await tf.ready();
  return true;
}

/**
 * Switches TF.js to `name` ('wasm', 'webgl', 'webgpu', 'cpu') and waits until it is ready;
 * resolves to the backend's name. `'auto'` takes the first of `BACKEND_PREFERENCE` whose
 * script is loaded and that runs on a real GPU, else wasm, else a software GPU; a backend
 * that fails to start is passed over for the next. For wasm, `wasmPaths` is the folder
 * (URL) holding the vendored .wasm binaries, and the backend is asked for one thread per
 * logical core (threads need a cross-origin isolated page).
 *
 *   const name = await useBackend('auto', { wasmPaths: new URL('vendor/', document.baseURI).href });
 */
export async function useBackend(name = 'auto', { wasmPaths = null, threads = globalThis.navigator?.hardwareConcurrency } = {}) {
  const loaded = BACKEND_PREFERENCE.filter((candidate) => tf.findBackendFactory(candidate));
  let candidates = [name];
  if (name === 'auto') {
    const accelerated = [];
    for (const candidate of loaded) if (await isHardwareAccelerated(candidate)) accelerated.push(candidate);
    const software = loaded.filter((candidate) => !accelerated.includes(candidate));
    candidates = [...accelerated, ...software.filter((c) => c === 'wasm'), ...software.filter((c) => c !== 'wasm')];
  }
  const failures = [];
  for (const candidate of candidates) {
    try {
      if (await start(candidate, { wasmPaths, threads })) return candidate;
      failures.push(`${candidate}: did not start`);
    } catch (error) {
      failures.push(`${candidate}: ${error.message}`);
    }
  }
  throw new Error(`No TensorFlow.js backend could start here (${failures.join('; ') || 'none is loaded'}).`);
}

/** The number of threads the wasm backend computes with (1 when the page is not cross-origin isolated). */
export function wasmThreadCount() {
  return tf.getBackend() === 'wasm' ? tf.wasm.getThreadsCount() : null;
}
