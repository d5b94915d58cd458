'use strict';
// retold for Node.js: the public entry point. See README.md and index.d.ts for the API.

const N = require('./lib/native');
const errors = require('./lib/errors');
const { Deduplicator } = require('./lib/deduplicator');
const { Signature } = require('./lib/signature');
const { Prepared } = require('./lib/prepared');
const pool = require('./lib/async_pool');

/** The loaded library's version as "major.minor.patch". Loads the library. */
function version() {
  return N.native().fn.retold_version_string();
}

module.exports = {
  Deduplicator,
  Signature,
  Prepared,
  Status: N.Status,
  version,
  setLibraryPath: N.setLibraryPath,
  libraryPath: N.libraryPath,
  shutdownAsyncWorkers: pool.shutdown,
  ...Object.fromEntries(Object.entries(errors).filter(([k]) => k.endsWith('Error'))),
};
