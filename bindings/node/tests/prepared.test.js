'use strict';
// Prepared documents: features computed in one place (any thread, any process), added in
// another, with exactly the results of adding the documents themselves.

const test = require('node:test');
const assert = require('node:assert/strict');
const retold = require('..');
const { RATE, RATE_COPY, FOOTBALL, WEATHER, corpus } = require('./helpers');

const seedCorpus = () => corpus().map((r) => ({ id: r.id, text: r.text, timestamp: r.timestamp, source: r.source, title: r.title }));

test('prepared through bytes gives the stories of addBatch', () => {
  const docs = seedCorpus();
  const direct = new retold.Deduplicator();
  const preparer = new retold.Deduplicator(); // same configuration, nothing added to it
  const via = new retold.Deduplicator();
  try {
    const want = direct.addBatch(docs);
    const blobs = docs.map((d) => {
      const p = preparer.prepare(d);
      try { return p.toBytes(); } finally { p.close(); }
    });
    const prepared = blobs.map((b) => retold.Prepared.fromBytes(b));
    assert.deepEqual(prepared[0].toBytes(), blobs[0]);
    const got = via.addPreparedBatch(prepared);
    assert.equal(got.length, want.length);
    for (let i = 0; i < got.length; i++) {
      assert.equal(got[i].error, null);
      assert.deepEqual([got[i].newStory, got[i].clusterId, got[i].candidates], [want[i].newStory, want[i].clusterId, want[i].candidates], `doc ${i}`);
    }
    for (const d of docs) assert.equal(via.clusterOf(d.id), direct.clusterOf(d.id), d.id);
    prepared.forEach((p) => p.close());
  } finally {
    direct.close(); preparer.close(); via.close();
  }
});

test('band keys are the signature bands', () => {
  const d = new retold.Deduplicator();
  try {
    const keys = (id, text) => d.prepare({ id, text }).bandKeys();
    const a = keys('a', RATE), b = keys('b', RATE), c = keys('c', FOOTBALL);
    assert.ok(a.length > 0);
    assert.deepEqual(a, b);
    assert.equal(c.length, a.length);
    assert.notDeepEqual(a, c);
    assert.equal(keys('empty', '').length, 0);
  } finally {
    d.close();
  }
});

test('damaged blobs, other configurations, duplicates and closed handles', () => {
  const d = new retold.Deduplicator();
  const lexical = new retold.Deduplicator({ embedding: 'none' });
  try {
    const bytes = d.prepare(['a', RATE]).toBytes();
    assert.throws(() => retold.Prepared.fromBytes(bytes.subarray(0, bytes.length >> 1)), retold.CorruptedStateError);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length >> 1] ^= 0x40;
    assert.throws(() => retold.Prepared.fromBytes(flipped), retold.CorruptedStateError);

    const ok = d.prepare({ id: 'ok', text: FOOTBALL });
    const foreign = lexical.prepare({ id: 'foreign', text: RATE });
    assert.throws(() => d.addPreparedBatch([ok, foreign]), retold.IncompatibleError);
    assert.equal(d.stats().documents, 0);

    const r = d.addPreparedBatch([d.prepare({ id: 'x', text: RATE }), d.prepare({ id: 'x', text: RATE_COPY }), ok]);
    assert.equal(r[0].error, null);
    assert.equal(r[2].error, null);
    assert.ok(r[1].error instanceof retold.DuplicateIdError, String(r[1].error));
    assert.equal(d.stats().documents, 2);
    assert.deepEqual(d.addPreparedBatch([]), []);

    const closed = d.prepare({ id: 'closed', text: WEATHER });
    closed.close();
    closed.close(); // idempotent
    assert.throws(() => closed.toBytes(), retold.ClosedError);
    assert.throws(() => d.addPreparedBatch([closed]), retold.ClosedError);
    assert.throws(() => d.addPreparedBatch([{}]), TypeError);
    assert.throws(() => d.prepare({ id: '', text: RATE }), retold.InvalidArgumentError);
  } finally {
    d.close(); lexical.close();
  }
});
