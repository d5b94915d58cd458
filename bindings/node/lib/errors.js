'use strict';
// Typed errors: one class per C status code, all deriving from RetoldError (itself an Error).
//
// As Node's own system errors do, each carries `code` (a stable string: 'RETOLD_ENOTFOUND', ...)
// and `errno` (the pinned negative C status: -3, ...); `message` is the library's message naming
// the id, file or byte offset. Errors are plain values: safe to keep, compare and rethrow.

const { Status } = require('./native');

const CODE_NAMES = Object.freeze(Object.fromEntries(Object.entries(Status).map(([k, v]) => [v, `RETOLD_${k}`])));

/** Base class of every error retold throws. */
class RetoldError extends Error {
  /**
   * @param {string} message what was wrong
   * @param {number} [errno] the C status (default: the class's own)
   */
  constructor(message, errno) {
    super(message);
    const status = errno === undefined ? new.target.status : errno;
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true });
    /** the pinned negative C status (Status.*) */
    this.errno = status;
    /** 'RETOLD_E...' for the status (as in retold.h) */
    this.code = CODE_NAMES[status] || `RETOLD_${status}`;
  }
}
RetoldError.status = Status.EINTERNAL;

function define(name, status, doc) {
  const cls = { [name]: class extends RetoldError {} }[name];
  cls.status = status;
  cls.description = doc;
  return cls;
}

const InvalidArgumentError = define('InvalidArgumentError', Status.EINVALID, 'a parameter is missing, empty, out of range, or the API was misused');
const InvalidUtf8Error = define('InvalidUtf8Error', Status.EUTF8, 'a text or id is not valid UTF-8 (the message names the byte offset)');
const NotFoundError = define('NotFoundError', Status.ENOTFOUND, 'an id, story or saved state that does not exist');
const IncompatibleError = define('IncompatibleError', Status.EINCOMPATIBLE, 'a signature, vector or state made by another configuration');
const IoError = define('IoError', Status.EIO, 'the operating system refused a read, write or rename');
const CorruptedStateError = define('CorruptedStateError', Status.ECORRUPTED, 'a saved state or serialized signature failed its checks');
const OutOfMemoryError = define('OutOfMemoryError', Status.ENOMEM, 'out of memory');
const TooLargeError = define('TooLargeError', Status.ETOOLARGE, 'an input exceeds a configured limit (maxDocumentBytes)');
const DuplicateIdError = define('DuplicateIdError', Status.EDUPLICATE, 'a document id that is already stored');
const ParseError = define('ParseError', Status.EPARSE, 'a malformed input record');
const ConflictError = define('ConflictError', Status.ECONFLICT, 'another writer saved the state directory since this deduplicator loaded or saved it; nothing was written');
const BufferTooSmallError = define('BufferTooSmallError', Status.EBUFSIZE, 'internal: the binding sizes its buffers, users should never see this');
const InternalError = define('InternalError', Status.EINTERNAL, 'a bug in retold: please report it with the message');
/** The Deduplicator or Signature was closed (code RETOLD_EINVALID: misuse of the API). */
const ClosedError = define('ClosedError', Status.EINVALID, 'the object was closed');

const BY_STATUS = new Map(
  [InvalidArgumentError, InvalidUtf8Error, NotFoundError, IncompatibleError, IoError,
    CorruptedStateError, OutOfMemoryError, TooLargeError, DuplicateIdError, ParseError,
    ConflictError, BufferTooSmallError, InternalError].map((c) => [c.status, c]),
);

/**
 * The error for a C status. `message` defaults to this thread's retold_last_error() (call it
 * right after the failing call, on the same thread).
 */
function errorFor(status, message) {
  let fn = null;
  if (message === undefined || message === null || message === '') {
    fn = require('./native').native().fn;
    message = fn.retold_last_error() || fn.retold_error_name(status);
  }
  const Cls = BY_STATUS.get(status) || RetoldError;
  return new Cls(message, status);
}

/** Throws the typed error for a failing status; returns nothing for RETOLD_OK. */
function check(status) {
  if (status !== 0) throw errorFor(status);
}

module.exports = {
  RetoldError, InvalidArgumentError, InvalidUtf8Error, NotFoundError, IncompatibleError, IoError,
  CorruptedStateError, OutOfMemoryError, TooLargeError, DuplicateIdError, ParseError, ConflictError,
  BufferTooSmallError, InternalError, ClosedError, errorFor, check,
};
