'use strict';
// Conversions between JavaScript values and the C ABI's structs: texts, ids, timestamps,
// vectors, documents and results (options: lib/options.js). Pure functions of their arguments (no shared state),
// so safe in every isolate.

const N = require('./native');
const { InvalidArgumentError, InvalidUtf8Error } = require('./errors');

const EMPTY = Buffer.alloc(0);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** true when the string has no lone UTF-16 surrogate (so it has a UTF-8 form). */
const wellFormed = typeof String.prototype.isWellFormed === 'function'
  ? (s) => s.isWellFormed()
  : (s) => !LONE_SURROGATE.test(s); // Node 18

function typeName(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? (v.constructor && v.constructor.name) || 'object' : typeof v;
}

/**
 * A text argument as UTF-8 bytes (a Buffer or Uint8Array passed by address, no copy). Strings
 * are encoded; byte arrays pass as they are (the library validates them, so invalid UTF-8 gives
 * InvalidUtf8Error). A string with a lone surrogate cannot be UTF-8: InvalidUtf8Error.
 */
function textBytes(value, what) {
  if (typeof value === 'string') {
    if (!wellFormed(value)) throw new InvalidUtf8Error(`${what} holds a lone UTF-16 surrogate: it cannot be encoded as UTF-8`);
    return value.length === 0 ? EMPTY : Buffer.from(value, 'utf8');
  }
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError(`${what} must be a string, Buffer or Uint8Array, not ${typeName(value)}`);
}

/**
 * A NUL-terminated string argument (id, source, path): a JavaScript string for koffi to encode,
 * or NUL-terminated bytes for a byte array. InvalidArgumentError for an embedded NUL.
 */
function cString(value, what) {
  if (typeof value === 'string') {
    if (value.includes('\0')) throw new InvalidArgumentError(`${what} contains a NUL character`);
    if (!wellFormed(value)) throw new InvalidUtf8Error(`${what} holds a lone UTF-16 surrogate: it cannot be encoded as UTF-8`);
    // koffi copies short strings into its call memory; long ones go by address so that the
    // size of koffi's per-call heap is never a limit
    return value.length < 4096 ? value : Buffer.from(value + '\0', 'utf8');
  }
  if (value instanceof Uint8Array) {
    if (value.includes(0)) throw new InvalidArgumentError(`${what} contains a NUL byte`);
    const out = Buffer.alloc(value.length + 1);
    out.set(value);
    return out;
  }
  throw new TypeError(`${what} must be a string, not ${typeName(value)}`);
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Seconds since the Unix epoch (int64) from a number of seconds (fractions truncated), a bigint,
 * a Date, or an ISO 8601 string such as "2024-03-05T09:05:00Z" (no zone means UTC).
 * undefined/null give 0.
 */
function timestampSeconds(ts, what = 'timestamp') {
  if (ts === undefined || ts === null) return 0;
  if (typeof ts === 'number') {
    if (!Number.isFinite(ts)) throw new InvalidArgumentError(`${what} must be a finite number of seconds, not ${ts}`);
    const s = Math.trunc(ts);
    if (!Number.isSafeInteger(s)) throw new InvalidArgumentError(`${what} ${ts} is out of range`);
    return s;
  }
  if (typeof ts === 'bigint') {
    if (ts < -(2n ** 63n) || ts >= 2n ** 63n) throw new InvalidArgumentError(`${what} ${ts} does not fit in int64`);
    return ts;
  }
  if (ts instanceof Date) {
    const ms = ts.getTime();
    if (Number.isNaN(ms)) throw new InvalidArgumentError(`${what} is an invalid Date`);
    return Math.floor(ms / 1000);
  }
  if (typeof ts === 'string') {
    if (!ISO_8601.test(ts)) throw new InvalidArgumentError(`${what} ${JSON.stringify(ts)} is not ISO 8601`);
    let s = ts.replace(' ', 'T');
    if (s.length > 10 && !/(Z|[+-]\d{2}:?\d{2})$/.test(s)) s += 'Z'; // no zone: UTC, as the CLI reads it
    const ms = Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s);
    if (Number.isNaN(ms)) throw new InvalidArgumentError(`${what} ${JSON.stringify(ts)} is not a valid date`);
    return Math.floor(ms / 1000);
  }
  throw new TypeError(`${what} must be seconds, a bigint, a Date or an ISO 8601 string, not ${typeName(ts)}`);
}

/** A vector of float32 as a Float32Array (passed by address); other inputs are converted once. */
function floats(vector, what = 'vector') {
  if (vector instanceof Float32Array) return vector;
  if (Array.isArray(vector) || ArrayBuffer.isView(vector)) {
    const out = Float32Array.from(vector);
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i])) throw new InvalidArgumentError(`${what}[${i}] is not a finite number`);
    }
    return out;
  }
  throw new TypeError(`${what} must be a Float32Array or an array of numbers, not ${typeName(vector)}`);
}

// ------------------------------------------------------------------------------ documents

/**
 * A C document (plain object for koffi) for one JavaScript document. Every buffer it points to
 * is referenced by the returned object, so it lives as long as the object does.
 * `doc`: { id, text, timestamp?, source?, title?, vector? } or an [id, text] pair.
 */
function buildDocument(doc, what = 'document') {
  let id, text, timestamp, source, title, vector;
  if (Array.isArray(doc)) {
    if (doc.length !== 2) throw new TypeError(`${what} as an array must be an [id, text] pair`);
    [id, text] = doc;
  } else if (doc !== null && typeof doc === 'object') {
    ({ id, text, timestamp, source, title, vector } = doc);
  } else {
    throw new TypeError(`${what} must be an object { id, text, ... } or an [id, text] pair, not ${typeName(doc)}`);
  }
  if (typeof id !== 'string') throw new TypeError(`${what}: id must be a string, not ${typeName(id)}`);
  const t = textBytes(text, `${what}: text`);
  const out = {
    struct_size: N.SIZES.document,
    vector_dim: 0,
    id: cString(id, `${what}: id`),
    text: t.length ? t : null,
    text_len: t.length,
    title: null,
    title_len: 0,
    source: null,
    timestamp: timestampSeconds(timestamp, `${what}: timestamp`),
    vector: null,
  };
  if (title !== undefined && title !== null) {
    const tt = textBytes(title, `${what}: title`);
    out.title = tt.length ? tt : null;
    out.title_len = tt.length;
  }
  if (source !== undefined && source !== null) out.source = cString(source, `${what}: source`);
  if (vector !== undefined && vector !== null) {
    const v = floats(vector, `${what}: vector`);
    out.vector = v.length ? v : null;
    out.vector_dim = v.length;
  }
  return out;
}

// ------------------------------------------------------------------------------ results

function scores(s) {
  const d = s.decision;
  return {
    jaccard: s.jaccard,
    cosine: s.cosine,
    score: s.score,
    hasCosine: s.has_cosine !== 0,
    decision: d >= 0 && d < N.DECISIONS.length ? N.DECISIONS[d] : String(d),
  };
}

function addResult(r) {
  return {
    clusterId: r.cluster_id,
    newStory: r.new_story !== 0,
    candidates: r.candidates,
    leaderScores: r.has_leader ? scores(r.leader_scores) : null,
    leaderId: r.has_leader ? r.leader_id : null,
    error: null,
  };
}

function queryOptions(opts) {
  if (opts === undefined || opts === null) return DEFAULT_QUERY;
  if (typeof opts !== 'object') throw new TypeError(`query options must be an object, not ${typeName(opts)}`);
  const { topK = 10, includeRejected = false, timestamp, minScore } = opts;
  for (const key of Object.keys(opts)) {
    if (!['topK', 'includeRejected', 'timestamp', 'minScore'].includes(key)) throw new InvalidArgumentError(`unknown query option ${JSON.stringify(key)}`);
  }
  if (!Number.isInteger(topK) || topK < 0 || topK >= 2 ** 32) throw new InvalidArgumentError(`topK must be a non-negative integer, not ${JSON.stringify(topK)}`);
  const q = {
    struct_size: N.SIZES.query,
    top_k: topK,
    include_rejected: includeRejected ? 1 : 0,
    has_timestamp: 0,
    timestamp: 0,
    min_score: 0,
  };
  if (timestamp !== undefined && timestamp !== null) {
    q.has_timestamp = 1;
    q.timestamp = timestampSeconds(timestamp);
  }
  if (minScore !== undefined && minScore !== null) {
    if (typeof minScore !== 'number' || Number.isNaN(minScore)) throw new InvalidArgumentError(`minScore must be a number, not ${JSON.stringify(minScore)}`);
    q.min_score = minScore;
  }
  return q;
}

const DEFAULT_QUERY = Object.freeze({
  struct_size: N.SIZES.query, top_k: 10, include_rejected: 0, has_timestamp: 0, timestamp: 0, min_score: 0,
});

module.exports = {
  textBytes, cString, timestampSeconds, floats, buildDocument, scores, addResult, queryOptions, typeName,
};
