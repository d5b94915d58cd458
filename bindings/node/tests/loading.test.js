'use strict';
// How the package finds libretold_c: RETOLD_LIB (a file or a build directory), setLibraryPath(),
// and a clear error naming what was tried. Each case runs in a fresh process.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { PACKAGE_ROOT, tmpDir } = require('./helpers');
const retold = require('..');

function node(code, env) {
  const r = spawnSync(process.execPath, ['-e', code], { cwd: PACKAGE_ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr };
}

const lib = retold.libraryPath();

test('RETOLD_LIB names the file or its directory', () => {
  for (const value of [lib, path.dirname(lib)]) {
    const r = node("console.log(require('.').libraryPath(), require('.').version())", { RETOLD_LIB: value });
    assert.equal(r.status, 0, r.err);
    assert.equal(r.out.split(' ')[0], path.join(path.dirname(lib), path.basename(lib)));
  }
});

test('setLibraryPath() before the first call', () => {
  const r = node(`const r = require('.'); r.setLibraryPath(${JSON.stringify(path.dirname(lib))}); new r.Deduplicator().close(); console.log('ok')`, {});
  assert.equal(r.status, 0, r.err);
  assert.equal(r.out, 'ok');
});

test('a missing library is a clear error naming what was tried', () => {
  const missing = path.join(tmpDir(), 'libretold_c.so.1');
  const r = node("try { new (require('.').Deduplicator)(); } catch (e) { console.log(e.code); console.log(e.message); }", { RETOLD_LIB: missing });
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /^RETOLD_ENOLIBRARY\n/);
  assert.ok(r.out.includes(missing), r.out);
  assert.match(r.out, /RETOLD_LIB/);
});

test('another library is not taken for libretold_c', () => {
  const r = node("try { require('.').version(); } catch (e) { console.log(e.message); }", { RETOLD_LIB: 'libc.so.6' });
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /not the retold C ABI/);
});

test('setLibraryPath() after loading another path is refused', () => {
  assert.throws(() => retold.setLibraryPath('/elsewhere/libretold_c.so.1'), /already loaded/);
  retold.setLibraryPath(lib); // the same path is fine
  assert.throws(() => retold.setLibraryPath(''), TypeError);
});
