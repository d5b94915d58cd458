'use strict';
// A small pool of worker threads that run the long calls (addBatch, save, load) off the event
// loop. Why not koffi's `.async`: it runs the C call on a libuv pool thread and returns to the
// main thread, where retold_last_error() (kept per OS thread) no longer holds the call's message,
// and add results' strings (per thread too) may already be overwritten by the next call run on
// that pool thread. A worker here makes the call and reads everything it returns on one thread.
//
// Workers start lazily (the first async call pays about 30 ms), at most MAX_WORKERS, and are
// unref()'d while idle so they never keep the process alive. Per isolate: a worker thread that
// uses the async methods gets its own pool. Not for use from outside index.js.

const os = require('node:os');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const N = require('./native');

const MAX_WORKERS = Math.max(1, Math.min(4, os.availableParallelism ? os.availableParallelism() : os.cpus().length));

const idle = [];
const all = new Set();
const queue = [];
const pending = new Map(); // request id -> { resolve, reject, worker }
let nextId = 1;

function spawn() {
  const w = new Worker(path.join(__dirname, 'async_worker.js'), { workerData: { libraryPath: N.libraryPath() } });
  w.busy = null;
  w.on('message', (msg) => {
    const job = pending.get(msg.id);
    pending.delete(msg.id);
    w.busy = null;
    release(w);
    if (job) job.resolve(msg.value);
  });
  w.on('error', (err) => fail(w, err));
  w.on('exit', (code) => fail(w, new Error(`retold async worker exited with code ${code}`)));
  all.add(w);
  return w;
}

function fail(w, err) {
  if (!all.has(w)) return;
  all.delete(w);
  const i = idle.indexOf(w);
  if (i >= 0) idle.splice(i, 1);
  if (w.busy !== null) {
    const job = pending.get(w.busy);
    pending.delete(w.busy);
    if (job) job.reject(err);
  }
  pump();
}

function release(w) {
  if (queue.length) {
    dispatch(w, queue.shift());
  } else {
    w.unref();
    idle.push(w);
  }
}

function dispatch(w, job) {
  w.ref();
  w.busy = job.id;
  pending.set(job.id, job);
  w.postMessage(job.request);
}

function pump() {
  while (queue.length) {
    let w = idle.pop();
    if (!w) {
      if (all.size >= MAX_WORKERS) return;
      w = spawn();
    }
    dispatch(w, queue.shift());
  }
}

/**
 * Runs `op` on a worker thread; resolves to the plain value the worker computed (see
 * lib/calls.js). Rejects only when the worker thread itself failed.
 */
function run(op, handle, args) {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    queue.push({ id, resolve, reject, request: { id, op, handle, args } });
    pump();
  });
}

/** Terminates every worker (idle or not); pending calls reject. For tests and shutdown. */
async function shutdown() {
  const ws = [...all];
  await Promise.all(ws.map((w) => w.terminate()));
}

module.exports = { run, shutdown, MAX_WORKERS };
