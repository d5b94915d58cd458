'use strict';
// The README's first example is examples/quickstart.js, word for word, and runs as written; the
// other examples run too.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { PACKAGE_ROOT, tmpDir } = require('./helpers');

function run(example, args = []) {
  const cwd = tmpDir();
  const out = execFileSync(process.execPath, [path.join(PACKAGE_ROOT, 'examples', example), ...args], { cwd, encoding: 'utf8', env: process.env });
  return { cwd, lines: out.trim().split('\n') };
}

test('the README example is examples/quickstart.js', () => {
  const readme = fs.readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const block = readme.match(/```js\n([\s\S]*?)```/)[1];
  assert.equal(block, fs.readFileSync(path.join(PACKAGE_ROOT, 'examples', 'quickstart.js'), 'utf8'));
});

test('examples/quickstart.js prints what its comments say', () => {
  const { cwd, lines } = run('quickstart.js');
  assert.equal(lines[0], 'false 1 reuters-1 model');
  assert.equal(lines[1], 'reuters-1');
  assert.match(lines[2], /^reuters-1 1 \d\.\d\d$/);
  assert.match(lines[3], /^unn-1 1 \d\.\d\d$/);
  assert.equal(lines[4], '[ true, false ] RETOLD_EDUPLICATE');
  assert.equal(lines[5], "[ [ 'reuters-1', 'unn-1' ] ]");
  assert.equal(lines[6], "1 [ 'Reuters', 'AP', 'AFP' ]");
  assert.ok(fs.statSync(path.join(cwd, 'state')).isDirectory());
});

test('examples/async.js', () => {
  const dir = path.join(tmpDir(), 'state');
  const { lines } = run('async.js', [dir]);
  assert.deepEqual(lines, ['added 500', 'loaded 500', 'the event loop ticked meanwhile: true']);
});

test('examples/worker_threads.js', () => {
  const { lines } = run('worker_threads.js');
  assert.deepEqual(lines, ['added by the workers: 60 stored: 60']);
});
