import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { VerifierPool } from '../../src/verify/pool.ts';

const TIMEOUT_MS = 1000;
const pool = new VerifierPool({ threads: 2, timeoutMs: TIMEOUT_MS });
before(() => pool.ready);
after(() => pool.close());

const nested = (n: number) => '{'.repeat(n) + '1' + '}'.repeat(n);
/** Deterministic random UTF-16 code units, lone surrogates and control characters included. */
function garbage(n: number): string {
  const units = new Uint16Array(n);
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    units[i] = seed % 65536;
  }
  return new TextDecoder('utf-16le').decode(units);
}

/** Passes the cheap guards (4-digit bounds) but the CAS sums it term by term: minutes. */
const SLOW_SUM = '\\sum_{k=1}^{3000}\\sum_{j=1}^{3000} \\frac{1}{jk}';

const CASES: Array<[string, string, string]> = [
  ['1 MB response', '1', 'x'.repeat(1 << 20) + ' so the answer is \\boxed{2}'],
  ['1 MB boxed answer', '1', `\\boxed{${'1+'.repeat(1 << 19)}1}`],
  ['10,000 nested braces', '1', `\\boxed{${nested(10_000)}}`],
  ['10,000 unbalanced braces', '1', `\\boxed{${'{'.repeat(10_000)}`],
  ['power tower', '1', '\\boxed{10^{10^{10^{10}}}}'],
  ['power tower as reference', '10^{10^{10^{10}}}', '\\boxed{10^{10^{10^{10}}+1}}'],
  ['iterated factorial', '1', '\\boxed{9!!!!!!!!!}'],
  ['factorial of a large number', '1', '\\boxed{(10^{6})!}'],
  ['huge integer', '1', `\\boxed{${'9'.repeat(900)}}`],
  ['malformed LaTeX', '\\frac{1}{2}', '\\boxed{\\frac{1}{\\sqrt{}}^^_}'],
  ['unknown macros', '2', '\\boxed{\\foo{\\bar}{\\baz[}}'],
  ['binary garbage', '1', garbage(200_000)],
  ['binary garbage in a box', '1', `\\boxed{${garbage(500)}}`],
  ['deep parentheses', '1', `\\boxed{${'('.repeat(5000)}1${')'.repeat(5000)}}`],
  ['300,000 dollar signs (currency, no math spans)', '1', '$5 '.repeat(300_000)],
  ['200,000 unclosed \\( delimiters', '1', '\\( x '.repeat(200_000)],
  ['100,000 math spans in one sentence', '1', '$a b c$ '.repeat(100_000)],
  ['an answer cue followed by 300,000 copulas', '1', `The answer is ${'is '.repeat(300_000)}`],
  ['many variables', '1', `\\boxed{${Array.from({ length: 300 }, (_, i) => `x_{${i}}`).join('+')}}`],
  ['a sum with a huge bound (refused before the CAS)', '\\sum_{k=1}^{10^{6}} \\frac{1}{k}', '\\boxed{1+\\sum_{k=2}^{10^{6}} \\frac{1}{k}}'],
  ['a double sum the CAS evaluates term by term (hits the timeout)', SLOW_SUM, `\\boxed{1+${SLOW_SUM.replace('k=1', 'k=2')}}`],
];

for (const [name, gold, pred] of CASES) {
  test(`pathological input answers false within the time bound: ${name}`, async () => {
    const t = performance.now();
    const r = await pool.verify(gold, pred);
    const ms = performance.now() - t;
    assert.equal(r.correct, false, r.reason);
    assert.ok(r.reason.length > 0);
    // One timeout plus the replacement worker's start-up at most.
    assert.ok(ms < 3 * TIMEOUT_MS, `${ms.toFixed(0)} ms`);
  });
}

test('process memory stays bounded across all pathological inputs', async () => {
  const before = process.memoryUsage().rss;
  for (let round = 0; round < 2; round++) await Promise.all(CASES.map(([, g, p]) => pool.verify(g, p)));
  const grown = (process.memoryUsage().rss - before) / 2 ** 20;
  assert.ok(grown < 400, `rss grew by ${grown.toFixed(0)} MB`);
});

const SLOW = { gold: SLOW_SUM, pred: `\\boxed{1+${SLOW_SUM.replace('k=1', 'k=2')}}` };
const SLOW_LIMIT_MS = 300;

test('a pair over the time limit answers "timeout" and the pool keeps working', async () => {
  const strict = new VerifierPool({ threads: 1, timeoutMs: SLOW_LIMIT_MS });
  try {
    await strict.ready;
    const r = await strict.verify(SLOW.gold, SLOW.pred);
    assert.deepEqual([r.correct, r.reason], [false, 'timeout']);
    assert.equal((await strict.verify('\\frac12', '\\boxed{0.5}')).correct, true);
  } finally {
    await strict.close();
  }
});

test('a killed chunk is retried pair by pair so that only the slow pair fails', async () => {
  const strict = new VerifierPool({ threads: 1, timeoutMs: SLOW_LIMIT_MS, chunkSize: 4 });
  try {
    await strict.ready;
    const pairs = [{ gold: '3', pred: '\\boxed{3}' }, SLOW, { gold: '4', pred: '\\boxed{5}' }];
    const results = await strict.verifyMany(pairs);
    assert.deepEqual(results.map((r) => r.reason === 'timeout'), [false, true, false]);
    assert.deepEqual(results.map((r) => r.correct), [true, false, false]);
  } finally {
    await strict.close();
  }
});

test('a worker over its memory limit fails its pair with reason "memory", not the process', async () => {
  const tiny = new VerifierPool({ threads: 1, maxMemoryMb: 1, startupTimeoutMs: 500 });
  try {
    const r = await tiny.verify('1', '\\boxed{1}');
    assert.equal(r.correct, false);
    assert.equal(r.reason, 'memory');
  } finally {
    await tiny.close();
  }
});

test('verdicts do not depend on position: the first CAS-heavy pair of a fresh pool verifies like later ones', async () => {
  // Without the warm-up, the first pair loading the CAS took most of a tight budget.
  const fresh = new VerifierPool({ threads: 1, timeoutMs: 250 });
  try {
    await fresh.ready;
    const pair = { gold: '\\operatorname{arccot} x', pred: '\\boxed{\\arctan \\frac{1}{x}}' };
    const first = await fresh.verify(pair.gold, pair.pred);
    const later = await Promise.all([1, 2, 3].map(() => fresh.verify(pair.gold, pair.pred)));
    assert.notEqual(first.reason, 'timeout');
    for (const r of later) assert.deepEqual([r.correct, r.reason], [first.correct, first.reason]);
  } finally {
    await fresh.close();
  }
});
