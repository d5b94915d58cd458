'use strict';
// The koffi declarations (lib/native.js) match include/retold/retold.h: every struct field by
// name, order, size and offset, every function by name, parameter count and parameter sizes,
// and the struct_size each side computes. Catches a field added to the header but not here.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const N = require('../lib/native');
const { REPO_ROOT } = require('./helpers');

const HEADER = process.env.RETOLD_HEADER || path.join(REPO_ROOT, 'include', 'retold', 'retold.h');
const source = fs.readFileSync(HEADER, 'utf8').replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');

const PRIMITIVE = { uint32_t: 4, int32_t: 4, uint64_t: 8, int64_t: 8, double: 8, float: 4, int: 4, uint8_t: 1, char: 1 };

function cStructs() {
  const out = new Map();
  for (const m of source.matchAll(/typedef\s+struct\s+(\w+)\s*\{([^}]*)\}\s*(\w+)\s*;/g)) {
    const fields = m[2].split(';').map((s) => s.trim()).filter(Boolean).map((decl) => {
      const name = decl.match(/(\w+)\s*$/)[1];
      const type = decl.slice(0, decl.length - name.length).trim();
      return { name, type };
    });
    out.set(m[1], fields);
  }
  return out;
}

const STRUCTS = cStructs();

/** A pointer type's name without const and spaces, char as uint8_t. */
function normal(type) {
  return type.replace(/\bconst\b/g, '').replace(/\bchar\b/g, 'uint8_t').replace(/\s+/g, '');
}

function sizeAlign(type) {
  if (type.includes('*')) return [8, 8];
  const base = type.replace(/\bconst\b/g, '').trim();
  if (PRIMITIVE[base]) return [PRIMITIVE[base], PRIMITIVE[base]];
  const nested = STRUCTS.get(base);
  if (nested) return layout(nested).slice(0, 2);
  throw new Error(`unknown C type ${type}`);
}

/** [size, alignment, offsets] of a C struct under the x86-64 System V rules. */
function layout(fields) {
  let off = 0;
  let align = 1;
  const offsets = [];
  for (const f of fields) {
    const [s, a] = sizeAlign(f.type);
    off = Math.ceil(off / a) * a;
    offsets.push(off);
    off += s;
    align = Math.max(align, a);
  }
  return [Math.ceil(off / align) * align, align, offsets];
}

test('every struct of the header is declared field by field', () => {
  const declared = Object.values(N.types);
  assert.deepEqual(new Set(declared.map((t) => t.name)), new Set(STRUCTS.keys()), 'the binding declares exactly the header\'s structs');
  for (const t of declared) {
    const fields = STRUCTS.get(t.name);
    const members = Object.values(t.members).sort((a, b) => a.offset - b.offset);
    assert.deepEqual(members.map((m) => m.name), fields.map((f) => f.name), `${t.name}: field names and order`);
    const [size, , offsets] = layout(fields);
    assert.deepEqual(members.map((m) => m.offset), offsets, `${t.name}: field offsets`);
    members.forEach((m, i) => assert.equal(m.type.size, sizeAlign(fields[i].type)[0], `${t.name}.${m.name}: size`));
    assert.equal(t.size, size, `${t.name}: sizeof`);
  }
});

test('every function of the header is declared with its parameters', () => {
  const fns = new Map();
  for (const m of source.matchAll(/RETOLD_C_API\s+([^;(]*?)\b(retold_\w+)\s*\(([^)]*)\)\s*;/g)) {
    const params = m[3].trim() === 'void' ? [] : m[3].split(',').map((p) => p.trim());
    fns.set(m[2], { ret: m[1].trim(), params });
  }
  const { fn } = N.native();
  assert.deepEqual(new Set(Object.keys(fn)), new Set(fns.keys()), 'the binding declares exactly the header\'s functions');
  for (const [name, { ret, params }] of fns) {
    const info = fn[name].info;
    assert.equal(info.arguments.length, params.length, `${name}: parameter count`);
    params.forEach((p, i) => {
      const type = p.replace(/\w+$/, '').trim();
      const k = info.arguments[i].type;
      if (type.includes('*')) {
        // the same pointee; text buffers are declared as uint8_t so that Buffers pass by address
        assert.equal(k.primitive === 'Pointer' || k.primitive === 'String', true, `${name}: parameter ${i} (${p}) is a pointer`);
        assert.equal(normal(k.name), normal(type), `${name}: parameter ${i} (${p})`);
      } else {
        assert.equal(k.size, sizeAlign(type)[0], `${name}: parameter ${i} (${p})`);
      }
    });
    const retSize = ret === 'void' ? 0 : ret.includes('*') ? 8 : sizeAlign(ret)[0];
    const kRet = info.result.primitive === 'Void' ? 0 : info.result.primitive === 'Pointer' || info.result.primitive === 'String' ? 8 : info.result.size;
    assert.equal(kRet, retSize, `${name}: result`);
  }
});

test('pinned values match the header', () => {
  const macro = (name) => {
    const m = source.match(new RegExp(`#define\\s+${name}\\s+\\(\\(uint64_t\\)1\\s*<<\\s*(\\d+)\\)`));
    return m ? 1n << BigInt(m[1]) : null;
  };
  for (const [field, bit] of Object.entries(N.OPTION_BITS)) {
    assert.equal(macro(`RETOLD_OPTION_${field.toUpperCase()}`), bit, field);
  }
  const enumValue = (name) => {
    const m = source.match(new RegExp(`\\b${name}\\s*=\\s*(-?\\d+)`));
    return m ? Number(m[1]) : null;
  };
  for (const [k, v] of Object.entries(N.Status)) assert.equal(enumValue(k === 'OK' ? 'RETOLD_OK' : `RETOLD_${k}`), v, k);
  for (const [k, v] of Object.entries(N.EMBEDDING)) assert.equal(enumValue(`RETOLD_EMBEDDING_${k.toUpperCase()}`), v, k);
  for (const [k, v] of Object.entries(N.MINHASH_SCHEME)) assert.equal(enumValue(`RETOLD_MINHASH_${k.toUpperCase()}`), v, k);
  for (const [k, v] of Object.entries(N.VECTOR_INDEX)) assert.equal(enumValue(`RETOLD_VECTOR_INDEX_${k.toUpperCase()}`), v, k);
  for (const [k, v] of Object.entries(N.MATCH_DECISION)) assert.equal(enumValue(`RETOLD_MATCH_${k.toUpperCase()}`), v, k);
  N.DECISIONS.forEach((d, i) => assert.equal(enumValue(`RETOLD_DECISION_${d.toUpperCase()}`), i, d));
  const abi = source.match(/#define\s+RETOLD_C_ABI_VERSION\s+(\d+)/);
  assert.equal(Number(abi[1]), N.ABI_VERSION);
  assert.equal(N.native().fn.retold_abi_version(), N.ABI_VERSION);
});
