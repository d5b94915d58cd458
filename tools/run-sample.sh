#!/usr/bin/env bash
# The main job on the sample corpus, from a fresh clone on Debian 12 (as root): installs what is
# missing, builds, and runs `retold dedup` over seeds/corpus.jsonl, printing the stories it found.
# The state is written to build/sample-state (started afresh on each run, so the command is
# idempotent); `retold query --state build/sample-state ...` can then ask it questions.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/setup.sh"
"$root/tools/build.sh" "$root/build" >/dev/null
rm -rf "$root/build/sample-state"
exec "$root/build/tools/retold" dedup "$root/seeds/corpus.jsonl" \
  --source-priority Reuters,AP,AFP,dpa,CTK,UNN,Ukrinform,RFE/RL,UNIAN \
  --state "$root/build/sample-state" --print-clusters "$@"
