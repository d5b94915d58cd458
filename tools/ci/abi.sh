#!/usr/bin/env bash
# The C ABI check: compares the exported ABI of libretold_c with the baseline recorded in abi/ and
# fails when it breaks callers without a new SOVERSION.
#
#   tools/ci/abi.sh                 check BUILD/libretold_c.so (RETOLD_ABI_BUILD, default build/)
#   tools/ci/abi.sh --lib LIB [--include DIR]
#                                   check another build of the library (DIR: its include/, for the
#                                   header constants; default the repository's)
#   tools/ci/abi.sh --update        record the current ABI as the baseline (then commit abi/)
#
# What is compared:
#   abi/libretold_c.abi      abidw (Debian abigail-tools) of the library's exported interfaces:
#                            every retold_* symbol and its version node, every function's
#                            signature, every struct layout reachable from them (the shim is
#                            compiled with -g for this; see CMakeLists.txt);
#   abi/retold_h.constants   every enumerator and constant macro of retold.h (status codes, enum
#                            values, RETOLD_OPTION_* bits, RETOLD_C_ABI_VERSION) with its value:
#                            DWARF does not carry them.
# The rules (docs/c_api.md, "Versioning"): a function may be added; a struct that starts with
# struct_size may gain fields at its end; a constant may be added (and an *_ALL_* mask may gain
# bits). Anything else - a removed or
# changed function, a reordered, retyped or removed field, a frozen struct (retold_scores) that
# changed, a constant that changed value or disappeared - is a break, allowed only together with a
# new SOVERSION (CMakeLists.txt, RETOLD_C_SOVERSION), after which the baseline is recorded again.
# An addition not yet in the baseline fails too: record it (--update), so that removing it later
# is caught. abidiff's own report is printed with every difference.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
baseline_dir=$root/abi
build=${RETOLD_ABI_BUILD:-$root/build}
lib=""
include_dir=$root/include
mode=check
while [ $# -gt 0 ]; do
  case "$1" in
    --update) mode=update ;;
    --lib) lib=$2; shift ;;
    --include) include_dir=$2; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "abi.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

for tool in abidw abidiff python3 cc; do
  if ! command -v "$tool" >/dev/null; then
    echo "abi.sh: $tool not found (apt-get install abigail-tools python3 gcc; tools/setup.sh does)" >&2
    exit 1
  fi
done

if [ -z "$lib" ]; then
  if [ ! -e "$build/libretold_c.so" ]; then
    echo "abi.sh: building retold_c in $build"
    cmake --build "$build" --target retold_c >/dev/null
  fi
  lib=$build/libretold_c.so
fi
lib=$(readlink -f "$lib")
version_include=$(dirname "$lib")/include
[ -f "$version_include/retold/version.h" ] || version_include=$build/include

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- the current ABI
abidw --exported-interfaces-only --no-corpus-path --no-show-locs --type-id-style hash "$lib" >"$work/current.abi"

# ---- the current constants: a C program prints every enumerator and constant macro of retold.h
header=$include_dir/retold/retold.h
python3 - "$header" >"$work/constants.c" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
names = []
for m in re.finditer(r"^\s*(RETOLD_[A-Z0-9_]+)\s*=", text, re.M):           # enumerators
    names.append(m.group(1))
for m in re.finditer(r"^#define\s+(RETOLD_[A-Z0-9_]+)(\s|$)", text, re.M):   # object-like macros
    n = m.group(1)
    if n in ("RETOLD_C_API", "RETOLD_RETOLD_H") or n.endswith("_INIT"):
        continue
    names.append(n)
print("#include <retold/retold.h>\n#include <stdio.h>\nint main(void) {")
for n in sorted(set(names)):
    print(f'  printf("%s %lld\\n", "{n}", (long long)({n}));')
print("  return 0;\n}")
PY
cc -std=c99 -I"$include_dir" -I"$version_include" "$work/constants.c" -o "$work/constants"
"$work/constants" >"$work/current.constants"

if [ "$mode" = update ]; then
  mkdir -p "$baseline_dir"
  cp "$work/current.abi" "$baseline_dir/libretold_c.abi"
  cp "$work/current.constants" "$baseline_dir/retold_h.constants"
  echo "abi.sh: recorded the ABI of $lib ($(grep -o "soname='[^']*'" "$work/current.abi")) in $baseline_dir"
  exit 0
fi

for f in libretold_c.abi retold_h.constants; do
  if [ ! -f "$baseline_dir/$f" ]; then
    echo "abi.sh: no baseline $baseline_dir/$f: record one with tools/ci/abi.sh --update" >&2
    exit 1
  fi
done

set +e
abidiff "$baseline_dir/libretold_c.abi" "$work/current.abi" >"$work/abidiff.txt" 2>&1
abidiff_rc=$?
set -e
if [ $((abidiff_rc & 3)) -ne 0 ]; then
  echo "abi.sh: abidiff failed (exit $abidiff_rc):" >&2
  cat "$work/abidiff.txt" >&2
  exit 1
fi

# ---- classify every difference (abidiff reports a reordered field and an appended one alike)
python3 - "$baseline_dir/libretold_c.abi" "$work/current.abi" "$baseline_dir/retold_h.constants" \
          "$work/current.constants" "$abidiff_rc" "$work/abidiff.txt" <<'PY'
import sys
import xml.etree.ElementTree as ET

base_abi, cur_abi, base_const, cur_const, abidiff_rc, abidiff_txt = sys.argv[1:7]

def corpus(path):
    root = ET.parse(path).getroot()
    types, functions, structs = {}, {}, {}
    for el in root.iter():
        if "id" in el.attrib and el.tag in ("type-decl", "typedef-decl", "pointer-type-def", "qualified-type-def",
                                             "class-decl", "enum-decl", "array-type-def", "function-type",
                                             "reference-type-def", "union-decl"):
            # keep a full definition over a declaration of the same id
            if el.attrib["id"] not in types or types[el.attrib["id"]].get("is-declaration-only") == "yes":
                types[el.attrib["id"]] = el

    def name(tid, depth=0):
        if tid == "type-id-void" or tid is None:
            return "void"
        el = types.get(tid)
        if el is None or depth > 20:
            return "?" + str(tid)
        t = el.tag
        if t in ("type-decl", "typedef-decl", "enum-decl"):
            return el.get("name")
        if t == "class-decl":
            return "struct " + el.get("name", "?")
        if t == "pointer-type-def":
            return name(el.get("type-id"), depth + 1) + "*"
        if t == "qualified-type-def":
            return ("const " if el.get("const") == "yes" else "") + ("volatile " if el.get("volatile") == "yes" else "") + name(el.get("type-id"), depth + 1)
        if t == "array-type-def":
            return name(el.get("type-id"), depth + 1) + "[" + el.get("size-in-bits", "?") + "b]"
        if t == "function-type":
            params = [name(p.get("type-id"), depth + 1) for p in el.findall("parameter")]
            ret = el.find("return")
            return "fn(" + ",".join(params) + ")->" + (name(ret.get("type-id"), depth + 1) if ret is not None else "void")
        return t

    for fn in root.iter("function-decl"):
        if not fn.get("elf-symbol-id"):
            continue
        params = [name(p.get("type-id")) for p in fn.findall("parameter")]
        ret = fn.find("return")
        functions[fn.get("elf-symbol-id")] = (name(ret.get("type-id")) if ret is not None else "void", params)
    for el in types.values():
        if el.tag != "class-decl" or el.get("is-declaration-only") == "yes" or not el.get("name", "").startswith("retold_"):
            continue
        members = []
        for dm in el.findall("data-member"):
            var = dm.find("var-decl")
            members.append((var.get("name"), int(dm.get("layout-offset-in-bits")), name(var.get("type-id"))))
        structs[el.get("name")] = (int(el.get("size-in-bits", "0")), members)
    soname = root.get("soname", "")
    return soname, functions, structs

def constants(path):
    out = {}
    for line in open(path):
        if line.strip():
            k, v = line.split()
            out[k] = int(v)
    return out

b_soname, b_fns, b_structs = corpus(base_abi)
c_soname, c_fns, c_structs = corpus(cur_abi)
b_const, c_const = constants(base_const), constants(cur_const)

# The check must not pass vacuously: without DWARF there are symbols but no layouts.
for must in ("retold_dedup_options", "retold_document", "retold_stats", "retold_match_list", "retold_scores"):
    if must not in c_structs:
        print(f"abi.sh: the library's debug info has no layout of {must}: is the shim compiled with -g?")
        sys.exit(1)
if len(c_fns) < 30:
    print(f"abi.sh: only {len(c_fns)} exported functions with signatures found")
    sys.exit(1)

breaks, additions = [], []
for sym, sig in b_fns.items():
    if sym not in c_fns:
        breaks.append(f"function {sym} was removed (or its symbol version changed)")
    elif c_fns[sym] != sig:
        breaks.append(f"function {sym} changed: {sig[0]} ({', '.join(sig[1])}) -> {c_fns[sym][0]} ({', '.join(c_fns[sym][1])})")
for sym in c_fns:
    if sym not in b_fns:
        additions.append(f"function {sym} added")
for sname, (bsize, bmembers) in b_structs.items():
    if sname not in c_structs:
        if any(sname in s for sig in c_fns.values() for s in [sig[0]] + sig[1]):
            breaks.append(f"struct {sname} lost its definition")
        continue
    csize, cmembers = c_structs[sname]
    growable = bool(bmembers) and bmembers[0][0] == "struct_size"
    if cmembers[:len(bmembers)] != bmembers:
        for i, m in enumerate(bmembers):
            now = cmembers[i] if i < len(cmembers) else None
            if now != m:
                breaks.append(f"struct {sname}: field {m[0]} (offset {m[1]} bits, {m[2]}) is now "
                              + (f"{now[0]} (offset {now[1]} bits, {now[2]})" if now else "gone"))
                break
    elif csize != bsize or len(cmembers) != len(bmembers):
        if not growable:
            breaks.append(f"struct {sname} is frozen (no struct_size) but changed size {bsize} -> {csize} bits")
        elif csize < bsize:
            breaks.append(f"struct {sname} shrank {bsize} -> {csize} bits")
        else:
            additions.append(f"struct {sname} grew {bsize} -> {csize} bits: "
                             + ", ".join(m[0] for m in cmembers[len(bmembers):]) + " appended")
for sname in c_structs:
    if sname not in b_structs:
        additions.append(f"struct {sname} added")
for k, v in b_const.items():
    if k not in c_const:
        breaks.append(f"constant {k} was removed")
    elif c_const[k] != v:
        # a mask of "every bit this header knows" may only gain bits
        if "_ALL_" in k and c_const[k] & v == v:
            additions.append(f"constant {k} gained bits {v:#x} -> {c_const[k]:#x}")
        else:
            breaks.append(f"constant {k} changed value {v} -> {c_const[k]}")
for k in c_const:
    if k not in b_const:
        additions.append(f"constant {k} = {c_const[k]} added")
if int(abidiff_rc) & 8 and not breaks:
    breaks.append("abidiff reports an incompatible change (see its report)")

def show(title, items):
    if items:
        print(title)
        for i in items:
            print("  - " + i)

report = open(abidiff_txt).read().strip()
if breaks or additions:
    print("abidiff report (baseline -> current):\n" + "\n".join("  " + l for l in report.splitlines()))
show("ABI breaks:", breaks)
show("ABI additions:", additions)
if breaks:
    if c_soname == b_soname:
        print(f"abi.sh: FAIL: the ABI breaks callers of {b_soname} and SOVERSION did not move. Undo the break, "
              "or raise RETOLD_C_SOVERSION in CMakeLists.txt and record the new baseline (tools/ci/abi.sh --update).")
        sys.exit(1)
    print(f"abi.sh: the ABI breaks, and SOVERSION moved ({b_soname} -> {c_soname}): allowed. Record the new "
          "baseline with tools/ci/abi.sh --update and commit abi/.")
    sys.exit(0)
if additions:
    print("abi.sh: FAIL: the ABI grew compatibly but the baseline does not record it yet: run "
          "tools/ci/abi.sh --update and commit abi/ (so that removing it later is caught).")
    sys.exit(1)
if c_soname != b_soname:
    print(f"abi.sh: note: SOVERSION moved ({b_soname} -> {c_soname}) without an ABI break")
print(f"abi.sh: OK: {c_soname}, {len(c_fns)} functions, {len(c_structs)} structs, {len(c_const)} constants "
      "as recorded in abi/")
PY
