'use strict';
// The seed corpus clusters the same through Node.js (-> koffi -> C ABI -> C++) as through the
// C++ API directly (tests/c/seed_clusters_cpp, $RETOLD_SEED_TOOL), and as the golden file
// seeds/expected_clusters.json says (the rule of tests/dedup_test.cpp).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const retold = require('..');
const { corpus, golden, SEEDS_DIR } = require('./helpers');

const MODES = {
  hybrid: {},
  lexical: { embedding: 'none', jaccardThreshold: 0.25, lshThreshold: 0.2 },
};

function clusterCorpus(mode, how) {
  const g = golden();
  const d = new retold.Deduplicator({ sourcePriority: g.source_priority, ...MODES[mode] });
  const docs = corpus().map((r) => ({ id: r.id, text: r.text, timestamp: r.timestamp, source: r.source, title: r.title }));
  return { d, done: (async () => {
    if (how === 'add') {
      for (const doc of docs) d.add(doc.id, doc.text, doc);
    } else if (how === 'addBatch') {
      for (const r of d.addBatch(docs)) assert.equal(r.error, null);
    } else {
      for (const r of await d.addBatchAsync(docs)) assert.equal(r.error, null);
    }
  })() };
}

function plain(stories) {
  return stories.map((s) => ({ id: s.id, leader: s.leader, representative: s.representative, members: s.members.map((m) => m.id) }));
}

function cppStories(mode) {
  const tool = process.env.RETOLD_SEED_TOOL;
  if (!tool || !fs.existsSync(tool)) return null;
  return JSON.parse(execFileSync(tool, [mode, SEEDS_DIR], { encoding: 'utf8' })).stories;
}

for (const mode of Object.keys(MODES)) {
  for (const how of ['add', 'addBatch', 'addBatchAsync']) {
    test(`${mode} via ${how} clusters like the C++ API`, async (t) => {
      const expected = cppStories(mode);
      if (!expected) {
        // run_tests.sh always sets the tool; a missing one there is a failure, not a skip
        assert.ok(!process.env.RETOLD_REQUIRE_SEED_TOOL, 'RETOLD_SEED_TOOL is missing');
        t.skip('RETOLD_SEED_TOOL (BUILD_DIR/tests/c/seed_clusters_cpp) is not set');
        return;
      }
      const { d, done } = clusterCorpus(mode, how);
      try {
        await done;
        assert.deepEqual(plain(d.clusters()), expected);
      } finally {
        d.close();
      }
    });
  }

  test(`${mode} clusters as seeds/expected_clusters.json says`, async () => {
    const g = golden();
    const { d, done } = clusterCorpus(mode, 'add');
    try {
      await done;
      assert.equal(d.size, corpus().length);
      const seen = new Map();
      let paraphrasesFound = 0;
      for (const story of g.stories) {
        const ids = new Set();
        for (const m of story.members) {
          const c = d.cluster(d.clusterOf(m));
          if ((story.paraphrase_members || []).includes(m)) {
            // heavy paraphrases: alone with MinHash only; alone or in their story in hybrid mode
            if (mode === 'lexical' || c.members.length === 1) {
              assert.ok(c.members.length === 1 || mode !== 'lexical', `${m} found by MinHash alone`);
              continue;
            }
            paraphrasesFound++;
          }
          ids.add(c.id);
        }
        assert.equal(ids.size, 1, `story ${story.name} split into ${[...ids]}`);
        const [cid] = ids;
        assert.ok(!seen.has(cid), `stories ${story.name} and ${seen.get(cid)} merged`);
        seen.set(cid, story.name);
        assert.equal(d.cluster(cid).representative, story.representative, story.name);
      }
      assert.equal(seen.size, g.stories.length);
      if (mode === 'lexical') assert.equal(paraphrasesFound, 0);
    } finally {
      d.close();
    }
  });
}
