#!/usr/bin/env python3
"""Writes the hand-made seed inputs of tests/fuzz/corpus/{text,input,capi} (the state and
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

# ---- fuzz_capi: op sequences (decoder: fuzz_capi.cpp, one_op)
def s(b):  # a length-prefixed string
    return bytes([len(b)]) + b

new_default = bytes([0, 0, 0x02])                      # new(&dedups[0], defaults)
new_slot1 = bytes([0, 0, 0x03])                        # new(&dedups[1], defaults)
def add(slot, text, ts=0):                             # the always-valid add
    return bytes([15, slot, len(text) % 251]) + s(text) + struct.pack("<H", ts)
def query(text):
    return bytes([4, 0, 0x05]) + s(text) + bytes([0, 2, 1, 0]) + bytes(8) + bytes([1])
texts = [r["text"][:120].encode() for r in records[:6]]
save = bytes([8, 0, 0])
load = bytes([9, 0x03, 0])
sig = bytes([10, 0, 0x05]) + s(texts[0]) + bytes([0x02])
sig_ops = bytes([11, 0, 0x00, 1]) + s(b"RTSG\x01\x00\x01\x00\x01\x00\x00\x00" + bytes(8) + b"\x01\x02\x03\x04") + bytes([0, 1])
stories = bytes([12, 0, 0, 2]) + bytes([4, 4])
stats = bytes([13, 0, 0])
batch = bytes([3, 0, 0, 2]) + bytes([0, 4]) + s(b"b-1") + bytes([5]) + s(texts[1]) + b"\x00\x01" + \
        bytes([0, 4]) + s(b"b-2") + bytes([5]) + s(texts[2]) + b"\x00\x02"
hostile_batch = bytes([3, 0, 1, 1, 0, 4]) + s(b"h") + bytes([5]) + s(b"x") + b"\x00\x00" + bytes([0])
put("capi", "basic", new_default + b"".join(add(0, t, i) for i, t in enumerate(texts)) + query(texts[0]) + stories + stats)
put("capi", "save_load", new_default + add(0, texts[0]) + add(0, texts[1]) + save + load + query(texts[1]) +
    bytes([12, 1, 0, 0]) + bytes([4, 4]))
put("capi", "batch_sig", new_default + batch + hostile_batch + sig + sig_ops + bytes([14, 0x1F, 1, 2, 3, 4]))
opts_nonnull = bytes([0, 2, 0, 0, 1, 3, 4, 1, 9, 0, 0, 3, 1, 1, 1, 0, 0, 1, 0, 2, 3, 3, 3, 3, 4, 1, 2, 1, 1, 0x02])
put("capi", "options_ivf", opts_nonnull + b"".join(add(0, t, i) for i, t in enumerate(texts)) + query(texts[2]) +
    bytes([5, 0, 0, 4]))
put("capi", "wrong_handles", new_default + sig + bytes([2, 6, 0, 0, 4]) + s(b"x") + bytes([5]) + s(b"t") + b"\x00\x00" +
    bytes([13, 6, 0, 11, 6, 0, 0]) + bytes([1, 0, 2, 7, 0, 4]) + s(b"y") + bytes([5]) + s(b"z") + b"\x00\x00")
print("seeds written under", corpus)
