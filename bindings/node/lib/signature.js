'use strict';
// Signature: an immutable MinHash signature with the configuration that made it (a
// retold_signature handle). Owned by the object: close() frees it (the garbage collector does it
// too, as a safety net). Immutable, so safe to read from anywhere in its isolate.

const N = require('./native');
const { ClosedError, check, errorFor } = require('./errors');

const finalizer = new FinalizationRegistry((handle) => N.native().fn.retold_signature_free(handle));
const WRAP = Symbol('wrap');

class Signature {
  constructor(token, handle) {
    if (token !== WRAP) throw new TypeError('use Deduplicator.computeSignature() or Signature.fromBytes()');
    this._handle = handle;
    finalizer.register(this, handle, this);
  }

  static _wrap(handle) {
    return new Signature(WRAP, handle);
  }

  /**
   * Parses toBytes() output. CorruptedStateError for damaged bytes, IncompatibleError for an
   * unknown format version or scheme.
   */
  static fromBytes(bytes) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('fromBytes() needs a Buffer or Uint8Array');
    const out = [null];
    check(N.native().fn.retold_signature_deserialize(out, bytes.length ? bytes : null, bytes.length));
    return Signature._wrap(out[0]);
  }

  _h() {
    if (this._handle === null) throw new ClosedError('the Signature is closed');
    return this._handle;
  }

  /** The num_hashes MinHash values. */
  values() {
    const { fn } = N.native();
    const h = this._h();
    const n = [0];
    let rc = fn.retold_signature_values(h, null, 0, n);
    if (rc !== 0 && rc !== N.Status.EBUFSIZE) throw errorFor(rc);
    const out = new Uint32Array(n[0]);
    check(fn.retold_signature_values(h, out, out.length, n));
    return out;
  }

  /** The portable serialized form (little-endian, with magic, version, scheme and seed). */
  toBytes() {
    const { fn } = N.native();
    const h = this._h();
    const n = [0];
    const rc = fn.retold_signature_serialize(h, null, 0, n);
    if (rc !== 0 && rc !== N.Status.EBUFSIZE) throw errorFor(rc);
    const out = Buffer.alloc(n[0]);
    check(fn.retold_signature_serialize(h, out, out.length, n));
    return out;
  }

  /** Estimated Jaccard similarity; IncompatibleError across configurations. */
  jaccard(other) {
    if (!(other instanceof Signature)) throw new TypeError('jaccard() needs another Signature');
    const out = [0];
    check(N.native().fn.retold_signature_jaccard(this._h(), other._h(), out));
    return out[0];
  }

  /** The signature's length (num_hashes). */
  get length() {
    const n = [0];
    const rc = N.native().fn.retold_signature_values(this._h(), null, 0, n);
    if (rc !== 0 && rc !== N.Status.EBUFSIZE) throw errorFor(rc);
    return n[0];
  }

  /** true when both serialize to the same bytes. */
  equals(other) {
    return other instanceof Signature && this.toBytes().equals(other.toBytes());
  }

  /** Frees the native signature. Idempotent. */
  close() {
    const h = this._handle;
    if (h === null) return;
    this._handle = null;
    finalizer.unregister(this);
    N.native().fn.retold_signature_free(h);
  }
}

if (typeof Symbol.dispose === 'symbol') {
  Signature.prototype[Symbol.dispose] = function dispose() { this.close(); };
}

module.exports = { Signature };
