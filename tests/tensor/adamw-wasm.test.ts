import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
// @ts-expect-error: a plain ESM build script without type declarations
import { adamwWasmSource } from '../../scripts/build-wasm.mjs';

test('the committed AdamW WebAssembly binary is the compiled adamw.wat (regenerate: node scripts/build-wasm.mjs)', async () => {
  const committed = readFileSync(new URL('../../src/tensor/adamw-wasm.ts', import.meta.url), 'utf8');
  assert.equal(committed, await (adamwWasmSource as () => Promise<string>)());
});
