// rage compiled to WebAssembly. Its getrandom shim looks for a browser `self.crypto` and
// otherwise calls CommonJS `module.require`, which an ES module does not have: give it `self`
// (Node's globalThis.crypto is WebCrypto) before the first call.
const g = globalThis as { self?: unknown }
if (g.self === undefined) g.self = globalThis
export * from '@kanru/rage-wasm/dist/index.js'
