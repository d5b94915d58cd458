const retold = require('retold');

const wire = "PARIS, March 5 (Reuters) - France has invited the foreign and defense ministers of " +
  "Ukraine's main allies and the NATO secretary general to a video call on Thursday to show a " +
  'united front and develop concrete proposals to strengthen support for Kyiv.';
const retelling = "France has invited the foreign and defense ministers of Ukraine's main allies and " +
  'the NATO secretary general to a video call on Thursday to show a united front and develop ' +
  'concrete proposals to strengthen support for Kyiv, UNN reports.';

const d = new retold.Deduplicator({ sourcePriority: ['Reuters', 'AP', 'AFP'] });
try {
  d.add('reuters-1', wire, { timestamp: '2024-03-05T09:05:00Z', source: 'Reuters' });
  const r = d.add('unn-1', retelling, { timestamp: '2024-03-05T11:40:00Z', source: 'UNN' });
  console.log(r.newStory, r.clusterId, r.leaderId, r.leaderScores.decision); // false 1 reuters-1 model
  console.log(d.representativeOf('unn-1'));                                  // reuters-1
  for (const m of d.query(`${wire} (Reporting by John Irish)`, { topK: 5 })) {
    console.log(m.id, m.clusterId, m.scores.score.toFixed(2));              // reuters-1 1 1.00, unn-1 1 0.83
  }
  const results = d.addBatch([{ id: 'ap-1', text: 'Bayern beat Lazio 3-0.', source: 'AP' },
    ['unn-1', 'a duplicate id']]);
  console.log(results.map((x) => x.error === null), results[1].error.code); // [ true, false ] RETOLD_EDUPLICATE
  console.log(d.clusters(2).map((c) => c.members.map((m) => m.id)));        // [ [ 'reuters-1', 'unn-1' ] ]
  d.save('state');
} finally {
  d.close();
}

const back = retold.Deduplicator.load('state', { timeWindow: 3 * 86400 }); // the rest as saved
console.log(back.clusterOf('unn-1'), back.options.sourcePriority);          // 1 [ 'Reuters', 'AP', 'AFP' ]
back.close();
