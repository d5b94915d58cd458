'use strict';
// Memory does not grow over many create/add/free cycles or many result-returning calls.
// Measured: the resident set outside V8's heap (process.memoryUsage(): rss - heapTotal) after a
// full garbage collection, that is native memory (the library, koffi, Buffers). V8's own heap is
// left out because V8 grows its young generation with the allocation rate (by 8 MiB steps while
// heapUsed stays flat), which is not a leak. The bounds are far below what a leak of one
// deduplicator, one result list or one signature per cycle would add (the measured growth is in
// the assertion message).

const test = require('node:test');
const assert = require('node:assert/strict');
const v8 = require('node:v8');
const vm = require('node:vm');
const retold = require('..');
const { RATE, RATE_COPY, FOOTBALL } = require('./helpers');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const MiB = 2 ** 20;

function settle() {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.rss - m.heapTotal;
}

function cycle(i) {
  const d = new retold.Deduplicator();
  try {
    d.add(`a${i}`, RATE, { timestamp: 1, source: 'Wire' });
    d.add(`b${i}`, RATE_COPY, { timestamp: 2 });
    d.addBatch([[`c${i}`, FOOTBALL]]);
    d.query(RATE);
    d.clusters();
  } finally {
    d.close();
  }
}

test('create/add/free cycles do not grow native memory', (t) => {
  for (let i = 0; i < 200; i++) cycle(i); // warm up allocator caches and V8's heap
  const before = settle();
  for (let i = 0; i < 2000; i++) cycle(i);
  const grown = settle() - before;
  t.diagnostic(`native memory growth over 2000 cycles: ${(grown / MiB).toFixed(2)} MiB`);
  // one leaked deduplicator holds several MiB (DF table, indexes): 2000 would be gigabytes
  assert.ok(grown < 16 * MiB, `native memory grew by ${(grown / MiB).toFixed(1)} MiB over 2000 cycles`);
});

test('result lists, explanations and signatures are freed', (t) => {
  const d = new retold.Deduplicator({ keepText: true });
  try {
    d.add('a', RATE);
    d.add('b', RATE_COPY);
    d.add('c', FOOTBALL);
    const calls = () => {
      d.query(RATE, { includeRejected: true });
      d.clusters();
      d.cluster(d.clusterOf('a'));
      d.explain('a', 'b');
      d.computeSignature(RATE).close();
      d.representativeOf('b');
      assert.throws(() => d.clusterOf('missing'), retold.NotFoundError);
    };
    // warm up past the allocator's and V8's one-time growth (a few MiB, measured to plateau)
    for (let i = 0; i < 6000; i++) calls();
    const before = settle();
    for (let i = 0; i < 20000; i++) calls();
    const grown = settle() - before;
    t.diagnostic(`native memory growth over 20000 call sets: ${(grown / MiB).toFixed(2)} MiB`);
    // a leak of 200 bytes per call set (less than one result list) would show as 4 MB
    assert.ok(grown < 4 * MiB, `native memory grew by ${(grown / MiB).toFixed(2)} MiB over 20000 call sets`);
  } finally {
    d.close();
  }
});

test('deduplicators and signatures left to the garbage collector are freed', async (t) => {
  // count the frees the FinalizationRegistry makes (white box: wraps the koffi function)
  const N = require('../lib/native');
  const fn = N.native().fn;
  const free = fn.retold_dedup_free;
  let freed = 0;
  fn.retold_dedup_free = (h) => { freed++; free(h); };
  try {
    const round = async () => {
      for (let i = 0; i < 50; i++) {
        const d = new retold.Deduplicator();
        d.add('a', RATE);
        d.computeSignature(RATE); // neither closed
      }
      gc();
      await new Promise((r) => setTimeout(r, 5)); // finalizers run between turns
      gc();
    };
    for (let r = 0; r < 4; r++) await round(); // the allocator's high-water mark
    const before = settle();
    const freedBefore = freed;
    for (let r = 0; r < 20; r++) await round();
    await new Promise((r) => setTimeout(r, 20));
    const grown = settle() - before;
    t.diagnostic(`${freed - freedBefore} of 1000 freed by the finalizer; native memory growth ${(grown / MiB).toFixed(2)} MiB`);
    assert.ok(freed - freedBefore >= 900, `only ${freed - freedBefore} of 1000 unclosed deduplicators were freed`);
    assert.ok(grown < 32 * MiB, `native memory grew by ${(grown / MiB).toFixed(1)} MiB over 1000 unclosed deduplicators`);
  } finally {
    fn.retold_dedup_free = free;
  }
});
