#!/usr/bin/env node
// Per-call overhead of the Node.js binding against the same call in C++.
//
//   node bench/query_overhead.js BUILD_DIR [--rounds N] [--repetitions N]
//
// Runs BUILD_DIR/bench/bench_capi (the C++ calls and the same calls through the C ABI, Google
// Benchmark: bench/bench_capi.cpp) and
// times the same calls on the same 200-document state through Node.js: the `retold` package
// (what users call) and raw koffi calls on the C ABI with prepared arguments (the floor any koffi
// binding pays). The two sides alternate for --rounds rounds so that load from other processes
// hits both alike (within a round, the binding's and the raw loops interleave repetition by
// repetition); each round takes the median of --repetitions timed loops, and the table shows the
// median over rounds (ns per call) and the medians of the per-round ratios: js/C++ (against the
// separate C++ process) and js/raw (against raw koffi in this process).
// A benchmark, not a test: nothing is asserted.
'use strict';

const path = require('node:path');
const { execFileSync } = require('node:child_process');

const args = process.argv.slice(2);
if (!args.length || args[0].startsWith('-')) {
  console.error('usage: node bench/query_overhead.js BUILD_DIR [--rounds N] [--repetitions N]');
  process.exit(2);
}
const build = path.resolve(args[0]);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ROUNDS = opt('--rounds', 5);
const REPETITIONS = opt('--repetitions', 5);
process.env.RETOLD_LIB = process.env.RETOLD_LIB || build;

const retold = require('..');
const N = require('../lib/native');

const SHORT_QUERY = 'central bank raises its main interest rate by half a point citing inflation';

/** Mirror of synthetic_text() in bench/bench_capi.cpp. */
function syntheticText(i) {
  let x = (BigInt(i + 1) * 2654435761n) % 2147483648n;
  const words = [];
  for (let w = 0; w < 80; w++) {
    x = (x * 1103515245n + 12345n) % 2147483648n;
    words.push(`w${x % 30000n}`);
  }
  return words.join(' ');
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Calls per timed loop so that one loop of `fn` takes about minTime seconds. */
function loopSize(fn, minTime) {
  let n = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    const dt = Number(process.hrtime.bigint() - t0);
    if (dt >= (minTime * 1e9) / 4 || n >= 1 << 24) return Math.max(1, Math.floor((n * minTime * 1e9) / Math.max(dt, 1)));
    n *= 2;
  }
}

function timeLoop(fn, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

/**
 * Median ns per call of each function of `fns`, their loops interleaved repetition by
 * repetition (so that a burst of load from other processes hits all of them alike).
 */
function perCallNs(fns, repetitions, minTime = 0.1) {
  const sizes = fns.map((f) => loopSize(f, minTime));
  const samples = fns.map(() => []);
  for (let r = 0; r < repetitions; r++) fns.forEach((f, i) => samples[i].push(timeLoop(f, sizes[i])));
  return samples.map(median);
}

function cppMedians() {
  const exe = path.join(build, 'bench', 'bench_capi');
  const out = execFileSync(exe, [`--benchmark_repetitions=${REPETITIONS}`, '--benchmark_report_aggregates_only=true',
    '--benchmark_format=json', '--benchmark_min_time=0.1'], { encoding: 'utf8' });
  const res = {};
  for (const b of JSON.parse(out).benchmarks) {
    if (b.aggregate_name === 'median') res[b.run_name] = b.real_time * { ns: 1, us: 1e3, ms: 1e6 }[b.time_unit];
  }
  return res;
}

const d = new retold.Deduplicator();
d.addBatch(Array.from({ length: 200 }, (_, i) => ({ id: `doc-${i}`, text: syntheticText(i), timestamp: i })));
const stored = syntheticText(7);
const { fn } = N.native();
const handle = d._handle;
const out = [0];
const qBytes = Buffer.from(SHORT_QUERY);

const rawCalls = {
  contains: () => fn.retold_dedup_contains(handle, 'doc-100', out),
  query_short: () => {
    const m = { struct_size: N.SIZES.matchList, item_size: N.SIZES.match, items: null, count: 0, internal_: null };
    fn.retold_dedup_query(handle, qBytes, qBytes.length, null, m);
    fn.retold_match_list_dispose(m);
  },
};
const nodeCalls = {
  contains: () => d.contains('doc-100'),
  query_short: () => d.query(SHORT_QUERY),
  query_stored_text: () => d.query(stored),
};
const names = Object.keys(nodeCalls);
const rounds = Object.fromEntries(names.map((k) => [k, { cpp: [], capi: [], raw: [], node: [], ratio: [], capiRatio: [], rawRatio: [] }]));
for (let r = 0; r < ROUNDS; r++) {
  const cpp = cppMedians();
  for (const k of names) {
    const c = cpp[`BM_cpp_${k}`];
    const [p, raw] = perCallNs(rawCalls[k] ? [nodeCalls[k], rawCalls[k]] : [nodeCalls[k]], REPETITIONS);
    rounds[k].cpp.push(c);
    rounds[k].node.push(p);
    rounds[k].ratio.push(p / c);
    const ca = cpp[`BM_c_${k}`]; // the C ABI through libretold_c.so.1 (newer bench_capi only)
    if (ca !== undefined) {
      rounds[k].capi.push(ca);
      rounds[k].capiRatio.push(p / ca);
    }
    if (raw !== undefined) {
      rounds[k].raw.push(raw);
      rounds[k].rawRatio.push(p / raw);
    }
  }
}
console.log(`retold ${retold.version()}, Node.js ${process.version}, koffi ${N.koffi.version}, ${ROUNDS} rounds x ${REPETITIONS} repetitions; ns per call (median over rounds)`);
const pad = (s, n) => String(s).padStart(n);
console.log(`${'call'.padEnd(20)}${pad('C++', 10)}${pad('C ABI', 10)}${pad('koffi raw', 12)}${pad('retold (js)', 13)}${pad('js/C++', 9)}${pad('js-C++ ns', 11)}${pad('js/C ABI', 10)}${pad('js/raw', 9)}`);
for (const k of names) {
  const r = rounds[k];
  const c = median(r.cpp);
  const p = median(r.node);
  const raw = r.raw.length ? median(r.raw).toFixed(0) : '-';
  const rawRatio = r.rawRatio.length ? median(r.rawRatio).toFixed(2) : '-';
  const capi = r.capi.length ? median(r.capi).toFixed(0) : '-';
  const capiRatio = r.capiRatio.length ? median(r.capiRatio).toFixed(2) : '-';
  console.log(`${k.padEnd(20)}${pad(c.toFixed(0), 10)}${pad(capi, 10)}${pad(raw, 12)}${pad(p.toFixed(0), 13)}${pad(median(r.ratio).toFixed(2), 9)}${pad((p - c).toFixed(0), 11)}${pad(capiRatio, 10)}${pad(rawRatio, 9)}`);
}
d.close();
