'use strict';
// index.d.ts type-checks, and a program using it (tests/types/usage.ts, with misuses that must
// not compile) passes `tsc --noEmit --strict`. TypeScript is a devDependency from npm.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

test('tsc --noEmit on tests/types/usage.ts', () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', path.join(__dirname, 'types', 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
});

test('index.d.ts declares every export of index.js', () => {
  const ts = require('typescript');
  const file = path.join(__dirname, '..', 'index.d.ts');
  const program = ts.createProgram([file], { noEmit: true, types: [], lib: ['lib.es2022.d.ts'] });
  const checker = program.getTypeChecker();
  const declared = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file))).map((s) => s.name);
  const values = Object.keys(require('..'));
  for (const name of values) assert.ok(declared.includes(name), `index.d.ts lacks ${name}`);
});
