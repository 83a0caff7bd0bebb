// Choosing the TensorFlow.js backend the runtime computes on.
import tf from './tf.js';

/**
 * Switches TF.js to `name` ('wasm', 'webgl', 'cpu', ...) and waits until it is ready.
 * For wasm, `wasmPaths` is the folder (URL) holding the vendored .wasm binaries, and the
 * backend gets one thread per logical core (TF.js's own default is half of them, which is
 * 1 on a 2-core machine); threads need a cross-origin isolated page, else wasm runs on one.
 *
 *   await useBackend('wasm', { wasmPaths: new URL('vendor/', document.baseURI).href });
 */
export async function useBackend(name, { wasmPaths = null, threads = globalThis.navigator?.hardwareConcurrency } = {}) {
  if (name === 'wasm' && tf.wasm && !('wasm' in tf.engine().registry)) { // settings count before its first use
    if (wasmPaths) tf.wasm.setWasmPaths(wasmPaths);
    if (threads) tf.wasm.setThreadsCount(threads);
  }
  if (!(await tf.setBackend(name))) throw new Error(`TensorFlow.js backend ${name} is not available here.`);
  await tf.ready();
  return name;
}

/** The number of threads the wasm backend computes with (1 when the page is not cross-origin isolated). */
export function wasmThreadCount() {
  return tf.getBackend() === 'wasm' ? tf.wasm.getThreadsCount() : null;
}
