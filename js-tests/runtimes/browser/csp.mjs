// Imports the package on a page whose CSP forbids compiling WebAssembly;
// `importOutcome` says what the import did.
globalThis.importOutcome = import('./node_modules/async-atomic-store/web.js').then(
  () => 'imported',
  (error) => `${error.name}: ${error.message}`,
)
