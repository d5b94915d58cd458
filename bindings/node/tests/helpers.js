'use strict';
// Shared fixtures of the node --test suite. The suite runs against the library named by
// $RETOLD_LIB (run_tests.sh sets it from BUILD_DIR); the seed tests need $RETOLD_SEED_TOOL
// (BUILD_DIR/tests/c/seed_clusters_cpp) and the seeds directory ($RETOLD_SEEDS_DIR or seeds/).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PACKAGE_ROOT = path.resolve(__dirname, '..');
const REPO_ROOT = path.resolve(PACKAGE_ROOT, '..', '..');
const SEEDS_DIR = process.env.RETOLD_SEEDS_DIR || path.join(REPO_ROOT, 'seeds');

const RATE = 'The central bank of Examplestan raised its main interest rate by half a percentage point ' +
  'on Tuesday to 7.5 percent, citing persistent inflation in food and energy prices. Governor ' +
  'Ana Petrova told reporters in the capital after the board meeting that further increases ' +
  'could not be ruled out if the currency kept weakening against the dollar and the euro.';
const RATE_COPY = RATE + ' Analysts polled last week had expected the move.';
const FOOTBALL = 'Riverside United beat Harbour City 3-1 in the cup semi-final on Saturday, with two late ' +
  'goals from the substitute striker sealing a place in the final for the first time since ' +
  '1998. The coach praised the young squad and said the club would now aim for the title.';
const WEATHER = 'Forecasters expect heavy snow across the northern mountains over the weekend, with up to ' +
  'forty centimetres on the high passes, and warned drivers to carry chains. Temperatures in ' +
  'the lowlands will stay just above freezing until Wednesday, when a warmer front arrives.';

/** Deterministic pseudo-random words (mulberry32), so every run adds the same texts. */
function textOf(seed, i, words = 60) {
  let x = (seed * 100003 + i * 7919 + 1) >>> 0;
  const next = () => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = Math.imul(x ^ (x >>> 15), 1 | x);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  const out = [];
  for (let w = 0; w < words; w++) {
    const len = 4 + (next() % 6);
    let s = '';
    for (let c = 0; c < len; c++) s += String.fromCharCode(97 + (next() % 26));
    out.push(s);
  }
  return out.join(' ');
}

function corpus() {
  return fs.readFileSync(path.join(SEEDS_DIR, 'corpus.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

function golden() {
  return JSON.parse(fs.readFileSync(path.join(SEEDS_DIR, 'expected_clusters.json'), 'utf8'));
}

function tmpDir(prefix = 'retold-node-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

module.exports = { PACKAGE_ROOT, REPO_ROOT, SEEDS_DIR, RATE, RATE_COPY, FOOTBALL, WEATHER, textOf, corpus, golden, tmpDir };
