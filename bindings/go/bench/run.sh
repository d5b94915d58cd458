#!/usr/bin/env bash
# Per-call overhead of the Go binding against C (cgo with no wrapper) and C++, in one run.
#   bindings/go/bench/run.sh BUILD_DIR [ROUNDS]
# Builds the benchmark binary once (go test -c) against BUILD_DIR's libretold_c, then runs ROUNDS
# rounds (default 7); each round runs every Go benchmark once (the raw cgo call, then the call
# through package retold, on two handles holding the same 200 documents) and then, when
# BUILD_DIR/bench/bench_capi exists, the same calls through the C++ API on the same documents.
# Alternating the sides round by round spreads the machine's load over all of them. Prints the
# median ns/op of each and the ratios go/cgo and go/C++.
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [ROUNDS]" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
module=$(cd "$here/.." && pwd)
root=$(cd "$module/../.." && pwd)
build=$(cd "$1" && pwd)
rounds=${2:-7}
benchtime=${BENCHTIME:-0.5s}

export CGO_ENABLED=1
export CGO_CFLAGS="-I$root/include -I$build/include"
export CGO_LDFLAGS="-L$build -Wl,-rpath,$build"
export GOFLAGS=-mod=mod GOPROXY=off
export GOCACHE=${GOCACHE:-$build/go-cache}
export GOPATH=${GOPATH:-$build/go-path}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$module" && go test -c -o "$work/bench.test" ./bench)
cpp="$build/bench/bench_capi"
[ -x "$cpp" ] || { echo "run.sh: $cpp not built: C++ column left out" >&2; cpp=; }

for r in $(seq "$rounds"); do
  "$work/bench.test" -test.run '^$' -test.bench . -test.benchtime "$benchtime" -test.count 1 |
    awk '/^Benchmark/ { name=$1; sub(/-[0-9]+$/, "", name); print name, $3, $5 }' >> "$work/samples"
  if [ -n "$cpp" ]; then
    "$cpp" --benchmark_min_time="${benchtime%s}" 2>/dev/null |
      awk 'function ns(v, u) { return u == "us" ? v * 1000 : u == "ms" ? v * 1e6 : v }
           /^BM_cpp_/ { print $1, ns($2, $3), ns($4, $5) }' >> "$work/samples"
  fi
  echo "round $r/$rounds done" >&2
done

# median NAME COLUMN: the median over the rounds of column 2 (wall ns/op) or 3 (CPU ns/op)
median() {
  grep "^$1 " "$work/samples" | awk -v c="$2" '{print $c}' | sort -g |
    awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}

for column in 3 2; do
  if [ "$column" = 3 ]; then
    echo "CPU time of the calling thread per call (ns, median of $rounds rounds):"
  else
    echo "wall-clock time per call (ns, median of $rounds rounds; noisy on a loaded machine):"
  fi
  printf '  %-26s %10s %10s %10s %8s %8s\n' call cgo go C++ go/cgo go/C++
  for pair in "QueryShort:BM_cpp_query_short:query() of a 12-word text" \
              "QueryStored:BM_cpp_query_stored_text:query() of a stored text" \
              "Contains:BM_cpp_contains:contains()"; do
    IFS=: read -r gob cppb label <<< "$pair"
    c=$(median "Benchmark$gob/cgo" $column)
    g=$(median "Benchmark$gob/go" $column)
    x=nan
    [ -n "$cpp" ] && x=$(median "$cppb" $column)
    awk -v l="$label" -v c="$c" -v g="$g" -v x="$x" 'BEGIN {
      rc = (c > 0) ? sprintf("%.3f", g / c) : "-"; rx = (x > 0) ? sprintf("%.3f", g / x) : "-";
      printf "  %-26s %10.1f %10.1f %10s %8s %8s\n", l, c, g, (x > 0) ? sprintf("%.1f", x) : "-", rc, rx }'
  done
done
# paired: the ratio within each round (the two sides ran seconds apart), then the median
paired() {
  awk -v a="$1" -v b="$2" -v c="$3" '$1 == a { x[++n] = $c } $1 == b { y[++m] = $c }
    END { k = 0; for (i = 1; i <= n && i <= m; i++) if (y[i] > 0) r[++k] = x[i] / y[i];
          if (k == 0) { print "-"; exit }
          for (i = 2; i <= k; i++) { v = r[i]; for (j = i - 1; j >= 1 && r[j] > v; j--) r[j + 1] = r[j]; r[j + 1] = v } printf "%.3f", (k % 2) ? r[(k + 1) / 2] : (r[k / 2] + r[k / 2 + 1]) / 2 }' "$work/samples"
}
echo "median of the per-round ratios (CPU time; wall-clock):"
for gob in QueryShort QueryStored Contains; do
  printf '  %-12s go/cgo %s; %s' "$gob" "$(paired "Benchmark$gob/go" "Benchmark$gob/cgo" 3)" "$(paired "Benchmark$gob/go" "Benchmark$gob/cgo" 2)"
  if [ -n "$cpp" ]; then
    case $gob in QueryShort) c=BM_cpp_query_short ;; QueryStored) c=BM_cpp_query_stored_text ;; *) c=BM_cpp_contains ;; esac
    printf '   go/C++ %s; %s' "$(paired "Benchmark$gob/go" "$c" 3)" "$(paired "Benchmark$gob/go" "$c" 2)"
  fi
  echo
done
echo "benchtime $benchtime per benchmark and round; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
