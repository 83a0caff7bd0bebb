// File names read from a manifest or a tokenizer config, resolved so that they cannot leave
// the model's folder: the mirror of keras_gpt2/io/paths.py.
//
// A name must be plain relative segments (letters, digits, '.', '_', '-', not starting with a
// dot), which already rules out '..', absolute paths, 'scheme:host' strings, scheme-relative
// '//host' names, backslashes and percent-encoding (the URL parser decodes '%2e%2e' to '..').
// The resolved URL must then have the same origin as model.json and lie in its directory.

const PLAIN_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** True for 'group1-shard1of4.bin' or 'shards/a.bin'; false for '../x', '//evil.com/x', 'http:x', '%2e%2e/x'. */
export function isPlainName(name) {
  return typeof name === 'string' && name.length > 0 && name.length <= 255 &&
    name.split('/').every((segment) => PLAIN_SEGMENT.test(segment));
}

/** The absolute URL of `name` next to `modelUrl` (a URL object), or an Error naming `where`. */
export function safeChildUrl(modelUrl, name, where) {
  if (!isPlainName(name)) {
    throw new Error(`${modelUrl.href}: ${where}: ${JSON.stringify(name)} must be a plain relative file name inside the model's folder`);
  }
  const resolved = new URL(name, modelUrl);
  const folder = new URL('./', modelUrl);
  if (resolved.origin !== modelUrl.origin || !resolved.pathname.startsWith(folder.pathname)) {
    throw new Error(`${modelUrl.href}: ${where}: ${JSON.stringify(name)} resolves outside the model's folder`);
  }
  return resolved.href;
}
