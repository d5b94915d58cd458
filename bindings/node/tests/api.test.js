'use strict';
// The whole API on small inputs: add, addBatch, query, queryVector, lookups, stories, explain,
// stats, options, remove, evictBefore, save/load with overrides, signatures and embeddings.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const retold = require('..');
const { RATE, RATE_COPY, FOOTBALL, WEATHER, tmpDir } = require('./helpers');

function withDedup(options, body) {
  const d = new retold.Deduplicator(options);
  try {
    return body(d);
  } finally {
    d.close();
  }
}

test('versions and the library path', () => {
  assert.match(retold.version(), /^\d+\.\d+\.\d+$/);
  assert.match(retold.libraryPath(), /libretold_c\.so\.1$/);
});

test('add joins copies and opens new stories; lookups and stories', () => withDedup({ sourcePriority: ['Wire'] }, (d) => {
  const first = d.add('blog', RATE, { timestamp: 1000, source: 'Blog' });
  assert.equal(first.error, null);
  assert.equal(first.newStory, true);
  assert.ok(first.clusterId > 0);
  assert.equal(first.leaderScores, null);
  const copy = d.add('wire', RATE_COPY, { timestamp: 900, source: 'Wire' });
  assert.equal(copy.newStory, false);
  assert.equal(copy.clusterId, first.clusterId);
  assert.equal(copy.leaderId, 'blog');
  assert.ok(copy.candidates >= 1);
  assert.notEqual(copy.leaderScores.decision, 'rejected');
  assert.ok(copy.leaderScores.jaccard > 0.5 && copy.leaderScores.jaccard <= 1);
  const other = d.add('football', FOOTBALL, { timestamp: 1100 });
  assert.equal(other.newStory, true);
  assert.notEqual(other.clusterId, first.clusterId);

  assert.equal(d.contains('blog'), true);
  assert.equal(d.contains('nobody'), false);
  assert.equal(d.size, 3);
  assert.equal(d.clusterOf('wire'), first.clusterId);
  // earliest timestamp, then source priority
  assert.equal(d.representativeOf('blog'), 'wire');
  const c = d.cluster(first.clusterId);
  assert.deepEqual([c.id, c.leader, c.representative], [first.clusterId, 'blog', 'wire']);
  assert.deepEqual(c.members.map((m) => m.id), ['blog', 'wire']);
  assert.equal(c.members[0].source, 'Blog');
  assert.equal(c.members[0].timestamp, 1000);
  assert.equal(c.members[0].scores.score, 1);
  assert.equal(c.members[1].source, 'Wire');
  assert.equal(c.members[0].title, '');
  assert.ok(RATE.startsWith(c.members[0].snippet) && c.members[0].snippet.length > 20, c.members[0].snippet);
  const all = d.clusters();
  assert.deepEqual(all.map((s) => s.id), all.map((s) => s.id).sort((a, b) => a - b));
  assert.equal(all.reduce((n, s) => n + s.members.length, 0), 3);
  assert.deepEqual(d.clusters(2).map((s) => s.id), [first.clusterId]);
  assert.deepEqual([...d.stories(2)].map((s) => s.id), [first.clusterId]);
  assert.equal(d.cluster(other.clusterId).members[0].source, '');
  const st = d.stats();
  assert.deepEqual([st.documents, st.clusters, st.multiMemberClusters], [3, 2, 1]);
  assert.equal(st.documentsAddedTotal, 3);
  assert.ok(st.memoryBytes > 0);
  assert.ok(st.addSeconds.features > 0 && st.addSeconds.embed > 0);
  assert.match(String(d), /documents=3, clusters=2/);
}));

test('members carry their title and snippet', () => withDedup({ snippetBytes: 40 }, (d) => {
  d.add('titled', WEATHER, { title: '  Snow   ahead ' });
  const m = d.cluster(d.clusterOf('titled')).members[0];
  assert.equal(m.title, 'Snow ahead');
  assert.ok(m.snippet.length > 10 && m.snippet.length <= 40 && WEATHER.startsWith(m.snippet), m.snippet);
}));

test('query ranks, filters and stores nothing', () => withDedup({}, (d) => {
  d.add('rate', RATE);
  d.add('football', FOOTBALL);
  d.add('weather', WEATHER);
  const matches = d.query(RATE_COPY);
  assert.deepEqual(matches.map((m) => m.id), ['rate']);
  assert.equal(matches[0].clusterId, d.clusterOf('rate'));
  assert.notEqual(matches[0].scores.decision, 'rejected');
  assert.equal(d.size, 3);
  const everything = d.query(RATE_COPY, { includeRejected: true });
  const scores = everything.map((m) => m.scores.score);
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
  assert.deepEqual(d.query(RATE_COPY, { topK: 0 }), []);
  const floor = d.query(RATE_COPY, { includeRejected: true, minScore: 0.05 });
  assert.ok(floor.length && floor.every((m) => m.scores.score >= 0.05));
  assert.deepEqual(d.query(`${FOOTBALL} More.`, { minScore: 1.0 }), []);
  assert.deepEqual(d.query(''), []);
  assert.deepEqual(d.query(Buffer.from(RATE_COPY)), matches); // bytes work as well
  assert.deepEqual(d.query(new TextEncoder().encode(RATE_COPY)), matches);
  assert.throws(() => d.query(RATE, { topK: -1 }), retold.InvalidArgumentError);
  assert.throws(() => d.query(RATE, { top_k: 3 }), retold.InvalidArgumentError);
  assert.throws(() => d.query(42), TypeError);
}));

test('queryVector and computeEmbedding agree', () => withDedup({}, (d) => {
  d.add('rate', RATE);
  d.add('football', FOOTBALL);
  const v = d.computeEmbedding(RATE_COPY);
  assert.ok(v instanceof Float32Array);
  assert.equal(v.length, 256);
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  assert.ok(Math.abs(norm - 1) < 1e-3, `norm ${norm}`);
  const hits = d.queryVector(v);
  assert.equal(hits[0].id, 'rate');
  assert.equal(hits[0].scores.hasCosine, true);
  assert.deepEqual(d.queryVector(Array.from(v)).map((m) => m.id), hits.map((m) => m.id));
  assert.equal(d.computeEmbedding('').length, 256);
}));

test('external vectors', () => withDedup({ embedding: 'external', dimension: 4 }, (d) => {
  assert.equal(d.options.externalDimension, 4);
  assert.equal(d.options.dimension, 4);
  d.add('a', 'one text about anything at all', { vector: [1, 0, 0, 0] });
  d.add('b', 'a quite different text here', { vector: new Float32Array([0, 1, 0, 0]) });
  assert.equal(d.queryVector([0.9, 0.1, 0, 0])[0].id, 'a');
  assert.equal(d.computeEmbedding(RATE).length, 0);
  assert.throws(() => d.add('c', RATE), retold.IncompatibleError);
  assert.throws(() => d.add('c', RATE, { vector: [1, 2] }), retold.IncompatibleError);
}));

test('time window applies to queries with a timestamp', () => withDedup({ timeWindow: 86400 }, (d) => {
  d.add('rate', RATE, { timestamp: '2024-03-05T09:00:00Z' });
  assert.ok(d.query(RATE_COPY, { timestamp: '2024-03-05T09:30:00Z' }).length);
  assert.deepEqual(d.query(RATE_COPY, { timestamp: '2024-03-07T09:30:00Z' }), []);
  assert.equal(d.add('late', RATE_COPY, { timestamp: new Date('2024-03-08T00:00:00Z') }).newStory, true);
}));

test('timestamps in every form', () => withDedup({}, (d) => {
  const epoch = 1709629500; // 2024-03-05T09:05:00Z
  const forms = {
    n: epoch, f: epoch + 0.75, big: BigInt(epoch), date: new Date(epoch * 1000),
    iso: '2024-03-05T09:05:00Z', offset: '2024-03-05T11:05:00+02:00', nozone: '2024-03-05T09:05:00',
    frac: '2024-03-05T09:05:00.500Z',
  };
  let i = 0;
  for (const [id, ts] of Object.entries(forms)) {
    d.add(id, `${RATE} variant ${i++}`, { timestamp: ts });
    const c = d.cluster(d.clusterOf(id));
    assert.equal(c.members.find((m) => m.id === id).timestamp, epoch, id);
  }
  assert.throws(() => d.add('bad', RATE, { timestamp: 'yesterday' }), retold.InvalidArgumentError);
  assert.throws(() => d.add('bad', RATE, { timestamp: NaN }), retold.InvalidArgumentError);
  assert.throws(() => d.add('bad', RATE, { timestamp: new Date('x') }), retold.InvalidArgumentError);
  assert.throws(() => d.add('bad', RATE, { timestamp: {} }), TypeError);
}));

test('addBatch equals adding one by one', () => {
  const docs = [['a', RATE], ['b', RATE_COPY], ['c', FOOTBALL], ['d', WEATHER], ['e', `${FOOTBALL} Extra time.`]];
  withDedup({}, (one) => withDedup({}, (many) => {
    const singles = docs.map(([id, text]) => one.add(id, text));
    const batch = many.addBatch(docs);
    assert.deepEqual(batch, singles);
    assert.deepEqual(many.clusters(), one.clusters());
    assert.deepEqual(many.addBatch([]), []);
    // any iterable works
    function* more() { yield ['f', 'a generator document with some words in it']; }
    assert.equal(many.addBatch(more())[0].error, null);
  }));
});

test('addBatch reports bad documents and keeps the rest', () => withDedup({}, (d) => {
  const results = d.addBatch([
    { id: 'doc', text: RATE, source: 'Wire' },
    { id: 'copy', text: RATE_COPY },
    ['pair', FOOTBALL],
    { id: 'bad-utf8', text: Buffer.from([0x62, 0xff]) },
    { id: 'doc', text: 'duplicate id' },
    { id: '', text: 'empty id' },
    { id: 'nul\0inside', text: 'nul' },
    { id: 'last', text: WEATHER },
  ]);
  assert.deepEqual(results.map((r) => r.error === null), [true, true, true, false, false, false, false, true]);
  assert.equal(results[1].clusterId, results[0].clusterId);
  assert.ok(results[3].error instanceof retold.InvalidUtf8Error);
  assert.match(results[3].error.message, /docs\[3\]/);
  assert.match(results[3].error.message, /bad-utf8/);
  assert.ok(results[4].error instanceof retold.DuplicateIdError);
  assert.match(results[4].error.message, /'doc'/);
  assert.ok(results[5].error instanceof retold.InvalidArgumentError);
  assert.ok(results[6].error instanceof retold.InvalidArgumentError);
  assert.ok(results.filter((r) => r.error).every((r) => r.clusterId === 0));
  assert.equal(d.size, 4);
  assert.throws(() => d.addBatch('not documents'), TypeError);
}));

test('remove and evictBefore', () => withDedup({}, (d) => {
  d.add('old', RATE, { timestamp: 10 });
  d.add('copy', RATE_COPY, { timestamp: 20 });
  d.add('new', FOOTBALL, { timestamp: 30 });
  const story = d.clusterOf('old');
  d.remove('old');
  assert.equal(d.contains('old'), false);
  assert.equal(d.clusterOf('copy'), story); // the story keeps its id
  assert.throws(() => d.remove('old'), retold.NotFoundError);
  assert.equal(d.evictBefore(25), 1);
  assert.equal(d.evictBefore(new Date(25000)), 0);
  assert.deepEqual(d.clusters().map((c) => c.members.map((m) => m.id)), [['new']]);
  const st = d.stats();
  assert.deepEqual([st.documents, st.documentsRemovedTotal, st.documentsAddedTotal], [1, 2, 3]);
}));

test('explain with and without the texts kept', () => {
  withDedup({ keepText: true }, (d) => {
    d.add('a', RATE);
    d.add('b', RATE_COPY);
    d.add('c', FOOTBALL);
    const e = d.explain('a', 'b');
    assert.notEqual(e.scores.decision, 'rejected');
    assert.ok(e.sharedTerms.length > 0);
    assert.match(e.sharedPassage, /examplestan/);
    assert.ok(e.probability > 0.5 && e.probability <= 1);
    assert.ok(e.features.length > 5);
    assert.ok(e.features.every((f) => typeof f.name === 'string' && Number.isFinite(f.value)));
    assert.ok(e.features.some((f) => f.name === 'word_containment'));
    assert.equal(d.explain('a', 'c').scores.decision, 'rejected');
  });
  withDedup({}, (d) => {
    d.add('a', RATE);
    d.add('b', RATE_COPY);
    const e = d.explain('a', 'b');
    assert.deepEqual(e.sharedTerms, []);
    assert.equal(e.sharedPassage, '');
  });
});

test('options round trip, presets and defaults', () => {
  const given = {
    embedding: 'none', shingle: 'character', shingleSize: 7, numHashes: 64, minhashScheme: 'multiply_shift',
    minhashSeed: 2n ** 63n + 5n, lshBands: 8, lshRows: 8, jaccardThreshold: 0.4, copyJaccard: 0.95,
    timeWindow: 3600, maxDocumentBytes: 5000, threads: 2, sourcePriority: ['AP', 'Reuters'], keepText: true,
    stripBoilerplate: false, casefold: false, replaceInvalidUtf8: true, vectorCandidates: 8, decision: 'rule',
    foldPunctuation: false, sketchWords: 32, retention: 30 * 86400, snippetBytes: 16,
  };
  withDedup(given, (d) => {
    const got = d.options;
    for (const [k, v] of Object.entries(given)) assert.deepEqual(got[k], v, k);
  });
  withDedup({ embedderDimension: 64, embedderCharNgramMin: 3, embedderCharNgramMax: 5, embedderNumberWeight: 3, nprobe: 4, vectorIndex: 'flat' }, (d) => {
    const o = d.options;
    assert.deepEqual([o.dimension, o.embedderCharNgramMin, o.embedderCharNgramMax, o.embedderNumberWeight, o.nprobe, o.vectorIndex], [64, 3, 5, 3, 4, 'flat']);
    assert.equal(d.computeEmbedding(RATE).length, 64);
  });
  withDedup({}, (d) => {
    const o = d.options;
    assert.equal(o.embedding, 'builtin');
    assert.equal(o.numHashes, 128);
    assert.ok(o.lshBands * o.lshRows <= 128);
    assert.deepEqual(o.sourcePriority, []);
    assert.equal(o.minhashScheme, 'one_permutation');
  });
  const copies = withDedup({ preset: 'copies' }, (d) => d.options);
  const stories = withDedup({ preset: 'stories' }, (d) => d.options);
  assert.notDeepEqual(copies, stories);
  assert.equal(withDedup({ preset: 'copies', copyJaccard: 0.99 }, (d) => d.options.copyJaccard), 0.99);
  assert.throws(() => new retold.Deduplicator({ preset: 'everything' }), (e) => e instanceof retold.InvalidArgumentError && /copies/.test(e.message));
});

test('save and load keep everything; overrides change only what they name', () => withDedup({ sourcePriority: ['Wire'], timeWindow: 7200 }, (d) => {
  const dir = path.join(tmpDir(), 'state');
  d.add('rate', RATE, { source: 'Wire', timestamp: 100 });
  d.add('copy', RATE_COPY, { timestamp: 200 });
  d.add('football', FOOTBALL, { timestamp: 300 });
  d.save(dir);
  const back = retold.Deduplicator.load(dir);
  try {
    assert.deepEqual(back.clusters(), d.clusters());
    assert.deepEqual(back.options, d.options);
    const r = back.add('again', `${RATE} Later today.`, { timestamp: 400 });
    assert.equal(r.clusterId, d.clusterOf('rate'));
  } finally {
    back.close();
  }
  const changed = retold.Deduplicator.load(dir, { timeWindow: 3600, threads: 1, retention: 86400 });
  try {
    const o = changed.options;
    assert.equal(o.timeWindow, 3600);
    assert.equal(o.threads, 1);
    assert.equal(o.retention, 86400);
    assert.equal(o.snippetBytes, d.options.snippetBytes);
    assert.deepEqual(o.sourcePriority, ['Wire']); // not named: the saved value stays
    assert.equal(changed.size, 3);
  } finally {
    changed.close();
  }
  assert.throws(() => retold.Deduplicator.load(dir, { numHashes: 64 }), (e) => e instanceof retold.InvalidArgumentError && /structural/.test(e.message));
  assert.throws(() => retold.Deduplicator.load(dir, { bogus: 1 }), retold.InvalidArgumentError);
}));

test('signatures', () => withDedup({}, (d) => {
  const a = d.computeSignature(RATE);
  const b = d.computeSignature(RATE_COPY);
  const c = d.computeSignature(FOOTBALL);
  assert.equal(a.length, 128);
  assert.equal(a.values().length, 128);
  assert.ok(a.values() instanceof Uint32Array);
  assert.ok(a.jaccard(b) > 0.5 && a.jaccard(b) <= 1);
  assert.ok(a.jaccard(c) < 0.1);
  assert.equal(a.jaccard(a), 1);
  const raw = a.toBytes();
  assert.equal(raw.subarray(0, 4).toString('latin1'), 'RTSG');
  const back = retold.Signature.fromBytes(raw);
  assert.ok(back.equals(a));
  assert.deepEqual(back.values(), a.values());
  assert.ok(!back.equals(b));
  for (const s of [a, b, c, back]) s.close();
  a.close(); // idempotent
  assert.throws(() => a.values(), retold.ClosedError);
  assert.throws(() => new retold.Signature(), TypeError);
}));

test('a closed deduplicator refuses every call', () => {
  const d = new retold.Deduplicator();
  d.add('a', RATE);
  d.close();
  d.close();
  assert.equal(d.closed, true);
  for (const call of [() => d.add('b', RATE), () => d.query(RATE), () => d.stats(), () => d.options, () => d.save('/tmp/x'), () => d.share()]) {
    assert.throws(call, (e) => e instanceof retold.ClosedError && e.code === 'RETOLD_EINVALID');
  }
  if (typeof Symbol.dispose === 'symbol') {
    const e = new retold.Deduplicator();
    e[Symbol.dispose]();
    assert.equal(e.closed, true);
  }
});
