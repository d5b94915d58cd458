'use strict';
// The body of an async worker thread (started by lib/async_pool.js): it loads the same
// libretold_c as the main thread and runs one long call at a time, synchronously, on its own OS
// thread, then reads the call's error message on that same thread (the C ABI keeps messages per
// thread, so a message cannot be read from another thread afterwards) and posts the outcome back.
//
// Requests: { id, op: 'addBatch' | 'save' | 'load', handle?, args }. Replies: { id, value }.

const { parentPort, workerData } = require('node:worker_threads');
const N = require('./native');
const calls = require('./calls');

N.setLibraryPath(workerData.libraryPath);

parentPort.on('message', (req) => {
  let value;
  try {
    switch (req.op) {
      case 'addBatch':
        value = calls.addBatch(req.handle, req.args.docs);
        break;
      case 'save':
        value = calls.save(req.handle, req.args.dir, req.args.replace);
        break;
      case 'load':
        value = calls.load(req.args.dir, req.args.overrides);
        break;
      default:
        value = { error: { errno: N.Status.EINTERNAL, message: `unknown async op ${req.op}`, type: 'retold' } };
    }
  } catch (e) {
    value = { crashed: calls.failure(e) };
  }
  parentPort.postMessage({ id: req.id, value });
});
