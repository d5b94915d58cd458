'use strict';
// Prepared: one document's features computed with a deduplicator's configuration (a
// retold_prepared handle): signature, LSH band keys, evidence sketch, embedder terms or the
// normalized caller vector, title, snippet, id, timestamp, source; no text. A distributed run
// prepares documents where they are read, moves toBytes() and adds them elsewhere
// (Deduplicator.addPreparedBatch, docs/scaling.md). Owned by the object: close() frees it (the
// garbage collector does it too, as a safety net). Immutable, so safe to read from anywhere in
// its isolate.

const N = require('./native');
const { ClosedError, check, errorFor } = require('./errors');

const finalizer = new FinalizationRegistry((handle) => N.native().fn.retold_prepared_free(handle));
const WRAP = Symbol('wrap');

class Prepared {
  constructor(token, handle) {
    if (token !== WRAP) throw new TypeError('use Deduplicator.prepare() or Prepared.fromBytes()');
    this._handle = handle;
    finalizer.register(this, handle, this);
  }

  static _wrap(handle) {
    return new Prepared(WRAP, handle);
  }

  /**
   * Parses toBytes() output (from this process or another). CorruptedStateError names what is
   * wrong with damaged or truncated bytes, IncompatibleError another format version.
   */
  static fromBytes(bytes) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('fromBytes() needs a Buffer or Uint8Array');
    const out = [null];
    check(N.native().fn.retold_prepared_deserialize(out, bytes.length ? bytes : null, bytes.length));
    return Prepared._wrap(out[0]);
  }

  _h() {
    if (this._handle === null) throw new ClosedError('the Prepared document is closed');
    return this._handle;
  }

  /** The portable serialized form (magic, format version, configuration fingerprint, checksum). */
  toBytes() {
    const { fn } = N.native();
    const h = this._h();
    const n = [0];
    const rc = fn.retold_prepared_serialize(h, null, 0, n);
    if (rc !== 0 && rc !== N.Status.EBUFSIZE) throw errorFor(rc);
    const out = Buffer.alloc(n[0]);
    check(fn.retold_prepared_serialize(h, out, out.length, n));
    return out;
  }

  /**
   * The LSH band keys of the signature (a Uint32Array, empty without shingles): two documents
   * are LSH candidates exactly when they share a (band, key) and their estimated Jaccard
   * reaches the LSH threshold.
   */
  bandKeys() {
    const { fn } = N.native();
    const h = this._h();
    const n = [0];
    const rc = fn.retold_prepared_band_keys(h, null, 0, n);
    if (rc !== 0 && rc !== N.Status.EBUFSIZE) throw errorFor(rc);
    const out = new Uint32Array(n[0]);
    if (out.length) check(fn.retold_prepared_band_keys(h, out, out.length, n));
    return out;
  }

  /** Frees the native handle. Idempotent. */
  close() {
    const h = this._handle;
    if (h === null) return;
    this._handle = null;
    finalizer.unregister(this);
    N.native().fn.retold_prepared_free(h);
  }
}

if (typeof Symbol.dispose === 'symbol') {
  Prepared.prototype[Symbol.dispose] = function dispose() { this.close(); };
}

module.exports = { Prepared };
