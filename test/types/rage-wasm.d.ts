// The package types its root; we import the wasm bundle directly (see the developers' guide).
declare module '@kanru/rage-wasm/dist/index.js' {
  export * from '@kanru/rage-wasm'
}
