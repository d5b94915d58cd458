#!/usr/bin/env python3
"""Writes the hand-made seed inputs of tests/fuzz/corpus/{text,input,capi} and the re-encoded
capi regressions of tests/fuzz/regressions/capi (the state and
signature seeds come from real saved states: fuzz_make_seeds). Deterministic; run from anywhere:
    tests/fuzz/make_seeds.py
Each seed starts with the option bytes its target decodes (see the target's header comment)."""
import gzip
import json
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
corpus = os.path.join(here, "corpus")


def put(target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


records = [json.loads(l) for l in open(os.path.join(root, "seeds", "corpus.jsonl"), encoding="utf-8")]
unn = open(os.path.join(root, "seeds", "unn_seed.txt"), "rb").read()[:1200]

# ---- fuzz_text: 8 option bytes + text
texts = {
    "unn": unn,
    "turkish": "İstanbul'da ISPARTA ıspanak İSTANBUL istanbul Iğdır".encode(),
    "urdu_zwnj": "پاکستان\u200cکی حکومت نے\u00ad اعلان کیا ﬁnal ＦＩＮＡＬ".encode(),
    "invalid": b"valid \xc3\x28 overlong \xc0\xaf surrogate \xed\xa0\x80 end \xf4\x90\x80\x80 \xff",
    "boilerplate": b"KYIV (Reuters) - Talks resumed.\nRead also\nThis was reported by UNN with reference to Reuters.\n"
                   b"Reporting by Jane Doe; Editing by John Roe\nSubscribe to our channel.\n\nDetails:\nMore text here.",
    "mixed": "Ελλάδα Россия 日本語のテキスト ١٢٣ ½ ② x\u0301 \U0001F600 a-b_c.d".encode(),
}
opts = [bytes([0b00111, 4, 0x7F, 0, 0, 1, 2, 3]), bytes([0b11010, 2, 0x0F, 0, 1, 9, 9, 9]),
        bytes([0b01101, 0, 0xFF, 0xFF, 0, 0, 0, 0]), bytes([0b00000, 7, 0, 0, 1, 0, 0, 0])]
for i, (name, t) in enumerate(sorted(texts.items())):
    put("text", f"{name}.txt", opts[i % len(opts)] + t)

# ---- fuzz_input: 4 option bytes + file
def jl(recs):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs).encode()

short = [dict(r, text=r["text"][:200]) for r in records[:4]]
put("input", "jsonl", bytes([0x01, 0, 0, 3]) + jl(short))
put("input", "jsonl_auto_vectors", bytes([0x10 | 0x20, 0, 3, 1]) +
    jl([dict(r, vector=[0.5, -1, 2e3]) for r in short[:2]] + [{"id": 7, "text": "no vector", "vector": "x"}]))
put("input", "jsonl_bad_lines", bytes([0x01 | 0x40, 0, 0, 2]) +
    b'{"id": "a", "text": "ok"}\n{"id": "b", "text": "\\ud800 lone"}\n{not json}\n\n[1,2]\n'
    b'{"id": "", "text": "empty id"}\n{"id": "c", "text": "\xff"}\n{"id": "d", "text": 5, "timestamp": "2024-13-40"}\n'
    b'{"id": "e", "text": "t", "timestamp": "2024-03-05T09:05:00.123+02:00", "title": null}\r\n')
put("input", "csv", bytes([0x02 | 0x04, 0, 0, 4]) +
    b'id,text,title,timestamp,source\n1,"Hello, ""world""\nsecond line",T,2024-03-05,AP\n2,plain,,2024-03-05 09:05,\n'
    b'3,"unterminated\n4,too,many,fields,here,x\n')
put("input", "tsv_auto", bytes([0x00 | 0x08, 1, 0, 2]) +
    b'id\ttext\tvector\n1\tsome text\t[1,2]\n2\t"quoted\ttab"\t\n')
put("input", "gzip", bytes([0x00 | 0x0C, 0, 0, 8]) + gzip.compress(jl(short[:2]), mtime=0))
put("input", "renamed_fields", bytes([0x01 | 0x80, 0, 0, 1]) + b'{"text": "id-1", "body": "the body", "": "t"}\n')

# ---- fuzz_capi: op sequences (decoder: fuzz_capi.cpp, one_op; ABI 1.0)
def s(b):  # a length-prefixed string
    return bytes([len(b)]) + b

DEFAULTS = b"\x00"                                    # make_options: `which` 0 = the defaults
new_default = bytes([0]) + DEFAULTS + bytes([0x02])    # new(&dedups[0], defaults)
new_slot1 = bytes([0]) + DEFAULTS + bytes([0x03])      # new(&dedups[1], defaults)
def add(slot, text, ts=0):                             # the always-valid add (op 15)
    return bytes([15, slot, len(text) % 251]) + s(text) + struct.pack("<H", ts)
def query(text, b=0x00, pl=0x00, after=1, extra=b""):  # query into the kept match list
    # top_k pick 2 (1), include_rejected 1, has_timestamp 0, timestamp, min_score pick 12 (keep 0),
    # prepare_list byte pl (1: dispose first), `extra` (item_size pick when b & 8), dispose-after byte
    return bytes([4, 0, 0x05]) + s(text) + bytes([b, 2, 1, 0]) + bytes(8) + bytes([12, pl]) + extra + bytes([after])
texts = [r["text"][:120].encode() for r in records[:6]]
save = bytes([8, 0, 0])                                # dedups[0] -> scratch/capi-state
save_slot1 = bytes([8, 1, 0])
save_replace_slot1 = bytes([8, 1, 8])
def load(b=0x03, opts=DEFAULTS, mask_byte=0):          # load into dedups[b & 1]
    return bytes([9, b]) + opts + bytes([mask_byte])
sig = bytes([10, 0, 0x05]) + s(texts[0]) + bytes([0x02])
sig_ops = bytes([11, 0, 0x00, 1]) + s(b"RTSG\x01\x00\x01\x00\x01\x00\x00\x00" + bytes(8) + b"\x01\x02\x03\x04") + bytes([0, 1])
# stories: b 0, prepare_list 0, min_members pick 2, prepare_list 1 (dispose), cluster id byte 1 -> 1 + 4 % 8,
# prepare_list 1, two ids picked from the stored ones
stories = bytes([12, 0, 0, 0, 2, 1, 1, 4, 1]) + bytes([3, 0, 3, 1])
stats = bytes([13, 0, 0])
def doc(id_, text, ts=1):                              # make_doc: b 0, id string, text, u16 time
    return bytes([0, 4]) + s(id_) + bytes([5]) + s(text) + struct.pack("<H", ts)
batch = bytes([3, 0, 0, 2]) + doc(b"b-1", texts[1]) + doc(b"b-2", texts[2], 2)
hostile_batch = bytes([3, 0, 1, 1]) + doc(b"h", b"x", 0) + bytes([0])
options_init = bytes([14, 0x1F, 11, 3, 13, 1]) + struct.pack("<I", 0xFFFFFF9D)
put("capi", "basic", new_default + b"".join(add(0, t, i) for i, t in enumerate(texts)) + query(texts[0]) + stories + stats +
    options_init)
put("capi", "save_load", new_default + add(0, texts[0]) + add(0, texts[1]) + save + load() + query(texts[1]) +
    load(0x03, DEFAULTS, 2) + bytes([12, 1, 0, 0, 2, 1, 1, 4, 1, 3, 0, 3, 1]) + bytes([17, 0x18]) + bytes([17, 0x21]))
put("capi", "batch_sig", new_default + batch + hostile_batch + sig + sig_ops + options_init)
# options: which 0x21 (embeddings group): builtin, no external dimension, embedder dimension 64,
# n-grams as default, 12 bucket bits, weights kept, seed 0, IVF with nlist 2, nprobe 4; sources
opts_ivf = bytes([0x21, 0, 0, 4, 0, 0, 0, 2, 12, 12, 1, 0, 2, 2, 3, 1, 0, 0]) + bytes([1])
put("capi", "options_ivf", bytes([0]) + opts_ivf + bytes([0x02]) + b"".join(add(0, t, i) for i, t in enumerate(texts)) +
    query(texts[2]) + bytes([5, 0, 0, 64, 1]))
put("capi", "wrong_handles", new_default + sig + bytes([2, 6, 0]) + doc(b"x", b"t", 0) +
    bytes([13, 6, 0, 11, 6, 0, 0]) + s(b"") + bytes([0, 0]) + bytes([1, 0, 2, 7, 0]) + doc(b"y", b"z", 0) +
    bytes([10, 6, 0x05]) + s(b"text") + bytes([0x01]))
# struct_size: a newer document (zero tail) and result, a newer document using an unknown field
# (refused), an ABI 1.0 options struct from get_options, stats too small and newer, a list filled
# twice without dispose (refused), then with a newer item size
put("capi", "struct_sizes", new_default + add(0, texts[0]) +
    bytes([2, 0, 0x0C]) + doc(b"s-1", texts[1]) + bytes([11, 1]) + bytes([11, 2]) +
    bytes([2, 0, 0x04]) + doc(b"s-2", texts[2]) + bytes([12, 0, 3, 7]) +
    bytes([2, 0, 0x0C]) + doc(b"s-3", texts[3]) + bytes([9]) + bytes([13, 1]) +
    bytes([13, 0, 0x06, 9, 10]) + bytes([13, 0, 0x06, 11, 6, 11, 0]) +
    query(texts[0], after=0) + query(texts[1]) + query(texts[1], 0x08, 1, 1, bytes([11, 1])) + stories +
    bytes([3, 0, 0xA0, 2, 11, 0]) + doc(b"s-4", texts[4]) + doc(b"s-5", texts[5]) + bytes([11, 1]) +
    bytes([3, 0, 0x40, 2]) + doc(b"s-6", texts[4]) + doc(b"s-7", texts[5]) + bytes([0]) +
    bytes([14, 0x0A, 10, 8]) + struct.pack("<I", 0))
# presets (known, unknown, NULL) and loads with override masks (known, unknown, NULL overrides)
put("capi", "presets_overrides", new_default + add(0, texts[0]) + add(0, texts[1]) + save +
    bytes([16, 0x24]) + DEFAULTS + bytes([16, 0x25]) + DEFAULTS + bytes([16, 0x02]) + DEFAULTS +
    bytes([16, 0x03]) + DEFAULTS + bytes([16, 0x05]) + DEFAULTS + bytes([16, 0x07]) + DEFAULTS + bytes([16, 0x08]) + DEFAULTS +
    bytes([16, 0x80]) + DEFAULTS + s(b"stories") + bytes([16, 0x40]) + DEFAULTS +
    bytes([16, 0x00, 0x80, 9]) + bytes([16, 0x00, 0x80, 10]) +
    # runtime group: decision rule, jaccard 0.2, copy 0.9, time window 86400, retention 86400; sources
    load(0x03, bytes([0x41, 0, 2, 0, 12, 1, 12, 12, 12, 3, 2, 0, 1, 0, 1]), 4) +
    load(0x03, DEFAULTS, 7) + load(0x03, DEFAULTS, 8) + load(0x23, DEFAULTS, 2) + load(0x03, DEFAULTS, 0x80 | 11) +
    load(0x03, bytes([0x80, 10]), 4) + load(0x03, bytes([0x80, 12, 0, 3, 1]), 4) + bytes([17, 0x08]))

# Regressions, re-encoded for this decoder (the cause each file is named after):
def put_regression(target, name, data):
    d = os.path.join(here, "regressions", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

# add_batch with counts no array can have gave RETOLD_EINTERNAL (length_error) instead of EINVALID.
put_regression("capi", "add-batch-huge-count-internal", new_default + add(0, texts[0]) +
               bytes([3, 0, 1, 0, 0]) + bytes([3, 0, 1, 0, 1]) + bytes([3, 0, 1, 0, 2]) +
               bytes([3, 0, 1, 1]) + doc(b"h", b"x", 0) + bytes([2]) +
               bytes([3, 0, 0x21, 0, 11, 0, 2]) + bytes([3, 0, 0x29, 2, 11, 3]) + doc(b"h1", b"x") + doc(b"h2", b"y") + bytes([0]))
# A save over another writer's state returned RETOLD_ECONFLICT, which the status check did not know.
put_regression("capi", "save-conflict-status", new_default + add(0, texts[0]) + save + new_slot1 + add(1, texts[1]) +
               save_slot1 + save_replace_slot1 + save + load(0x01) + add(1, texts[2]) + save_slot1)
print("seeds written under", corpus)
