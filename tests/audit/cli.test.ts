import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { registerAudit } from '../../src/cli/commands/audit.ts';
import { writeCharModelDir } from '../../src/model/init.ts';
import { UserError } from '../../src/util/errors.ts';
import { fakeText, startFakeServer } from '../backends/fake-server.ts';

const rlvr = new URL('../../bin/rlvr.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'rlvr-audit-cli-'));
const model = join(work, 'model');
writeCharModelDir(model, { seed: 0 });
const bench = join(work, 'bench.jsonl');
writeFileSync(
  bench,
  [
    { id: 'p1', problem: 'Ann has 12 pens and gets 30 more. How many pens now?', answer: '42', leaked: true },
    { id: 'p2', problem: 'Bob has 5 cups and gets 7 more. How many cups now?', answer: '12', leaked: false },
    { id: 'p3', problem: 'Cy has 9 hats and gets 1 more. How many hats now?', answer: '10', leaked: false },
  ]
    .map((r) => JSON.stringify(r) + '\n')
    .join(''),
);

function run(args: string[]) {
  return spawnSync('node', [rlvr, ...args], { encoding: 'utf8' });
}

test('rlvr audit contamination writes summary.json and one items.jsonl line per item and ratio', () => {
  const out = join(work, 'contamination');
  const r = run([
    'audit',
    'contamination',
    '--dataset',
    bench,
    '--model',
    model,
    '--ratios',
    '0.5,0.7',
    '--token-level',
    '--answer-tokens',
    '4',
    '--threads',
    '1',
    '--out',
    out,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const lines = readFileSync(join(out, 'items.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 6);
  for (const l of lines)
    for (const k of [
      'id',
      'prefix_ratio',
      'rouge_l',
      'exact_match',
      'answer_correct',
      'prefix',
      'continuation',
      'remainder',
      'leaked',
    ])
      assert.ok(k in l, k);
  assert.deepEqual([...new Set(lines.map((l) => l.id))], ['p1', 'p2', 'p3']);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.config.split, 'tokens');
  assert.equal(summary.config.weights, 'fp32');
  assert.deepEqual(summary.config.ratios, [0.5, 0.7]);
  assert.deepEqual(summary.counts, { items: 3, labeled: true, leaked: 1, skipped: 0 });
  for (const s of summary.ratios) {
    assert.equal(s.n, 3);
    for (const k of ['rouge_l', 'exact_match', 'answer_accuracy']) assert.equal(s[k].ci.length, 2);
    assert.ok('rouge_l' in s.auroc && 'exact_match' in s.auroc);
  }
});

test('rlvr audit perplexity evaluates checkpoints in step order', () => {
  const runDir = join(work, 'run');
  for (const step of [10, 2]) writeCharModelDir(join(runDir, 'checkpoints', `step-${step}`), { seed: step });
  mkdirSync(join(runDir, 'checkpoints', 'notes'));
  const out = join(work, 'ppl');
  const r = run([
    'audit',
    'perplexity',
    '--run',
    runDir,
    '--dataset',
    bench,
    '--template',
    'r1-zero',
    '--out',
    out,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(readFileSync(join(out, 'perplexity.json'), 'utf8'));
  assert.deepEqual(
    result.checkpoints.map((c: { step: number }) => c.step),
    [2, 10],
  );
  for (const c of result.checkpoints)
    for (const k of ['answer_ppl', 'prompt_ppl', 'full_ppl']) assert.equal(c[k].median.ci.length, 2);
  const rows = readFileSync(join(out, 'perplexity_items.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(rows.length, 6);
  assert.deepEqual(
    rows.map((x) => x.checkpoint),
    ['step-2', 'step-2', 'step-2', 'step-10', 'step-10', 'step-10'],
  );
});

const c = ['audit', 'contamination'];
const out = join(work, 'never');

test('bad input through the CLI: exit code 2, one line, no stack trace', () => {
  const cases: Array<[string[], RegExp]> = [
    [
      [...c, '--dataset', 'nosuchbench', '--model', model, '--out', out],
      /^rlvr: error: unknown dataset 'nosuchbench'/,
    ],
    [
      [...c, '--dataset', bench, '--model', model, '--ratios', '1.2', '--out', out],
      /^rlvr: error: --ratios must be comma-separated numbers strictly between 0 and 1, got '1.2'/,
    ],
    [
      [...c, '--dataset', bench, '--out', out],
      /^rlvr: error: give exactly one of --model DIR or --base-url URL/,
    ],
    [
      [...c, '--dataset', bench, '--base-url', 'http://127.0.0.1:1/v1', '--model-name', 'm', '--weights', 'int8', '--out', out],
      /^rlvr: error: --weights int8 applies to the embedded engine \(--model\)/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = run(args);
    assert.equal(r.status, 2, `${args.join(' ')}\n${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

/** The audit command group in-process (spawning the CLI costs ~2 s a case): a UserError is what main.ts prints as one line with exit 2. */
async function audit(args: string[]): Promise<void> {
  const program = new Command().exitOverride();
  registerAudit(program);
  await program.parseAsync(['node', 'rlvr', ...args]);
}

test('bad flags and files are UserErrors naming the flag, file or field', async () => {
  const badLabel = join(work, 'bad-label.jsonl');
  writeFileSync(
    badLabel,
    '{"problem":"a b c","answer":"1","leaked":true}\n{"problem":"d e f","answer":"2","leaked":"yes"}\n',
  );
  const cases: Array<[string[], RegExp]> = [
    [
      [...c, '--dataset', bench, '--model', model, '--ratios', '0', '--out', out],
      /--ratios must be .* got '0'/,
    ],
    [
      [...c, '--dataset', bench, '--model', model, '--ratios', '0.4,abc', '--out', out],
      /--ratios must be .* got 'abc'/,
    ],
    [
      [...c, '--dataset', bench, '--model', model, '--ratios', '0.4,0.4', '--out', out],
      /--ratios lists 0.4 twice/,
    ],
    [
      [...c, '--dataset', bench, '--model', model, '--base-url', 'http://127.0.0.1:9/v1', '--out', out],
      /give exactly one of --model DIR or --base-url URL/,
    ],
    [
      [...c, '--dataset', bench, '--base-url', 'http://127.0.0.1:9/v1', '--out', out],
      /--base-url needs --model-name/,
    ],
    [
      [
        ...c,
        '--dataset',
        bench,
        '--base-url',
        'http://127.0.0.1:9/v1',
        '--model-name',
        'm',
        '--token-level',
        '--out',
        out,
      ],
      /--token-level needs --model DIR/,
    ],
    [
      [...c, '--dataset', bench, '--model', model, '--limit', '0', '--out', out],
      /--limit must be a positive integer, got '0'/,
    ],
    [
      [...c, '--dataset', badLabel, '--model', model, '--out', out],
      /bad-label.jsonl:2: field 'leaked' must be true or false, got "yes"/,
    ],
    [
      ['audit', 'perplexity', '--dataset', bench, '--out', out],
      /give exactly one of --run RUN_DIR or --models/,
    ],
    [
      ['audit', 'perplexity', '--run', work, '--dataset', bench, '--out', out],
      /checkpoints: no checkpoints directory/,
    ],
    [
      ['audit', 'perplexity', '--models', join(work, 'nope'), '--dataset', bench, '--out', out],
      /model directory .*nope does not exist/,
    ],
    [
      [
        'audit',
        'perplexity',
        '--models',
        model,
        '--dataset',
        bench,
        '--answer-field',
        'solution',
        '--out',
        out,
      ],
      /bench.jsonl:1: missing answer field 'solution'/,
    ],
    [
      ['audit', 'perplexity', '--models', model, '--dataset', bench, '--template', 'fancy', '--out', out],
      /unknown prompt template 'fancy'/,
    ],
  ];
  for (const [args, message] of cases) {
    await assert.rejects(audit(args), (err: Error) => {
      assert.ok(err instanceof UserError, `${args.join(' ')}: ${err.stack}`);
      assert.match(err.message, message);
      return true;
    });
  }
});

test('rlvr audit contamination against an OpenAI-compatible server: raw completions, greedy, character budget', async () => {
  const server = await startFakeServer();
  try {
    const dir = join(work, 'http');
    await audit([
      ...c,
      '--dataset',
      bench,
      '--base-url',
      server.baseURL,
      '--model-name',
      'm',
      '--ratios',
      '0.6',
      '--answer-tokens',
      '0',
      '--threads',
      '1',
      '--out',
      dir,
    ]);
    const lines = readFileSync(join(dir, 'items.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    assert.equal(server.count('/chat/completions'), 0);
    for (const l of lines) {
      const request = server.log.find((r) => r.body.prompt === l.prefix)!;
      assert.equal(request.path, '/completions');
      assert.equal(request.body.temperature, 0);
      // no tokenizer: ⌈1.25 · remainder characters⌉ rounded up to 16
      assert.equal(request.body.max_tokens, Math.ceil((1.25 * l.remainder.length) / 16) * 16);
      assert.equal(l.continuation, fakeText(l.prefix, 0).slice(0, request.body.max_tokens as number));
    }
  } finally {
    await server.close();
  }
});
