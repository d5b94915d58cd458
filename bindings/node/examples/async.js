// The long calls off the event loop: addBatchAsync, saveAsync and loadAsync run on a worker
// thread while timers, sockets and other requests go on. Run: node examples/async.js [DIR]
const os = require('node:os');
const path = require('node:path');
const retold = require('retold');

async function main() {
  const dir = process.argv[2] || path.join(os.tmpdir(), `retold-async-example-${process.pid}`);
  const docs = [];
  for (let i = 0; i < 500; i++) {
    docs.push({ id: `wire-${i}`, text: `Report ${i}: the city council of town number ${i} voted on the budget for next year.`, timestamp: 1709629500 + i });
  }
  let ticks = 0;
  const timer = setInterval(() => { ticks++; }, 1);
  const d = new retold.Deduplicator();
  try {
    const results = await d.addBatchAsync(docs);
    console.log('added', results.filter((r) => r.error === null).length);
    await d.saveAsync(dir, { replace: true });
  } finally {
    d.close();
  }
  const back = await retold.Deduplicator.loadAsync(dir);
  console.log('loaded', back.size);
  back.close();
  clearInterval(timer);
  console.log('the event loop ticked meanwhile:', ticks > 0);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
