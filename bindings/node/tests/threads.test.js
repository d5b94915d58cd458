'use strict';
// One Deduplicator used from several worker_threads at once (share()/attach()), from the async
// pool alongside the main thread, and the reference counting that frees it once.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const retold = require('..');
const { textOf, RATE } = require('./helpers');

const WRITERS = 3;
const READERS = 3;
const PER_WRITER = 40;

function runWorker(data) {
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(__dirname, 'fixtures', 'thread_worker.js'), { workerData: data });
    let msg = null;
    w.on('message', (m) => { msg = m; });
    w.on('error', reject);
    w.on('exit', (code) => (msg ? resolve(msg) : reject(new Error(`worker exited with ${code} and no message`))));
  });
}

test('worker threads add and query one shared deduplicator concurrently', async () => {
  const d = new retold.Deduplicator({ threads: 2 });
  try {
    const token = d.share();
    const stop = new SharedArrayBuffer(4);
    const base = { token, writers: WRITERS, perWriter: PER_WRITER, stop };
    const readers = Array.from({ length: READERS }, (_, k) => runWorker({ ...base, role: 'reader', k }));
    const writers = Array.from({ length: WRITERS }, (_, k) => runWorker({ ...base, role: 'writer', k }));
    const written = await Promise.all(writers);
    Atomics.store(new Int32Array(stop), 0, 1);
    const read = await Promise.all(readers);
    for (const r of [...written, ...read]) assert.ok(r.ok, r.error);
    assert.ok(read.every((r) => r.rounds >= 5));
    const st = d.stats();
    assert.equal(st.documents, 2 * WRITERS * PER_WRITER);
    assert.equal(st.clusters, WRITERS * PER_WRITER);
    assert.equal(st.multiMemberClusters, WRITERS * PER_WRITER);
    for (let w = 0; w < WRITERS; w++) {
      for (let i = 0; i < PER_WRITER; i++) assert.equal(d.clusterOf(`orig-${w}-${i}`), d.clusterOf(`copy-${w}-${i}`));
    }
  } finally {
    d.close();
  }
});

test('async calls run beside synchronous ones on the same handle', async () => {
  const d = new retold.Deduplicator();
  try {
    d.add('seed', RATE);
    const batch = Array.from({ length: 300 }, (_, i) => [`b${i}`, textOf(7, i)]);
    const pending = d.addBatchAsync(batch);
    let queries = 0;
    while (queries < 20) { // main-thread queries while the worker adds
      assert.equal(d.query(RATE)[0].id, 'seed');
      queries++;
      await new Promise((r) => setImmediate(r));
    }
    const results = await pending;
    assert.ok(results.every((r) => r.error === null));
    assert.equal(d.size, 301);
  } finally {
    d.close();
  }
});

test('the handle is freed once, when its last reference goes', () => {
  const d = new retold.Deduplicator();
  d.add('a', RATE);
  const token = d.share();
  const other = retold.Deduplicator.attach(token);
  d.close();
  assert.equal(d.closed, true);
  assert.throws(() => d.query(RATE), retold.ClosedError);
  assert.equal(other.clusterOf('a'), 1); // still alive through the attached reference
  other.close();
  other.close(); // idempotent
  assert.throws(() => retold.Deduplicator.attach(token), retold.ClosedError);
  assert.throws(() => retold.Deduplicator.attach({}), TypeError);
});

test('close() with an async call in flight frees after it finishes', async () => {
  const d = new retold.Deduplicator();
  const batch = Array.from({ length: 200 }, (_, i) => [`c${i}`, textOf(3, i)]);
  const pending = d.addBatchAsync(batch);
  d.close();
  assert.throws(() => d.size, retold.ClosedError);
  await assert.rejects(d.saveAsync('/nonexistent'), retold.ClosedError);
  const results = await pending; // the running call completes normally
  assert.equal(results.length, 200);
  assert.ok(results.every((r) => r.error === null));
});
