'use strict';
// Every C status surfaces as its typed error (an Error subclass with the pinned `errno` and the
// `code` string), carrying the library's message; bad JavaScript types are TypeErrors.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const retold = require('..');
const { RATE, FOOTBALL, tmpDir } = require('./helpers');

function withDedup(options, body) {
  const d = new retold.Deduplicator(options);
  try {
    return body(d);
  } finally {
    d.close();
  }
}

/** assert.throws with a check of class, errno, code and message. */
function throwsRetold(fn, Cls, errno, pattern) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Cls, `${e && e.constructor && e.constructor.name}: ${e && e.message}`);
    assert.ok(e instanceof retold.RetoldError && e instanceof Error);
    assert.equal(e.errno, errno);
    assert.equal(e.name, Cls.name);
    assert.equal(e.code, `RETOLD_${Object.keys(retold.Status).find((k) => retold.Status[k] === errno)}`);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

test('the pinned status codes', () => {
  assert.deepEqual({ ...retold.Status }, {
    OK: 0, EINVALID: -1, EUTF8: -2, ENOTFOUND: -3, EINCOMPATIBLE: -4, EIO: -5, ECORRUPTED: -6, ENOMEM: -7,
    ETOOLARGE: -8, EDUPLICATE: -9, EPARSE: -10, ECONFLICT: -11, EBUFSIZE: -30, EINTERNAL: -99,
  });
  const classes = {
    InvalidArgumentError: -1, InvalidUtf8Error: -2, NotFoundError: -3, IncompatibleError: -4, IoError: -5,
    CorruptedStateError: -6, OutOfMemoryError: -7, TooLargeError: -8, DuplicateIdError: -9, ParseError: -10,
    ConflictError: -11, BufferTooSmallError: -30, InternalError: -99, ClosedError: -1,
  };
  for (const [name, errno] of Object.entries(classes)) {
    const e = new retold[name]('m');
    assert.ok(e instanceof retold.RetoldError && e instanceof Error, name);
    assert.equal(e.errno, errno, name);
    assert.equal(e.name, name);
    assert.match(e.stack, new RegExp(`^${name}: m`));
  }
});

test('invalid UTF-8 names the byte offset; nothing is stored', () => withDedup({}, (d) => {
  throwsRetold(() => d.add('bad', Buffer.from('Valid start \xff\xfe then garbage', 'latin1')), retold.InvalidUtf8Error, -2, /'bad'.*12|12.*'bad'/);
  for (const bad of [[0x6f, 0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x63, 0xe2, 0x82]]) {
    throwsRetold(() => d.add('bad', Buffer.from(bad)), retold.InvalidUtf8Error, -2);
  }
  throwsRetold(() => d.add('bad', RATE, { title: Buffer.from([0x80]) }), retold.InvalidUtf8Error, -2);
  throwsRetold(() => d.add('lone', 'text \ud800 here'), retold.InvalidUtf8Error, -2, /surrogate/);
  throwsRetold(() => d.add('lone\udc00', RATE), retold.InvalidUtf8Error, -2);
  throwsRetold(() => d.query(Buffer.from([0xff])), retold.InvalidUtf8Error, -2);
  throwsRetold(() => d.computeSignature(Buffer.from([0xff])), retold.InvalidUtf8Error, -2);
  assert.equal(d.size, 0);
  withDedup({ replaceInvalidUtf8: true }, (lenient) => {
    assert.equal(lenient.add('ok', Buffer.from('broken \xff text', 'latin1')).error, null);
  });
}));

test('not found', () => withDedup({}, (d) => {
  d.add('a', RATE);
  throwsRetold(() => d.clusterOf('nobody'), retold.NotFoundError, -3, /^retold_dedup_cluster_of: .*nobody/);
  throwsRetold(() => d.remove('nobody'), retold.NotFoundError, -3, /nobody/);
  throwsRetold(() => d.representativeOf('nobody'), retold.NotFoundError, -3);
  throwsRetold(() => d.cluster(987654), retold.NotFoundError, -3);
  throwsRetold(() => d.explain('a', 'nobody'), retold.NotFoundError, -3);
}));

test('duplicate and invalid ids', () => withDedup({}, (d) => {
  d.add('a', RATE);
  throwsRetold(() => d.add('a', FOOTBALL), retold.DuplicateIdError, -9, /'a'/);
  throwsRetold(() => d.add('', RATE), retold.InvalidArgumentError, -1);
  throwsRetold(() => d.add('x'.repeat(1100), RATE), retold.InvalidArgumentError, -1);
  throwsRetold(() => d.add('x'.repeat(5000), RATE), retold.InvalidArgumentError, -1); // passed by address
  throwsRetold(() => d.add('nul\0inside', RATE), retold.InvalidArgumentError, -1, /NUL/);
  throwsRetold(() => d.add('ok', RATE, { source: 'nul\0inside' }), retold.InvalidArgumentError, -1);
  assert.throws(() => d.add(null, RATE), TypeError);
  assert.throws(() => d.add('typed', 3.5), TypeError);
  assert.throws(() => d.add('v', RATE, { vector: 'abc' }), TypeError);
  assert.throws(() => d.add('v', RATE, 'Reuters'), /add\(\) fields must be an object/);
  assert.equal(d.add('nulls', FOOTBALL, null).error, null);
  throwsRetold(() => d.queryVector(new Array(256).fill(NaN)), retold.InvalidArgumentError, -1);
  assert.equal(d.size, 2);
}));

test('too large', () => withDedup({ maxDocumentBytes: 100 }, (d) => {
  throwsRetold(() => d.add('big', 'x'.repeat(200)), retold.TooLargeError, -8, /big/);
}));

test('a text larger than koffi\'s per-call memory passes by address', () => withDedup({ maxDocumentBytes: 8 << 20 }, (d) => {
  const big = `${RATE} `.repeat(Math.ceil((3 << 20) / (RATE.length + 1)));
  assert.equal(d.add('big', big).newStory, true);
  assert.equal(d.addBatch([['big2', big]])[0].error, null);
  assert.equal(d.query(big)[0].id, 'big');
}));

for (const [options, pattern] of [
  [{ jaccardThreshold: 1.5 }], [{ cosineThreshold: -0.1 }], [{ lshThreshold: 1.0 }, /lsh/],
  [{ embedding: 'bogus' }, /embedding/], [{ shingle: 'sentence' }], [{ numHashes: 0 }, /num_hashes|numHashes/],
  [{ numHashes: 70000 }], [{ lshBands: 8 }], [{ embedding: 'external' }], [{ timeWindow: -1 }],
  [{ sourcePriority: 'Reuters' }], [{ vectorIndex: 'hnsw' }], [{ threads: -2 }], [{ minhashScheme: 'md5' }],
  [{ numHashes: 1.5 }], [{ keepText: 'yes' }], [{ sketchWords: 300 }], [{ embedderDimension: 0 }],
  [{ noSuchOption: 1 }, /noSuchOption/],
]) {
  test(`invalid options ${JSON.stringify(options)}`, () => {
    throwsRetold(() => new retold.Deduplicator(options), retold.InvalidArgumentError, -1, pattern);
  });
}

test('incompatible', () => withDedup({}, (d) => {
  d.add('a', RATE);
  throwsRetold(() => d.queryVector([1, 0]), retold.IncompatibleError, -4, /2/);
  withDedup({ numHashes: 64 }, (small) => {
    throwsRetold(() => d.computeSignature(RATE).jaccard(small.computeSignature(RATE)), retold.IncompatibleError, -4);
  });
  withDedup({ embedding: 'none' }, (lexical) => {
    throwsRetold(() => lexical.add('v', RATE, { vector: new Array(256).fill(1) }), retold.IncompatibleError, -4);
    throwsRetold(() => lexical.queryVector(new Array(256).fill(1)), retold.IncompatibleError, -4);
  });
}));

test('two writers: a save over another writer\'s state is a conflict', () => withDedup({}, (d) => {
  const state = path.join(tmpDir(), 'state');
  d.add('a', RATE);
  d.save(state);
  const other = retold.Deduplicator.load(state);
  other.add('b', FOOTBALL);
  other.save(state);
  other.close();
  throwsRetold(() => d.save(state), retold.ConflictError, -11, /another writer/);
  const back = retold.Deduplicator.load(state);
  assert.equal(back.size, 2);
  back.close();
  withDedup({}, (fresh) => {
    throwsRetold(() => fresh.save(state), retold.ConflictError, -11);
    fresh.save(state, { replace: true });
  });
  const empty = retold.Deduplicator.load(state);
  assert.equal(empty.size, 0);
  empty.close();
}));

test('persistence errors: missing, blocked, corrupted', () => withDedup({}, (d) => {
  const dir = tmpDir();
  d.add('a', RATE);
  throwsRetold(() => retold.Deduplicator.load(path.join(dir, 'nothing-here')), retold.NotFoundError, -3, /nothing-here/);
  fs.writeFileSync(path.join(dir, 'file'), 'in the way');
  throwsRetold(() => d.save(path.join(dir, 'file', 'state')), retold.IoError, -5);
  throwsRetold(() => d.save(''), retold.InvalidArgumentError, -1);
  assert.throws(() => d.save(42), TypeError);
  const state = path.join(dir, 'state');
  d.save(state);
  const files = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  for (const p of files(state)) {
    const data = fs.readFileSync(p);
    if (data.length) {
      data[data.length >> 1] ^= 0x5a;
      fs.writeFileSync(p, data);
    }
  }
  throwsRetold(() => retold.Deduplicator.load(state), retold.CorruptedStateError, -6);
}));

test('signature bytes errors', () => withDedup({}, (d) => {
  const raw = d.computeSignature(RATE).toBytes();
  throwsRetold(() => retold.Signature.fromBytes(raw.subarray(0, raw.length - 1)), retold.CorruptedStateError, -6);
  throwsRetold(() => retold.Signature.fromBytes(Buffer.alloc(0)), retold.CorruptedStateError, -6);
  const badMagic = Buffer.from(raw);
  badMagic[0] = 0x58;
  throwsRetold(() => retold.Signature.fromBytes(badMagic), retold.CorruptedStateError, -6);
  const badVersion = Buffer.from(raw);
  badVersion[4] = 9;
  throwsRetold(() => retold.Signature.fromBytes(badVersion), retold.IncompatibleError, -4);
  assert.throws(() => retold.Signature.fromBytes('RTSG'), TypeError);
}));
