// The flags every test starts Debian's Chromium with: headless, no sandbox (root in CI),
// and no background connections (this machine's network is closed).
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic',
];
