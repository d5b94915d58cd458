// One deduplicator used from several worker threads: share() gives a token that each worker
// turns into its own Deduplicator with attach(); the native state is freed when the last one is
// closed. The C library does the locking (queries in parallel, adds one at a time).
// Run: node examples/worker_threads.js
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const retold = require('retold');

if (isMainThread) {
  const d = new retold.Deduplicator();
  const token = d.share();
  const workers = [0, 1, 2].map((k) => new Promise((resolve, reject) => {
    const w = new Worker(__filename, { workerData: { token, k } });
    w.on('message', resolve);
    w.on('error', reject);
  }));
  Promise.all(workers).then((added) => {
    console.log('added by the workers:', added.reduce((a, b) => a + b, 0), 'stored:', d.size);
    d.close();
  });
} else {
  const d = retold.Deduplicator.attach(workerData.token);
  let n = 0;
  for (let i = 0; i < 20; i++) {
    d.add(`w${workerData.k}-${i}`, `Worker ${workerData.k} files report number ${i} about the harbour strike in city ${i}.`);
    n++;
  }
  d.close();
  parentPort.postMessage(n);
}
