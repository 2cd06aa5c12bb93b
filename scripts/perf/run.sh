#!/usr/bin/env bash
# Reproduces every number in docs/performance.md:
#   bash scripts/perf/run.sh            (from the repository root; about 4–5 minutes)
#
# Measures: binary size; cold start (exec → first 200 on /healthz, median of 5) on an empty SQLite file,
# an existing SQLite file holding the demo city, and PostgreSQL (empty / demo city); idle RSS 5 s after
# start; HTTP throughput with wrk (-t2 -c64, interleaved rounds, each endpoint as a ratio to a bare
# net/http server measured in the same round); the Go group-commit benchmarks (internal/platform/db).
#
# Needs: Go, curl; installs wrk with apt-get when missing. PostgreSQL parts run when $PG_TOOL (default
# scripts/ensure-postgres) prints the URL of a fresh database; otherwise they are reported as n/a.
# Everything runs on 127.0.0.1 and is bounded in time; the script stops the processes it started, drops
# the PostgreSQL databases it created and removes its temporary folder (KEEP=1 keeps the folder: server
# logs and raw wrk output).
#
# Knobs (environment): ROUNDS=3 DUR=5 (seconds per wrk run) CONNS=64 THREADS=2 COLD_N=5 BENCHTIME=3s
# PORT_BASE=18090 SKIP_BENCH=1 (skip the Go benchmarks).
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DUR=${DUR:-5}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
COLD_N=${COLD_N:-5}
BENCHTIME=${BENCHTIME:-3s}
PORT_BASE=${PORT_BASE:-18090}
PG_TOOL=${PG_TOOL:-scripts/ensure-postgres}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
WORK=$(mktemp -d /tmp/djperf.XXXXXX)
PIDS=()
T0=$(date +%s)

log() { printf '[%3ds] %s\n' $(($(date +%s) - T0)) "$*" >&2; }

cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && wait "$p" 2>/dev/null || true
  done
  if [ -f "$WORK/pgdbs" ]; then
    while read -r p; do
      psql -q -h 127.0.0.1 -U postgres -d postgres \
        -c "DROP DATABASE IF EXISTS \"$p\" WITH (FORCE)" >/dev/null 2>&1 || true
    done <"$WORK/pgdbs"
  fi
  if [ "${KEEP:-0}" = 1 ]; then
    echo "kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# fresh_pg prints the URL of a new PostgreSQL database or fails. Its name goes to $WORK/pgdbs (a file,
# since callers run it in command substitutions) so that cleanup drops it.
fresh_pg() {
  local u name
  u=$("$PG_TOOL" 2>/dev/null) || return 1
  name=${u##*/}
  echo "${name%%\?*}" >>"$WORK/pgdbs"
  echo "$u"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "n/a"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_ready() { # URL, timeout s
  local i
  for i in $(seq 1 $(($2 * 20))); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)" = 200 ] && return 0
    sleep 0.05
  done
  echo "not ready: $1" >&2
  return 1
}

# ---------------------------------------------------------------------------------------------------
# 0. Tools and machine
if ! command -v wrk >/dev/null; then
  log "installing wrk"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
for p in 0 1 2 3 4 5 6 7 8 9; do
  port_free $((PORT_BASE + p)) || { echo "port $((PORT_BASE + p)) is in use; set PORT_BASE" >&2; exit 1; }
done
P_BARE=$((PORT_BASE + 0)) P_SQL=$((PORT_BASE + 1)) P_PG=$((PORT_BASE + 2)) P_PROBE=$((PORT_BASE + 3))

HAVE_PG=0
DEMO_PG=""
if DEMO_PG=$(fresh_pg); then HAVE_PG=1; else log "no PostgreSQL: PostgreSQL rows will be n/a"; fi

echo "# Dangjian performance run — $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "## Machine"
echo
echo "- nproc: $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); RAM: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "- kernel: $(uname -r); $(go version | cut -d' ' -f3-); wrk: $(wrk -v 2>&1 | head -1 | cut -d' ' -f2)"
if [ "$HAVE_PG" = 1 ]; then
  echo "- PostgreSQL: $(psql -At -h 127.0.0.1 -U postgres -d postgres -c 'SHOW server_version' 2>/dev/null) on 127.0.0.1 (same vCPUs)"
fi
echo "- disk ($WORK): $(df -hT "$WORK" | awk 'NR==2 {print $1, $2, $3}')"
dd if=/dev/zero of="$WORK/dd" bs=4k count=1000 oflag=dsync 2>"$WORK/dd.txt" || true
# seconds for 1000 writes = milliseconds per write
echo "- 4 KiB write + dsync (dd oflag=dsync, 1000 writes): $(awk '/copied/ {for (i=1;i<=NF;i++) if ($i ~ /^s,?$/) printf "%.3f ms per write", $(i-1)}' "$WORK/dd.txt")"
rm -f "$WORK/dd"
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews absolutes; compare ratios)"
echo "- tree: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git status --porcelain 2>/dev/null | grep -q . && echo ' + uncommitted changes')"
echo

# ---------------------------------------------------------------------------------------------------
# 1. Build and binary size
log "building"
go build -o "$WORK/dj" ./cmd/dangjian
go build -ldflags="-s -w" -o "$WORK/dj-sw" ./cmd/dangjian
go build -o "$WORK/bare" ./scripts/perf/bare
go build -o "$WORK/probe" ./scripts/perf/probe
DJ=$WORK/dj
mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN {printf "%.1f MiB (%d bytes)", b/1048576, b}'; }
echo "## Binary size (linux/amd64)"
echo
echo "| build | size |"
echo "|---|---|"
echo "| \`go build\` (default flags) | $(mib "$DJ") |"
echo "| \`go build -ldflags=\"-s -w\"\` | $(mib "$WORK/dj-sw") |"
echo "| bare net/http hello (reference) | $(mib "$WORK/bare") |"
echo

# ---------------------------------------------------------------------------------------------------
# 2. Prepare the demo city (SQLite and PostgreSQL)
log "loading the demo city"
mkdir -p "$WORK/demo-sqlite" "$WORK/pgkeys-demo"
DEMO_SQL="sqlite:$WORK/demo-sqlite/dj.db"
(cd "$WORK" && "$DJ" demo --db "$DEMO_SQL" >"$WORK/demo-sqlite.out" 2>&1)
if [ "$HAVE_PG" = 1 ]; then
  (cd "$WORK" && "$DJ" demo --db "$DEMO_PG" --key-dir "$WORK/pgkeys-demo" >"$WORK/demo-pg.out" 2>&1)
fi
grep -h 'demo city loaded' "$WORK"/demo-*.out | sed 's/^/    /' >&2 || true

# ---------------------------------------------------------------------------------------------------
# 3. Cold start: exec → first 200 on /healthz
COLD_LOG=$WORK/probe.log
probe() { # -- args for probe (after its flags)
  (cd "$WORK" && "$WORK/probe" -url "http://127.0.0.1:$P_PROBE/healthz" -log "$COLD_LOG" "$@")
}
# ready_in_ms turns the server's "ready in 17ms" / "ready in 1.338s" into milliseconds.
ready_in_ms() { sed -n 's/.*ready in \([0-9.]*\)\(m\?s\)).*/\1 \2/p' "$1" | awk '{print ($2 == "s" ? $1 * 1000 : $1)}'; }
cold() { # label, function running one cold start
  local label=$1 i out vals=() inmain="—"
  COLD_LOG=$WORK/cold-$RANDOM.log
  for i in $(seq 1 "$COLD_N"); do
    out=$("$2" | sed -n 's/.*ready_ms=\([0-9.]*\).*/\1/p')
    vals+=("$out")
  done
  [ -s "$COLD_LOG" ] && inmain=$(ready_in_ms "$COLD_LOG" | median)
  printf '| %s | **%s** | %s | %s |\n' "$label" "$(printf '%s\n' "${vals[@]}" | median)" "$inmain" "${vals[*]}"
}
cold_bare() { (cd "$WORK" && "$WORK/probe" -url "http://127.0.0.1:$P_PROBE/" -- "$WORK/bare" -addr "127.0.0.1:$P_PROBE"); }
cold_empty_sqlite() {
  local d
  d=$(mktemp -d "$WORK/cold.XXXX")
  probe -- "$DJ" serve --db "sqlite:$d/dj.db" --addr "127.0.0.1:$P_PROBE"
}
cold_demo_sqlite() { probe -- "$DJ" serve --db "$DEMO_SQL" --addr "127.0.0.1:$P_PROBE"; }
cold_empty_pg() {
  local u d
  u=$(fresh_pg)
  d=$(mktemp -d "$WORK/pgkeys.XXXX")
  probe -- "$DJ" serve --db "$u" --key-dir "$d" --addr "127.0.0.1:$P_PROBE"
}
cold_demo_pg() { probe -- "$DJ" serve --db "$DEMO_PG" --key-dir "$WORK/pgkeys-demo" --addr "127.0.0.1:$P_PROBE"; }

log "cold starts"
echo "## Cold start: exec → first 200 on /healthz (ms, median of $COLD_N)"
echo
echo "exec → 200 is what an operator waits for; \"in main\" is the server's own \"ready in\" (from the start of"
echo "\`serve\` to listening: open, migrate, load keys), so exec → 200 minus it is process start-up: runtime and"
echo "package initialisation (see the next table) plus the first request."
echo
echo "| database | exec → 200, median ms | in main (\"ready in\"), median ms | exec → 200, each run |"
echo "|---|---|---|---|"
cold "bare net/http hello (reference)" cold_bare
cold "SQLite, new empty file (migrations run)" cold_empty_sqlite
cold "SQLite, existing file with the demo city" cold_demo_sqlite
if [ "$HAVE_PG" = 1 ]; then
  cold "PostgreSQL, new empty database (migrations run)" cold_empty_pg
  cold "PostgreSQL, existing database with the demo city" cold_demo_pg
else
  echo "| PostgreSQL | n/a | | |"
fi
echo

# Package initialisation, from the runtime's own trace (GODEBUG=inittrace=1), median of $COLD_N runs of
# "dangjian --help", which does nothing else.
log "package init trace"
for i in $(seq 1 "$COLD_N"); do
  (cd "$WORK" && GODEBUG=inittrace=1 "$DJ" --help 2>&1 >/dev/null) >"$WORK/inittrace-$i.txt" || true
done
echo "## Package initialisation (\`GODEBUG=inittrace=1 dangjian --help\`, median of $COLD_N)"
echo
echo "| init | clock ms | allocated |"
echo "|---|---|---|"
# all inits together: end of the last init (its @start + its clock)
for i in $(seq 1 "$COLD_N"); do
  awk '/^init / {for (j=1;j<=NF;j++) {if ($j ~ /^@/) {st=substr($j,2)}; if ($j=="clock,") {c=$(j-2)}}; e=st+c; if (e>m) m=e} END {print m}' "$WORK/inittrace-$i.txt"
done | median | awk '{printf "| all packages (exec → main) | %.1f | |\n", $1}'
# the three most expensive packages, by median clock
cat "$WORK"/inittrace-*.txt | awk '/^init / {for (j=1;j<=NF;j++) {if ($j=="clock,") c=$(j-2); if ($j=="bytes,") b=$(j-1)}; print $2, c, b}' |
  sort -k1,1 -k2,2g | awk '{n[$1]++; v[$1, n[$1]]=$2; by[$1]=$3} END {for (p in n) {k=int((n[p]+1)/2); print v[p, k], p, by[p]}}' |
  sort -rg | head -3 | awk '{printf "| %s | %.1f | %.1f MiB |\n", $2, $1, $3/1048576}'
echo

# ---------------------------------------------------------------------------------------------------
# 4. Idle memory: VmRSS 5 s after exec (all started together, each on its own port/database)
log "idle memory"
rss_of() { sed -n 's/.*rss_kb=\([0-9]*\).*/\1/p' "$1" | awk '{printf "%.1f MiB", $1/1024}'; }
mkdir -p "$WORK/rss-empty"
(cd "$WORK" && "$WORK/probe" -rss-after 5s -url "http://127.0.0.1:$((PORT_BASE + 4))/" -- "$WORK/bare" -addr "127.0.0.1:$((PORT_BASE + 4))" >"$WORK/rss-bare") &
PIDS+=($!)
(cd "$WORK" && "$WORK/probe" -rss-after 5s -url "http://127.0.0.1:$((PORT_BASE + 5))/healthz" -log "$WORK/probe.log" -- "$DJ" serve --db "sqlite:$WORK/rss-empty/dj.db" --addr "127.0.0.1:$((PORT_BASE + 5))" >"$WORK/rss-empty.txt") &
PIDS+=($!)
(cd "$WORK" && "$WORK/probe" -rss-after 5s -url "http://127.0.0.1:$((PORT_BASE + 6))/healthz" -log "$WORK/probe.log" -- "$DJ" serve --db "$DEMO_SQL" --addr "127.0.0.1:$((PORT_BASE + 6))" >"$WORK/rss-demo.txt") &
PIDS+=($!)
if [ "$HAVE_PG" = 1 ]; then
  (cd "$WORK" && "$WORK/probe" -rss-after 5s -url "http://127.0.0.1:$((PORT_BASE + 7))/healthz" -log "$WORK/probe.log" -- "$DJ" serve --db "$DEMO_PG" --key-dir "$WORK/pgkeys-demo" --addr "127.0.0.1:$((PORT_BASE + 7))" >"$WORK/rss-pg.txt") &
  PIDS+=($!)
fi
wait
PIDS=()
echo "## Idle memory: VmRSS 5 s after exec"
echo
echo "| process | RSS |"
echo "|---|---|"
echo "| bare net/http hello | $(rss_of "$WORK/rss-bare") |"
echo "| dangjian, SQLite, new empty file | $(rss_of "$WORK/rss-empty.txt") |"
echo "| dangjian, SQLite, demo city | $(rss_of "$WORK/rss-demo.txt") |"
[ "$HAVE_PG" = 1 ] && echo "| dangjian, PostgreSQL, demo city | $(rss_of "$WORK/rss-pg.txt") |"
echo

# ---------------------------------------------------------------------------------------------------
# 5. Throughput: wrk -t$THREADS -c$CONNS, $ROUNDS interleaved rounds of $DUR s, ratio to bare per round
log "starting servers for the load runs"
"$WORK/bare" -addr "127.0.0.1:$P_BARE" >/dev/null 2>&1 &
PIDS+=($!)
PID_BARE=$!
(cd "$WORK" && exec "$DJ" serve --db "$DEMO_SQL" --addr "127.0.0.1:$P_SQL" >"$WORK/serve-sqlite.out" 2>"$WORK/serve-sqlite.log") &
PIDS+=($!)
PID_SQL=$!
wait_ready "http://127.0.0.1:$P_BARE/" 10
wait_ready "http://127.0.0.1:$P_SQL/healthz" 30
TOK_SQL=$(cd "$WORK" && "$DJ" token create --db "$DEMO_SQL" --username demo_admin --expires 1d)
if [ "$HAVE_PG" = 1 ]; then
  (cd "$WORK" && exec "$DJ" serve --db "$DEMO_PG" --key-dir "$WORK/pgkeys-demo" --addr "127.0.0.1:$P_PG" >"$WORK/serve-pg.out" 2>"$WORK/serve-pg.log") &
  PIDS+=($!)
  PID_PG=$!
  wait_ready "http://127.0.0.1:$P_PG/healthz" 30
  TOK_PG=$(cd "$WORK" && "$DJ" token create --db "$DEMO_PG" --key-dir "$WORK/pgkeys-demo" --username demo_admin --expires 1d)
fi

# endpoint table: name | url | token var | mode
ENDPOINTS=(
  "bare hello|http://127.0.0.1:$P_BARE/||get"
  "GET /healthz (SQLite)|http://127.0.0.1:$P_SQL/healthz||get"
  "GET /login (SQLite)|http://127.0.0.1:$P_SQL/login||get"
  "GET /api/v1/me (SQLite)|http://127.0.0.1:$P_SQL/api/v1/me|TOK_SQL|get"
  "POST /api/v1/orgs (SQLite)|http://127.0.0.1:$P_SQL/api/v1/orgs|TOK_SQL|orgs"
)
if [ "$HAVE_PG" = 1 ]; then
  ENDPOINTS+=(
    "GET /api/v1/me (PostgreSQL)|http://127.0.0.1:$P_PG/api/v1/me|TOK_PG|get"
    "POST /api/v1/orgs (PostgreSQL)|http://127.0.0.1:$P_PG/api/v1/orgs|TOK_PG|orgs"
  )
fi

run_wrk() { # index, round, duration → RESULT line in $WORK/wrk-<i>-<round>.txt
  local i=$1 r=$2 d=$3 name url tokvar mode tok=""
  IFS='|' read -r name url tokvar mode <<<"${ENDPOINTS[$i]}"
  [ -n "$tokvar" ] && tok=${!tokvar}
  DJ_TOKEN=$tok DJ_MODE=$mode DJ_TAG="r$r-$RANDOM" \
    timeout $((d + 20)) wrk -t"$THREADS" -c"$CONNS" -d"${d}s" --timeout 10s -s scripts/perf/wrk.lua "$url" \
    >"$WORK/wrk-$i-$r.txt" 2>&1 || echo "RESULT rps=0 p50_ms=0 p99_ms=0 requests=0 non2xx=0 sockerr=-1 (wrk failed)" >>"$WORK/wrk-$i-$r.txt"
}
field() { grep -m1 '^RESULT' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

log "warm-up (1 s per endpoint)"
for i in "${!ENDPOINTS[@]}"; do run_wrk "$i" 0 1; done
for r in $(seq 1 "$ROUNDS"); do
  log "round $r/$ROUNDS"
  for i in "${!ENDPOINTS[@]}"; do run_wrk "$i" "$r" "$DUR"; done
done

echo "## Throughput: wrk -t$THREADS -c$CONNS, ${DUR} s per run, $ROUNDS interleaved rounds (wrk on the same vCPUs)"
echo
echo "Ratio = the endpoint's req/s ÷ the bare net/http server's req/s in the same round; median over rounds."
echo
echo "| endpoint | req/s per round | median req/s | p50 ms | p99 ms | ratio per round | **median ratio** | errors |"
echo "|---|---|---|---|---|---|---|---|"
PROBLEMS=0
for i in "${!ENDPOINTS[@]}"; do
  IFS='|' read -r name _ <<<"${ENDPOINTS[$i]}"
  rps=() ratios=() p50=() p99=() errs=0
  for r in $(seq 1 "$ROUNDS"); do
    f=$WORK/wrk-$i-$r.txt b=$WORK/wrk-0-$r.txt
    v=$(field "$f" rps) bv=$(field "$b" rps)
    rps+=("$v")
    ratios+=("$(awk -v a="$v" -v b="$bv" 'BEGIN {printf "%.1f", (b > 0 ? 100 * a / b : 0)}')")
    p50+=("$(field "$f" p50_ms)")
    p99+=("$(field "$f" p99_ms)")
    e=$(( $(field "$f" non2xx) + $(field "$f" sockerr) ))
    errs=$((errs + e))
  done
  [ "$errs" -ne 0 ] && PROBLEMS=1
  printf '| %s | %s | **%.0f** | %s | %s | %s | **%s %%** | %s |\n' "$name" \
    "$(printf '%.0f / ' "${rps[@]}" | sed 's| / $||')" "$(printf '%s\n' "${rps[@]}" | median)" \
    "$(printf '%s\n' "${p50[@]}" | median)" "$(printf '%s\n' "${p99[@]}" | median)" \
    "$(printf '%s / ' "${ratios[@]}" | sed 's| / $||') %" "$(printf '%s\n' "${ratios[@]}" | median)" "$errs"
done
echo
echo "errors = non-2xx/3xx responses + socket errors (connect/read/write/timeout) summed over the rounds."
echo

# Peak memory after the load, and what the servers logged as failures
echo "## Memory after the load runs"
echo
echo "| process | VmRSS now | VmHWM (peak) |"
echo "|---|---|---|"
memrow() { awk -v n="$1" '/VmRSS/ {r=$2} /VmHWM/ {h=$2} END {printf "| %s | %.1f MiB | %.1f MiB |\n", n, r/1024, h/1024}' "/proc/$2/status"; }
memrow "bare net/http hello" "$PID_BARE"
memrow "dangjian, SQLite, demo city" "$PID_SQL"
[ "$HAVE_PG" = 1 ] && memrow "dangjian, PostgreSQL, demo city" "$PID_PG"
echo
# wrk closes its connections when a run ends; requests still in flight then end with "context canceled",
# which the server logs as an ERROR and a 500 that no client sees. Those are counted apart.
for l in "$WORK"/serve-*.log; do
  bad=$(grep -c '"status":[45][0-9][0-9]' "$l" || true)
  canc=$(grep '"level":"ERROR"' "$l" | grep -c 'context canceled' || true)
  lvl=$(grep -c '"level":"\(WARN\|ERROR\)"' "$l" || true)
  echo "- $(basename "$l"): $(grep -c '"msg":"request"' "$l" || true) requests logged; $bad with status ≥ 400; $lvl WARN/ERROR lines, of which $canc \"context canceled\" (client gone at the end of a wrk run)"
  if [ "$bad" -gt "$canc" ] || [ "$lvl" -gt "$canc" ]; then
    PROBLEMS=1
    grep -o '"path":"[^"]*","status":[45][0-9][0-9]' "$l" | sort | uniq -c | sort -rn | head -5 | sed 's/^/    /'
    grep '"level":"\(WARN\|ERROR\)"' "$l" | grep -v 'context canceled' | head -3 | cut -c1-300 | sed 's/^/    /'
  fi
done
[ "$PROBLEMS" = 0 ] && echo "- no non-2xx responses seen by wrk, no socket errors, no other errors logged."
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
PIDS=()

# ---------------------------------------------------------------------------------------------------
# 6. Go benchmarks of DB.Write (group commit)
if [ "${SKIP_BENCH:-0}" != 1 ]; then
  log "go test -bench=Write -benchtime=$BENCHTIME ./internal/platform/db/"
  PGB=""
  [ "$HAVE_PG" = 1 ] && PGB=$(fresh_pg)
  DANGJIAN_TEST_PG=$PGB timeout 300 go test -run='^$' -bench=Write -benchtime="$BENCHTIME" -count=1 ./internal/platform/db/ >"$WORK/bench.txt" 2>&1 || true
  echo "## Group commit: \`go test -run='^\$' -bench=Write -benchtime=$BENCHTIME ./internal/platform/db/\`"
  echo
  echo "One small INSERT per DB.Write; serial = 1 goroutine, parallel = 64 goroutines (b.RunParallel)."
  echo
  echo '```'
  grep -E '^(Benchmark|cpu:|PASS|FAIL|ok|---)' "$WORK/bench.txt" || cat "$WORK/bench.txt"
  echo '```'
  echo
fi

log "done in $(($(date +%s) - T0)) s"
