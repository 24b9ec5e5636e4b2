import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admission, type Ticket } from '../../src/reward-service/admission.ts';

function setup(limits: { maxQueue: number; maxItems: number; maxHeldBytes: number }) {
  let pending = 0;
  const admission = new Admission(limits, () => pending);
  const admit = (bytes: number) => admission.admit(bytes);
  const ticket = (bytes: number) => {
    const t = admit(bytes);
    assert.notEqual(typeof t, 'string', `refused: ${String(t)}`);
    return t as Ticket;
  };
  return { admit, ticket, setPending: (n: number) => (pending = n) };
}

test('bodies still being read count as the items they probably hold (256 bytes each until requests are seen)', () => {
  const a = setup({ maxQueue: 10, maxItems: 100, maxHeldBytes: 1e9 });
  const first = a.ticket(2560); // 10 items expected; the first request is always admitted
  assert.match(a.admit(1) as string, /^queue full: 0 items pending and about 11 in request bodies being read, limit 10$/);
  // Parsed: it held 2 items of 1280 bytes; the estimate moves a fifth of the way (256 → 460.8 bytes per item).
  first.parsed(2);
  a.setPending(2);
  const second = a.ticket(3686); // ceil(3686 / 460.8) = 8 expected: 2 + 8 = 10, admitted
  assert.equal(typeof a.admit(1), 'string', '2 pending + 8 expected + 1 > 10');
  second.release(); // dropped before its body was parsed: its expected items go
  assert.notEqual(typeof a.admit(1), 'string');
});

test('one body is expected to hold at most maxItems, so that a large single response does not block the queue', () => {
  const a = setup({ maxQueue: 10, maxItems: 4, maxHeldBytes: 1e9 });
  a.ticket(1e6); // 3906 items by bytes, 4 by the request limit
  a.ticket(1e6);
  assert.match(a.admit(1e6) as string, /about 12 in request bodies/);
});

test('request-body bytes held are bounded, whether announced or arriving chunked; a lone request always passes', () => {
  const a = setup({ maxQueue: 1e9, maxItems: 1e9, maxHeldBytes: 1000 });
  const big = a.ticket(5000); // nothing held: admitted even above the limit
  assert.match(a.admit(1) as string, /^busy: 5000 bytes of request bodies held, this one adds 1, limit 1000$/);
  big.parsed(1);
  assert.equal(typeof a.admit(1), 'string', 'parsed bodies stay held until answered');
  big.release();
  big.release(); // releasing twice (close after an error) changes nothing
  const chunked = a.ticket(0);
  chunked.grow(600);
  const small = a.ticket(400); // 600 + 400 = 1000: admitted
  assert.match(a.admit(1) as string, /1000 bytes of request bodies held/);
  small.release();
  chunked.grow(500);
  assert.match(a.admit(1) as string, /1100 bytes of request bodies held/);
  chunked.release();
  chunked.grow(10_000); // after release nothing is counted
  assert.notEqual(typeof a.admit(1000), 'string');
});

test('pending items alone refuse as the queue check did: full queue, nothing read', () => {
  const a = setup({ maxQueue: 8, maxItems: 8, maxHeldBytes: 1e9 });
  a.setPending(8);
  assert.match(a.admit(0) as string, /^queue full: 8 items pending/);
  a.setPending(7);
  assert.notEqual(typeof a.admit(0), 'string');
});
