'use strict';
// The async variants (addBatchAsync, saveAsync, loadAsync) run off the event loop: timers keep
// firing while they work, and they give the same results and errors as the synchronous calls.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const retold = require('..');
const { textOf, tmpDir, RATE, RATE_COPY } = require('./helpers');

/** Counts event-loop ticks (a 1 ms interval) while `promise` runs; returns [value, ticks, ms]. */
async function ticksDuring(promise) {
  let ticks = 0;
  const timer = setInterval(() => { ticks++; }, 1);
  const start = process.hrtime.bigint();
  try {
    const value = await promise;
    return [value, ticks, Number(process.hrtime.bigint() - start) / 1e6];
  } finally {
    clearInterval(timer);
  }
}

const BATCH = Array.from({ length: 3000 }, (_, i) => ({ id: `doc-${i}`, text: textOf(11, i, 120), timestamp: i }));

test('the event loop keeps ticking during addBatchAsync, saveAsync and loadAsync', async () => {
  const dir = path.join(tmpDir(), 'state');
  const d = new retold.Deduplicator({ threads: 1 });
  try {
    const [results, addTicks, addMs] = await ticksDuring(d.addBatchAsync(BATCH));
    assert.equal(results.length, BATCH.length);
    assert.ok(results.every((r) => r.error === null));
    // a blocked loop would tick 0 or 1 times; a free one about once per millisecond
    assert.ok(addTicks >= Math.min(10, addMs / 20), `${addTicks} ticks in ${addMs.toFixed(0)} ms of addBatchAsync`);

    const [, saveTicks, saveMs] = await ticksDuring(d.saveAsync(dir));
    assert.ok(fs.existsSync(path.join(dir, 'MANIFEST')) || fs.readdirSync(dir).length > 0);
    assert.ok(saveTicks >= 1 || saveMs < 20, `${saveTicks} ticks in ${saveMs.toFixed(0)} ms of saveAsync`);

    const [loaded, loadTicks, loadMs] = await ticksDuring(retold.Deduplicator.loadAsync(dir));
    try {
      assert.ok(loadTicks >= 1 || loadMs < 20, `${loadTicks} ticks in ${loadMs.toFixed(0)} ms of loadAsync`);
      assert.equal(loaded.size, BATCH.length);
      assert.deepEqual(loaded.clusters(), d.clusters());
    } finally {
      loaded.close();
    }
  } finally {
    d.close();
  }
});

test('addBatchAsync gives what addBatch gives, skipped documents included', async () => {
  const docs = [
    { id: 'a', text: RATE, source: 'Wire', timestamp: '2024-03-05T09:05:00Z' },
    { id: 'b', text: RATE_COPY, timestamp: new Date('2024-03-05T10:00:00Z') },
    { id: 'a', text: 'a duplicate id' },
    { id: 'bad', text: Buffer.from([0x61, 0xff, 0x62]) },
    { id: 42, text: 'not a string id' },
    ['pair', 'an [id, text] pair works too'],
  ];
  const sync = new retold.Deduplicator();
  const asyn = new retold.Deduplicator();
  try {
    const s = sync.addBatch(docs);
    const a = await asyn.addBatchAsync(docs);
    const shape = (rs) => rs.map((r) => (r.error ? [r.error.constructor.name, r.error.code, r.error.message] : [r.clusterId, r.newStory]));
    assert.deepEqual(shape(a), shape(s));
    assert.deepEqual(shape(s).map((x) => x[0]), [1, 1, 'DuplicateIdError', 'InvalidUtf8Error', 'TypeError', 2]);
    assert.match(s[2].error.message, /^docs\[2\]: .*'a'/);
    assert.match(s[3].error.message, /docs\[3\]/);
    assert.deepEqual(asyn.clusters(), sync.clusters());
  } finally {
    sync.close();
    asyn.close();
  }
});

test('async errors carry the library message of the failing call', async () => {
  const dir = tmpDir();
  await assert.rejects(retold.Deduplicator.loadAsync(path.join(dir, 'none')), (e) => {
    assert.ok(e instanceof retold.NotFoundError);
    assert.equal(e.code, 'RETOLD_ENOTFOUND');
    assert.ok(e.message.includes(path.join(dir, 'none')), e.message);
    return true;
  });
  const a = new retold.Deduplicator();
  const b = new retold.Deduplicator();
  try {
    a.add('x', RATE);
    await a.saveAsync(path.join(dir, 's'));
    // b never loaded this directory: saving there would drop a's documents
    await assert.rejects(b.saveAsync(path.join(dir, 's')), retold.ConflictError);
    await b.saveAsync(path.join(dir, 's'), { replace: true });
    fs.writeFileSync(path.join(dir, 'file'), 'not a directory');
    await assert.rejects(a.saveAsync(path.join(dir, 'file', 'sub')), (e) => e instanceof retold.RetoldError && e.message.length > 0);
    await assert.rejects(a.saveAsync(42), TypeError);
  } finally {
    a.close();
    b.close();
  }
});
