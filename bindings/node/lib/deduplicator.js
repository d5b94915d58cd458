'use strict';
// Deduplicator: retold::deduplicator through the C ABI.
//
// Lifetime: a Deduplicator owns one reference to its native handle. The handle is freed when the
// last reference goes: close() (or the garbage collector, as a safety net) on this object, and on
// every object attached to it in worker threads through share()/attach(). The reference count
// lives in a SharedArrayBuffer, so objects in different isolates agree on it. close() on an
// object with async calls in flight stops new calls at once and drops the reference when they
// have finished.
//
// Threads: the C library does the locking (queries run in parallel, adds serialize), so one
// handle may be used from the main thread, worker threads and the async pool at once.

const N = require('./native');
const C = require('./convert');
const O = require('./options');
const calls = require('./calls');
const pool = require('./async_pool');
const { ClosedError, InvalidArgumentError, errorFor, check } = require('./errors');
const { Signature } = require('./signature');
const { Prepared } = require('./prepared');

const REFS = 0; // Int32 slot of the shared control block: live references to the handle

// Safety net: a Deduplicator that was never closed drops its reference when collected. Held
// value: { handle, control } (never the Deduplicator itself).
const finalizer = new FinalizationRegistry((held) => releaseRef(held.handle, held.control));

function releaseRef(handle, control) {
  if (Atomics.sub(control, REFS, 1) === 1) N.native().fn.retold_dedup_free(handle);
}

function newControl() {
  const control = new Int32Array(new SharedArrayBuffer(8));
  control[REFS] = 1;
  return control;
}

const ADOPT = Symbol("adopt a native handle"); // module-private: callers cannot forge it

class Deduplicator {
  /**
   * A new, empty deduplicator. `options` (all optional; undefined = the library's default) are
   * documented in README.md and index.d.ts. Throws InvalidArgumentError naming a bad option.
   */
  constructor(options = {}, _internal = undefined) {
    this._handle = null;
    this._control = null;
    this._inflight = 0;    // async calls of this object not finished yet
    this._closing = false; // close() was called while async calls were in flight
    this._dim = undefined;
    if (_internal && _internal.token === ADOPT) {
      this._adopt(_internal.handle, _internal.control);
      return;
    }
    const { fn } = N.native();
    const opts = O.buildOptions(options);
    const out = [null];
    check(fn.retold_dedup_new(out, opts));
    this._adopt(out[0], newControl());
  }

  _adopt(handle, control) {
    this._handle = handle;
    this._control = control;
    finalizer.register(this, { handle, control }, this);
  }

  /**
   * Loads a state written by save() with every saved option, except the runtime options named in
   * `overrides` (vectorCandidates, decision, threads, matchThreshold, the four rule thresholds,
   * copyJaccard, timeWindow, maxDocumentBytes, sourcePriority), which take the given values.
   * InvalidArgumentError for a structural option. NotFoundError when `dir` holds no state,
   * CorruptedStateError for a damaged one. Blocks the event loop: see loadAsync().
   */
  static load(dir, overrides = undefined) {
    const r = calls.load(dir, overrides);
    if (r.error) throw calls.materialize(r.error);
    return new Deduplicator(undefined, { token: ADOPT, handle: r.handle, control: newControl() });
  }

  /** load() on a worker thread: the event loop keeps running. Resolves to a Deduplicator. */
  static async loadAsync(dir, overrides = undefined) {
    if (typeof dir !== 'string') throw new TypeError(`dir must be a string, not ${C.typeName(dir)}`);
    const r = await pool.run('load', null, { dir, overrides });
    if (r.crashed) throw calls.materialize(r.crashed);
    if (r.error) throw calls.materialize(r.error);
    return new Deduplicator(undefined, { token: ADOPT, handle: r.handle, control: newControl() });
  }

  /**
   * A token that another thread passes to Deduplicator.attach() to use this same deduplicator
   * (structured-clonable: send it with postMessage or workerData). It holds no reference itself:
   * attach() fails with ClosedError once every reference is gone.
   */
  share() {
    this._h();
    return { handle: this._handle, control: this._control, libraryPath: N.libraryPath() };
  }

  /**
   * A Deduplicator over the native handle of `token` (from share() in any thread of this
   * process), holding its own reference: the handle is freed when every object over it is
   * closed. ClosedError when the handle was already freed.
   */
  static attach(token) {
    if (!token || typeof token.handle !== 'bigint' || !(token.control instanceof Int32Array)) {
      throw new TypeError('attach() needs a token from Deduplicator.share()');
    }
    if (token.libraryPath) N.setLibraryPath(token.libraryPath);
    const control = token.control;
    for (;;) {
      const refs = Atomics.load(control, REFS);
      if (refs <= 0) throw new ClosedError('the shared Deduplicator is closed');
      if (Atomics.compareExchange(control, REFS, refs, refs + 1) === refs) break;
    }
    return new Deduplicator(undefined, { token: ADOPT, handle: token.handle, control });
  }

  // -- lifetime

  _h() {
    if (this._handle === null || this._closing) throw new ClosedError('the Deduplicator is closed');
    return this._handle;
  }

  /**
   * Drops this object's reference to the native state (freed when no other object holds one).
   * Idempotent. With async calls in flight, new calls fail at once and the reference goes when
   * they finish.
   */
  close() {
    if (this._handle === null || this._closing) return;
    if (this._inflight > 0) {
      this._closing = true;
      return;
    }
    this._release();
  }

  _release() {
    const h = this._handle;
    const control = this._control;
    this._handle = null;
    this._closing = false;
    finalizer.unregister(this);
    releaseRef(h, control);
  }

  /** true once close() was called. */
  get closed() {
    return this._handle === null || this._closing;
  }

  async _async(op, args) {
    const h = this._h();
    this._inflight++;
    try {
      return await pool.run(op, h, args);
    } finally {
      this._inflight--;
      if (this._closing && this._inflight === 0) this._release();
    }
  }

  // -- adding

  /**
   * Adds one report and assigns it to a story. Throws DuplicateIdError, InvalidUtf8Error,
   * TooLargeError, InvalidArgumentError, IncompatibleError (vector); nothing is stored then.
   */
  add(id, text, fields = undefined) {
    const h = this._h();
    const { timestamp, source, title, vector } = objectArg(fields, 'add() fields');
    const doc = C.buildDocument({ id, text, timestamp, source, title, vector });
    const res = { struct_size: N.SIZES.addResult };
    check(N.native().fn.retold_dedup_add(h, doc, res));
    return C.addResult(res);
  }

  /**
   * Adds reports in order, as add() on each would, computing their features on the library's
   * worker threads. Items are { id, text, timestamp?, source?, title?, vector? } objects or
   * [id, text] pairs. A bad document does not stop the others: its result has `error` set.
   */
  addBatch(documents) {
    const docs = batchArray(documents);
    const h = this._h();
    return finishBatch(calls.addBatch(h, docs));
  }

  /**
   * The features of a document ({ id, text, timestamp?, source?, title?, vector? } or [id, text])
   * with this deduplicator's configuration, as a Prepared (close() it, or leave it to the garbage
   * collector). Nothing is stored and the library takes no lock. Throws what add() would throw
   * for the document.
   */
  prepare(document) {
    const h = this._h();
    const doc = C.buildDocument(document, 'document');
    const out = [null];
    check(N.native().fn.retold_dedup_prepare(out, h, doc));
    return Prepared._wrap(out[0]);
  }

  /**
   * Adds Prepared documents in order: the stories, scores and results are exactly those
   * addBatch() gives for the same documents (a duplicate id gets a result with `error`, the
   * others go on). Throws IncompatibleError, storing nothing, when one was prepared with another
   * configuration, and ClosedError when one is closed.
   */
  addPreparedBatch(prepared) {
    const items = Array.from(prepared, (p, i) => {
      if (!(p instanceof Prepared)) throw new TypeError(`prepared[${i}] is not a Prepared (from prepare() or Prepared.fromBytes())`);
      return p._h();
    });
    const h = this._h();
    if (!items.length) return [];
    const { fn } = N.native();
    const out = items.map(() => ({ struct_size: N.SIZES.addResult }));
    const added = [0];
    check(fn.retold_dedup_add_prepared_batch(h, items, items.length, out, added));
    return finishBatch({
      results: out.map((r, i) => (r.status === 0 ? C.addResult(r) : {
        error: { errno: r.status, message: r.error || fn.retold_error_name(r.status), type: 'retold' },
      })),
    });
  }

  /** addBatch() on a worker thread: the event loop keeps running. Resolves to the results. */
  async addBatchAsync(documents) {
    const docs = batchArray(documents);
    const r = await this._async('addBatch', { docs });
    if (r.crashed) throw calls.materialize(r.crashed);
    return finishBatch(r);
  }

  // -- queries

  /**
   * Stored reports most similar to `text`, best first (nothing is stored). Options: topK (10),
   * includeRejected, timestamp (apply the time window around it), minScore.
   */
  query(text, options = undefined) {
    const h = this._h();
    const t = C.textBytes(text, 'text');
    const q = C.queryOptions(options);
    return matchCall(N.native().fn.retold_dedup_query, h, t.length ? t : null, t.length, q);
  }

  /** As query(), by an embedding (cosine only). IncompatibleError for a wrong dimension. */
  queryVector(vector, options = undefined) {
    const h = this._h();
    const v = C.floats(vector);
    const q = C.queryOptions(options);
    return matchCall(N.native().fn.retold_dedup_query_vector, h, v.length ? v : null, v.length, q);
  }

  // -- lookups

  /** true when a report with this id is stored. */
  contains(id) {
    const out = [0];
    check(N.native().fn.retold_dedup_contains(this._h(), idArg(id), out));
    return out[0] !== 0;
  }

  /** The number of stored reports. */
  get size() {
    return this.stats().documents;
  }

  /** The story id of a stored report; NotFoundError otherwise. */
  clusterOf(id) {
    const out = [0];
    check(N.native().fn.retold_dedup_cluster_of(this._h(), idArg(id), out));
    return out[0];
  }

  /** The representative report of the story of `id`; NotFoundError for an unknown id. */
  representativeOf(id) {
    const { fn } = N.native();
    const h = this._h();
    const b = idArg(id);
    const len = [0];
    let buf = Buffer.allocUnsafe(256);
    let rc = fn.retold_dedup_representative_of(h, b, buf, buf.length, len);
    if (rc === N.Status.EBUFSIZE) {
      buf = Buffer.allocUnsafe(len[0] + 1);
      rc = fn.retold_dedup_representative_of(h, b, buf, buf.length, len);
    }
    check(rc);
    return buf.toString('utf8', 0, len[0]);
  }

  /** One story: { id, representative, leader, members }; NotFoundError for an unknown id. */
  cluster(clusterId) {
    const id = clusterIdArg(clusterId);
    return clusterCall(N.native().fn.retold_dedup_cluster, this._h(), id)[0];
  }

  /** All stories with at least `minMembers` members, by increasing id. */
  clusters(minMembers = 1) {
    if (!Number.isSafeInteger(minMembers) || minMembers < 0) throw new InvalidArgumentError(`minMembers must be a non-negative integer, not ${JSON.stringify(minMembers)}`);
    return clusterCall(N.native().fn.retold_dedup_clusters, this._h(), minMembers);
  }

  /** Iterates over the stories with at least `minMembers` members (a snapshot taken now). */
  *stories(minMembers = 1) {
    yield* this.clusters(minMembers);
  }

  /** Why two stored reports match or not (sharedTerms and sharedPassage need keepText). */
  explain(idA, idB) {
    const { fn } = N.native();
    const h = this._h();
    const a = idArg(idA, 'idA');
    const b = idArg(idB, 'idB');
    const e = {
      struct_size: N.SIZES.explanation, feature_size: N.SIZES.feature, features: null, feature_count: 0,
      shared_terms: null, shared_term_count: 0, shared_passage: null, internal_: null,
    };
    const rc = fn.retold_dedup_explain(h, a, b, e);
    try {
      check(rc);
      const terms = e.shared_term_count > 0 ? N.decodeArray(e.shared_terms, 'const char *', e.shared_term_count) : [];
      const feats = e.feature_count > 0 ? N.decodeArray(e.features, N.types.Feature, e.feature_count) : [];
      return {
        scores: C.scores(e.scores),
        probability: e.probability,
        features: feats.map((f) => ({ name: f.name, value: f.value, contribution: f.contribution })),
        sharedTerms: terms,
        sharedPassage: e.shared_passage || '',
      };
    } finally {
      fn.retold_explanation_dispose(e);
    }
  }

  /** Counters for monitoring. */
  stats() {
    const s = { struct_size: N.SIZES.stats };
    check(N.native().fn.retold_dedup_stats(this._h(), s));
    return {
      documents: s.documents,
      clusters: s.clusters,
      multiMemberClusters: s.multi_member_clusters,
      documentsAddedTotal: s.documents_added_total,
      documentsRemovedTotal: s.documents_removed_total,
      memoryBytes: s.memory_bytes,
      frequencyDocuments: s.frequency_documents,
      addSeconds: {
        features: s.add_features_seconds,
        embed: s.add_embed_seconds,
        candidates: s.add_candidates_seconds,
        verifyCluster: s.add_verify_cluster_seconds,
        indexAdd: s.add_index_add_seconds,
      },
    };
  }

  /** The options in force, every default resolved (same keys as the constructor's). */
  get options() {
    const o = O.defaultOptions();
    check(N.native().fn.retold_dedup_get_options(this._h(), o));
    return O.readOptions(o);
  }

  // -- mutation

  /** Removes a stored report; NotFoundError when the id is unknown. */
  remove(id) {
    check(N.native().fn.retold_dedup_remove(this._h(), idArg(id)));
  }

  /** Removes every report older than `cutoff` (seconds, Date or ISO 8601); returns how many. */
  evictBefore(cutoff) {
    const ts = C.timestampSeconds(cutoff, 'cutoff');
    const out = [0];
    check(N.native().fn.retold_dedup_evict_before(this._h(), ts, out));
    return out[0];
  }

  // -- persistence

  /**
   * Writes the whole state into directory `dir` atomically (IoError on failure). ConflictError,
   * with nothing written, when `dir` holds a state other than the one this deduplicator loaded
   * from it or last saved there; { replace: true } overwrites whatever is there. Blocks the
   * event loop: see saveAsync().
   */
  save(dir, options = undefined) {
    const { replace = false } = objectArg(options, 'save() options');
    const f = calls.save(this._h(), dir, !!replace);
    if (f) throw calls.materialize(f);
  }

  /** save() on a worker thread: the event loop keeps running (queries may go on meanwhile). */
  async saveAsync(dir, options = undefined) {
    const { replace = false } = objectArg(options, 'saveAsync() options');
    if (typeof dir !== 'string') throw new TypeError(`dir must be a string, not ${C.typeName(dir)}`);
    const f = await this._async('save', { dir, replace: !!replace });
    if (f && f.crashed) throw calls.materialize(f.crashed);
    if (f) throw calls.materialize(f);
  }

  // -- features alone

  /** The embedding this deduplicator gives `text` (a Float32Array; empty without the built-in embedder). */
  computeEmbedding(text) {
    const { fn } = N.native();
    const h = this._h();
    const t = C.textBytes(text, 'text');
    if (this._dim === undefined) {
      const o = this.options;
      this._dim = o.embedding === 'builtin' ? o.dimension : 0;
    }
    const out = new Float32Array(this._dim);
    const dim = [0];
    check(fn.retold_dedup_compute_embedding(h, t.length ? t : null, t.length, out.length ? out : null, out.length, dim));
    if (dim[0] !== out.length) throw errorFor(N.Status.EINTERNAL, `embedding dimension ${dim[0]}, expected ${out.length}`);
    return out;
  }

  /** The MinHash signature this deduplicator gives `text` (nothing stored). */
  computeSignature(text) {
    const h = this._h();
    const t = C.textBytes(text, 'text');
    const out = [null];
    check(N.native().fn.retold_dedup_compute_signature(h, t.length ? t : null, t.length, out));
    return Signature._wrap(out[0]);
  }

  toString() {
    if (this.closed) return 'Deduplicator(closed)';
    const s = this.stats();
    return `Deduplicator(documents=${s.documents}, clusters=${s.clusters})`;
  }
}

if (typeof Symbol.dispose === 'symbol') {
  Deduplicator.prototype[Symbol.dispose] = function dispose() { this.close(); };
}

// ------------------------------------------------------------------------------ helpers

function objectArg(v, what) {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`${what} must be an object, not ${C.typeName(v)}`);
  return v;
}

function idArg(id, what = 'id') {
  if (typeof id !== 'string') throw new TypeError(`${what} must be a string, not ${C.typeName(id)}`);
  return C.cString(id, what);
}

function clusterIdArg(v) {
  if ((typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) || (typeof v === 'bigint' && v >= 0n && v < 2n ** 64n)) return v;
  throw new InvalidArgumentError(`clusterId must be a non-negative integer, not ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)}`);
}

function batchArray(documents) {
  if (Array.isArray(documents)) return documents;
  if (documents && typeof documents[Symbol.iterator] === 'function' && typeof documents !== 'string') return Array.from(documents);
  throw new TypeError(`documents must be an array or iterable, not ${C.typeName(documents)}`);
}

function finishBatch({ results, fatal }) {
  if (fatal) throw calls.materialize(fatal);
  return results.map((r) => (r.error ? {
    clusterId: 0, newStory: false, candidates: 0, leaderScores: null, leaderId: null, error: calls.materialize(r.error),
  } : r));
}

function matchCall(f, h, a, b, q) {
  const { fn } = N.native();
  const list = { struct_size: N.SIZES.matchList, item_size: N.SIZES.match, items: null, count: 0, internal_: null };
  const rc = f(h, a, b, q, list);
  try {
    check(rc);
    if (!list.count) return [];
    const items = N.decodeArray(list.items, N.types.Match, list.count);
    const out = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const m = items[i];
      out[i] = { id: m.id, clusterId: m.cluster_id, scores: C.scores(m.scores) };
    }
    return out;
  } finally {
    fn.retold_match_list_dispose(list);
  }
}

function clusterCall(f, h, arg) {
  const { fn } = N.native();
  const list = {
    struct_size: N.SIZES.clusterList, item_size: N.SIZES.cluster, member_size: N.SIZES.member, items: null, count: 0, internal_: null,
  };
  const rc = f(h, arg, list);
  try {
    check(rc);
    if (!list.count) return [];
    return N.decodeArray(list.items, N.types.Cluster, list.count).map((c) => ({
      id: c.id,
      representative: c.representative,
      leader: c.leader,
      members: c.member_count > 0 ? N.decodeArray(c.members, N.types.ClusterMember, c.member_count).map((m) => ({
        id: m.id, source: m.source, timestamp: m.timestamp, title: m.title || '', snippet: m.snippet || '', scores: C.scores(m.scores),
      })) : [],
    }));
  } finally {
    fn.retold_cluster_list_dispose(list);
  }
}

module.exports = { Deduplicator };
