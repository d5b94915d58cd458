'use strict';
// The long calls (add_batch, save, load) as plain functions of a native handle, shared by the
// synchronous methods (main thread) and the async worker (lib/async_worker.js), so both paths
// convert, chunk and report errors the same way.
//
// Each returns plain, structured-clonable data: errors are { errno, message, type } records
// (type 'retold' for a C status, 'TypeError' for a JavaScript argument of the wrong type), turned
// into error objects by materialize() on the thread that made the call. The C ABI's error
// messages and add-result strings are per OS thread, so they are read here, right after the call,
// on the thread that made it.

const N = require('./native');
const C = require('./convert');
const O = require('./options');
const { RetoldError, errorFor } = require('./errors');

/** Documents per retold_dedup_add_batch() call: bounds koffi's per-call memory. */
const BATCH_CHUNK = 1024;

const DOCS_INDEX = /^docs\[(\d+)\]/;

function failure(e) {
  if (e instanceof RetoldError) return { errno: e.errno, message: e.message, type: 'retold' };
  if (e instanceof TypeError) return { errno: N.Status.EINVALID, message: e.message, type: 'TypeError' };
  return { errno: N.Status.EINTERNAL, message: String(e && e.message ? e.message : e), type: 'retold' };
}

/** A failure record as an error object (the class for its status, or TypeError). */
function materialize(f) {
  if (f.type === 'TypeError') return new TypeError(f.message);
  return errorFor(f.errno, f.message);
}

function lastFailure(status) {
  const { fn } = N.native();
  return { errno: status, message: fn.retold_last_error() || fn.retold_error_name(status), type: 'retold' };
}

/**
 * Adds `docs` in order through retold_dedup_add_batch, BATCH_CHUNK at a time. Returns
 * { results, fatal }: results[i] is an add result or { error: failure } for a skipped document
 * (refused by the conversion or by the library); `fatal` is a failure when the library refused a
 * whole call (then results holds what the earlier chunks did and nothing of the rest was tried).
 */
function addBatch(handle, docs) {
  const { fn } = N.native();
  const results = new Array(docs.length);
  for (let start = 0; start < docs.length; start += BATCH_CHUNK) {
    const end = Math.min(docs.length, start + BATCH_CHUNK);
    const sent = [];     // caller index of each document handed to the library
    const structs = [];
    for (let i = start; i < end; i++) {
      try {
        structs.push(C.buildDocument(docs[i], `docs[${i}]`));
        sent.push(i);
      } catch (e) {
        results[i] = { error: failure(e) };
      }
    }
    if (!structs.length) continue;
    const out = structs.map(() => ({ struct_size: N.SIZES.addResult }));
    const added = [0];
    const rc = fn.retold_dedup_add_batch(handle, structs, structs.length, out, added);
    if (rc !== 0) return { results, fatal: lastFailure(rc) };
    for (let k = 0; k < out.length; k++) {
      const r = out[k];
      const i = sent[k];
      if (r.status === 0) {
        results[i] = C.addResult(r);
      } else {
        // the library counts the documents it was sent: name the caller's index instead
        const raw = r.error || fn.retold_error_name(r.status);
        results[i] = { error: { errno: r.status, message: raw.replace(DOCS_INDEX, `docs[${i}]`), type: 'retold' } };
      }
    }
  }
  return { results, fatal: null };
}

/** Saves; returns null or a failure. */
function save(handle, dir, replace) {
  const { fn } = N.native();
  let p;
  try {
    p = C.cString(dir, 'dir');
  } catch (e) {
    return failure(e);
  }
  const rc = replace ? fn.retold_dedup_save_replace(handle, p) : fn.retold_dedup_save(handle, p);
  return rc === 0 ? null : lastFailure(rc);
}

/**
 * Loads; returns { handle } or { error: failure }. `overrides`: runtime options to change (the
 * others keep their saved values), as for Deduplicator.load().
 */
function load(dir, overrides) {
  const { fn } = N.native();
  let p;
  let o;
  try {
    p = C.cString(dir, 'dir');
    o = O.buildOverrides(overrides);
  } catch (e) {
    return { error: failure(e) };
  }
  const out = [null];
  const rc = fn.retold_dedup_load(out, p, o.opts, o.bits);
  if (rc !== 0) return { error: lastFailure(rc) };
  return { handle: out[0] };
}

module.exports = { addBatch, save, load, materialize, failure, lastFailure, BATCH_CHUNK };
