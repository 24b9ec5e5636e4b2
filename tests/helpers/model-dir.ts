import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A model directory for an id-only fixture model: its config and weights (linked) plus a
 * word-level tokenizer.json whose tokens are "t0" … "t{V-1}" and which has no EOS, so decoding
 * is readable and generation never stops early.
 */
export function fixtureModelDir(fixture: string, vocabSize = 64): string {
  const src = new URL(`../fixtures/model/${fixture}/`, import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), `rlvr-${fixture}-`));
  for (const f of ['config.json', 'model.safetensors']) symlinkSync(join(src, f), join(dir, f));
  const vocab = Object.fromEntries(Array.from({ length: vocabSize }, (_, i) => [`t${i}`, i]));
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'WhitespaceSplit' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: 't0' },
  };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({}));
  // the config's eos_token_id is overridden: the PyTorch goldens generate without stopping
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [] }));
  return dir;
}
