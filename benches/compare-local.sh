#!/usr/bin/env bash
# Warm latency and throughput of the local HTTP emulators: `ferry local serve`
# vs `cargo lambda watch`, on the same app and the same route.
#
# The app is the http-api blueprint (`ferry init --blueprint http-api`): one
# function, `api` (lambda_http, payload 2.0), and the route
# GET /hello/{name}, which answers {"message":"Hello, <name>!"}.
# Both emulators serve that route at the same path, /hello/bench:
#   ferry        from ferry.yaml's `http: GET /hello/{name}`;
#   cargo-lambda through its router (workspace.metadata.lambda.watch.router,
#                added to the rendered app's Cargo.toml). Its function URL
#                path, /lambda-url/api/hello/bench, sends no pathParameters,
#                so the function would answer 404 there.
#
# One run = one emulator variant, one build profile, one concurrency:
#   1. start the emulator (the function is already compiled) and time its
#      first 200 with the expected body (a no-op cargo build or run, the
#      emulator's start, one cold start of the function);
#   2. warm up: C connections at once, WARMUP_REQUESTS requests each, every
#      request run to completion (curl --parallel), so that the instances
#      the run needs are started;
#   3. measure: wrk, one thread, C keep-alive connections, closed loop, for
#      DURATION seconds: requests/s, p50/p99/max latency, non-2xx answers and
#      socket errors;
#   4. memory, one second before the end of the load: the emulator process's
#      peak RSS (VmHWM), the number of function processes, and the RSS of the
#      whole process tree (the emulator and its function processes; cargo-
#      lambda starts each through `cargo run`, which execs the binary);
#   5. check that the route still answers the greeting, then stop it all.
# Every run starts a fresh emulator, so that no run inherits the previous
# run's instances or the requests wrk had in flight when it stopped (ferry
# stops the instance of a request whose client went away, and does not give
# its slot back: after 64 of them it answers 503 until restarted).
#
# Emulator variants (VARIANTS):
#   ferry             `ferry local serve --port P` (its default output: an
#                     access line and START/END/REPORT lines per request on
#                     stderr, sent to a file here)
#   ferry-q           the same with -q (no per-request lines)
#   cargo-lambda      `cargo lambda watch --invoke-port P --ignore-changes`
#                     (its default --concurrency 1: one instance per function)
#   cargo-lambda-c16  the same with --concurrency 16
# --ignore-changes matches ferry's serve without --watch (no file watching).
# Release runs add --release to both.
#
# Tools, pinned, installed by this script into the repo's ignored folders:
#   wrk (Debian bookworm .deb, with its LuaJIT library) unpacked under
#     .tools/wrk (not installed system-wide);
#   cargo-lambda (its PyPI wheel carries the prebuilt binary) into .venv.
# ferry is built with `cargo build --release` (target/release/ferry) unless
# FERRY names a binary. The app's builds share one CARGO_TARGET_DIR,
# target/compare-local/cargo-target: both tools run cargo with the same
# profile and flags (`cargo build` / `cargo run`), so neither rebuilds what
# the other built.
#
# Raw outputs (per run: the command, server log, response headers, wrk output
# and its JSON line) and the markdown table (results.md) go to
# target/compare-local/. Every process started here is stopped on exit, also
# on failure or Ctrl-C. All traffic goes to 127.0.0.1 and is bounded in time.
#
# Usage:  bash benches/compare-local.sh
# Knobs (environment):
#   DURATION         seconds per measured run            (default 10)
#   WARMUP_REQUESTS  warm-up requests per connection     (default 50)
#   CONCURRENCY      connections, one run each           (default "1 8 16")
#   PROFILES         "dev", "release" or both            (default "dev release")
#   VARIANTS         emulator variants, see above
#                    (default "ferry ferry-q cargo-lambda cargo-lambda-c16")
#   ROUNDS           times the whole set of runs is repeated, interleaved;
#                    the table shows each configuration's median round (3)
#   PORT             first port; each run takes the next one (default 9101)
#   READY_TIMEOUT    seconds to wait for a first 200     (default 300)
#   FERRY            a ferry binary to use instead of building one
# Needs: bash, cargo, curl (7.66+ for --parallel), apt-get (download only),
# dpkg-deb, python3, ps.
set -euo pipefail

WRK_VERSION=4.1.0-3+b2
LUAJIT_VERSION=2.1.0~beta3+git20220320+dfsg-4.1+deb12u1
CARGO_LAMBDA_VERSION=1.9.2

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/target/compare-local"
DURATION="${DURATION:-10}"
WARMUP_REQUESTS="${WARMUP_REQUESTS:-50}"
CONCURRENCY="${CONCURRENCY:-1 8 16}"
PROFILES="${PROFILES:-dev release}"
VARIANTS="${VARIANTS:-ferry ferry-q cargo-lambda cargo-lambda-c16}"
ROUNDS="${ROUNDS:-3}"
PORT="${PORT:-9101}"
READY_TIMEOUT="${READY_TIMEOUT:-300}"
URL_PATH=/hello/bench
EXPECTED='{"message":"Hello, bench!"}'

export CARGO_TARGET_DIR="$OUT/cargo-target"
mkdir -p "$OUT" "$CARGO_TARGET_DIR"

log() { printf 'compare-local: %s\n' "$*" >&2; }

# --- cleanup: stop everything started here -----------------------------------

# Each emulator runs in its own session (setsid): its process group holds it
# and ferry's function processes. cargo-lambda puts each function process in
# a process group of its own: `descendants` catches those.
STARTED=()
descendants() {
  local pid=$1 child
  for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}
# running PID...: whether any of them is still running (a zombie is not).
running() {
  local p
  for p in "$@"; do
    if [ -r "/proc/$p/stat" ] && [ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" != Z ]; then
      return 0
    fi
  done
  return 1
}
stop_tree() {
  local pid=$1 all
  all="$pid $(descendants "$pid" | tr '\n' ' ')"
  kill -TERM -- "-$pid" 2>/dev/null || true
  # shellcheck disable=SC2086
  kill -TERM $all 2>/dev/null || true
  for _ in $(seq 50); do
    running $all || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  # shellcheck disable=SC2086
  kill -KILL $all 2>/dev/null || true
}
# forget PID: PID has been stopped, or has ended by itself.
forget() {
  local keep=() x
  for x in "${STARTED[@]+"${STARTED[@]}"}"; do
    if [ "$x" != "$1" ]; then keep+=("$x"); fi
  done
  STARTED=("${keep[@]+"${keep[@]}"}")
}
cleanup() {
  local pid
  for pid in "${STARTED[@]+"${STARTED[@]}"}"; do stop_tree "$pid"; done
  STARTED=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -------------------------------------------------------------------

# wrk from Debian, unpacked under .tools/wrk with the LuaJIT library it links
# to, and run through a wrapper that points LD_LIBRARY_PATH there.
WRK_DIR="$ROOT/.tools/wrk"
WRK="$WRK_DIR/wrk"
WRK_PINS="wrk=$WRK_VERSION libluajit-5.1-2=$LUAJIT_VERSION"
if [ ! -x "$WRK" ] || [ "$(cat "$WRK_DIR/.pins" 2>/dev/null)" != "$WRK_PINS" ]; then
  log "unpacking $WRK_PINS into $WRK_DIR"
  rm -rf "$WRK_DIR" && mkdir -p "$WRK_DIR/debs" "$WRK_DIR/root"
  if ! (cd "$WRK_DIR/debs" && apt-get download -q "wrk=$WRK_VERSION" "libluajit-5.1-2=$LUAJIT_VERSION" >&2 2>/dev/null); then
    log "cannot download the pinned .debs: run 'apt-get update' (and update the pins if they are gone)"
    exit 1
  fi
  for deb in "$WRK_DIR"/debs/*.deb; do dpkg-deb -x "$deb" "$WRK_DIR/root"; done
  cat > "$WRK" <<EOF
#!/bin/sh
LD_LIBRARY_PATH="$WRK_DIR/root/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$WRK_DIR/root/usr/bin/wrk" "\$@"
EOF
  chmod +x "$WRK"
  printf '%s' "$WRK_PINS" > "$WRK_DIR/.pins"
fi

# cargo-lambda: `cargo-lambda lambda ...` is what `cargo lambda ...` runs.
VENV="$ROOT/.venv"
[ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
if [ "$("$VENV/bin/cargo-lambda" lambda --version 2>/dev/null | awk '{ print $2 }')" != "$CARGO_LAMBDA_VERSION" ]; then
  log "pip install cargo-lambda==$CARGO_LAMBDA_VERSION into $VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "cargo-lambda==$CARGO_LAMBDA_VERSION"
fi
CARGO_LAMBDA="$VENV/bin/cargo-lambda"

if [ -z "${FERRY:-}" ]; then
  log "cargo build --release (ferry)"
  (cd "$ROOT" && env -u CARGO_TARGET_DIR cargo build --release --quiet)
  FERRY="$ROOT/target/release/ferry"
fi

# wrk prints this JSON line at the end of a run (latencies in microseconds).
cat > "$OUT/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"p50_us":%.0f,"p90_us":%.0f,' ..
    '"p99_us":%.0f,"max_us":%.0f,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read,
    e.write, e.status, e.timeout, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
LUA

# --- the app -----------------------------------------------------------------

APP="$OUT/bench-app"
rm -rf "$APP"
"$FERRY" init "$APP" --blueprint http-api --app bench-app >"$OUT/init.log" 2>&1
# cargo-lambda's route to the same function, with its path parameter.
cat >> "$APP/Cargo.toml" <<'TOML'

[workspace.metadata.lambda.watch.router]
"/hello/{name}" = [{ method = "GET", function = "api" }]
TOML

# Compile the function up front for each profile, as both tools would
# (`cargo build`/`cargo run` of the bin), so that start-ups find it built.
for profile in $PROFILES; do
  flag=()
  if [ "$profile" = release ]; then flag=(--release); fi
  log "cargo build ${flag[*]} -p api --bin api (bench app)"
  (cd "$APP" && cargo build --quiet "${flag[@]}" -p api --bin api)
done

# --- measuring ---------------------------------------------------------------

now() { date +%s.%N; }

# start_emulator NAME PROFILE PORT RUN: starts the variant in its own session
# and prints its pid; its output goes to $OUT/RUN.server.log.
start_emulator() {
  local name=$1 profile=$2 port=$3 run=$4 cmd flag=()
  if [ "$profile" = release ]; then flag=(--release); fi
  case $name in
    ferry) cmd=("$FERRY" local serve --port "$port" "${flag[@]}") ;;
    ferry-q) cmd=("$FERRY" -q local serve --port "$port" "${flag[@]}") ;;
    cargo-lambda) cmd=("$CARGO_LAMBDA" lambda watch --invoke-address 127.0.0.1
      --invoke-port "$port" --ignore-changes "${flag[@]}") ;;
    cargo-lambda-c16) cmd=("$CARGO_LAMBDA" lambda watch --invoke-address 127.0.0.1
      --invoke-port "$port" --ignore-changes --concurrency 16 "${flag[@]}") ;;
    *) log "unknown variant $name"; exit 1 ;;
  esac
  printf '%q ' "${cmd[@]}" > "$OUT/$run.command"
  (cd "$APP" && exec setsid "${cmd[@]}" </dev/null >"$OUT/$run.server.log" 2>&1) &
  echo $!
}

# wait_ready PID URL: waits for a 200 with the expected body; prints seconds.
wait_ready() {
  local pid=$1 url=$2 t0 body code
  t0=$(now)
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then log "the emulator exited"; return 1; fi
    code=$(curl -s -o "$OUT/.body" -w '%{http_code}' --max-time 30 "$url" || true)
    if [ "$code" = 200 ]; then
      body=$(cat "$OUT/.body")
      if [ "$body" != "$EXPECTED" ]; then
        log "unexpected body from $url: $body"
        return 1
      fi
      awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f\n", b - a }'
      return 0
    fi
    if awk -v a="$t0" -v b="$(now)" -v t="$READY_TIMEOUT" 'BEGIN { exit !(b - a > t) }'; then
      log "no 200 from $url after ${READY_TIMEOUT}s (last status $code)"
      return 1
    fi
    sleep 0.1
  done
}

# warm_up URL C: C requests at a time, C * WARMUP_REQUESTS in all, each run to
# completion. Prints how many did not answer 200.
warm_up() {
  local url=$1 c=$2 i
  for ((i = 0; i < c * WARMUP_REQUESTS; i++)); do
    printf 'url = "%s"\noutput = "/dev/null"\n' "$url"
  done > "$OUT/.warmup.curlrc"
  curl -s -Z --parallel-max "$c" -K "$OUT/.warmup.curlrc" -w '%{http_code}\n' \
    --max-time 30 2>/dev/null | grep -vc '^200$' || true
}

# memory PID: "<emulator VmHWM MiB> <function processes> <tree RSS MiB>".
memory() {
  local pid=$1 p hwm n=0 rss=0 r
  hwm=$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
  for p in "$pid" $(descendants "$pid"); do
    r=$(awk '/^VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
    rss=$((rss + ${r:-0}))
    if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = api ]; then n=$((n + 1)); fi
  done
  echo "$hwm $n $((rss / 1024))"
}

# One JSON line per run in runs.jsonl; results.md shows, per configuration,
# the round with the median requests/s.
RUNS="$OUT/runs.jsonl"
: > "$RUNS"
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)
for ((round = 1; round <= ROUNDS; round++)); do
  for profile in $PROFILES; do
    for name in $VARIANTS; do
      for c in $CONCURRENCY; do
        run="$name-$profile-c$c-r$round"
        port=$PORT
        PORT=$((PORT + 1))
        url="http://127.0.0.1:$port$URL_PATH"
        log "$run on port $port (load average $(cut -d" " -f1 /proc/loadavg))"
        pid=$(start_emulator "$name" "$profile" "$port" "$run")
        STARTED+=("$pid")
        ready=failed
        if ready=$(wait_ready "$pid" "$url"); then
          curl -s -D "$OUT/$run.headers" -o /dev/null "$url"
          bad_warmup=$(warm_up "$url" "$c")
          "$WRK" -t1 -c"$c" -d"${DURATION}s" --timeout 10s -s "$OUT/report.lua" "$url" >"$OUT/$run.txt" 2>&1 &
          wrk_pid=$!
          STARTED+=("$wrk_pid")
          # Memory one second before the end of the run, under load.
          # (sleep in the background: `wait` lets a signal's trap run at once)
          sleep "$((DURATION - 1))" &
          STARTED+=("$!")
          wait "$!"
          forget "$!"
          read -r hwm n rss <<<"$(memory "$pid")"
          wait "$wrk_pid" || log "wrk failed: see $run.txt"
          forget "$wrk_pid"
          grep '^JSON ' "$OUT/$run.txt" | cut -c6- > "$OUT/$run.json" || true
          [ -s "$OUT/$run.json" ] || echo '{"requests":0,"duration_us":1,"bytes":0,"connect":0,"read":0,"write":0,"status":0,"timeout":0,"p50_us":0,"p90_us":0,"p99_us":0,"max_us":0,"mean_us":0}' > "$OUT/$run.json"
          # Still the greeting after the load?
          body=$(curl -s --max-time 10 "$url" || true)
          note=""
          if [ "$bad_warmup" != 0 ]; then note="$bad_warmup non-200 in the warm-up"; fi
          if [ "$body" != "$EXPECTED" ]; then note="${note:+$note; }after the run: $body"; fi
          python3 - "$OUT/$run.json" "$name" "$profile" "$c" "$round" "$ready" "$hwm" "$n" "$rss" "$note" "$(cut -d" " -f1 /proc/loadavg)" >> "$RUNS" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
keys = ["variant", "profile", "connections", "round", "ready_s", "emulator_hwm_mib",
        "function_processes", "tree_rss_mib", "note", "load1"]
r.update(zip(keys, sys.argv[2:]))
print(json.dumps(r))
PY
          log "$(tail -1 "$RUNS")"
        else
          printf '{"variant":"%s","profile":"%s","connections":"%s","round":"%s","failed":true}\n' \
            "$name" "$profile" "$c" "$round" >> "$RUNS"
        fi
        stop_tree "$pid"
        forget "$pid"
      done
    done
  done
done

# --- report ------------------------------------------------------------------

{
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -m), $(. /etc/os-release && echo "$PRETTY_NAME"); the load generator and the emulator share the cores"
  echo "ferry: $("$FERRY" --version 2>/dev/null || echo unknown) ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo "cargo-lambda: $("$CARGO_LAMBDA" lambda --version 2>/dev/null)"
  echo "Load generator: $("$WRK" -v 2>&1 | head -1 | awk '{ print $1, $2 }'), 1 thread, keep-alive connections, ${DURATION}s per run after $WARMUP_REQUESTS warm-up requests per connection"
  echo "$(rustc --version); app: the http-api blueprint, GET $URL_PATH"
  echo "Load average when the run started: $LOAD0; $ROUNDS round(s), each row is the round with the median requests/s"
  echo
  python3 - "$RUNS" "$VARIANTS" "$PROFILES" "$CONCURRENCY" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
variants, profiles, conc = (a.split() for a in sys.argv[2:5])
label = {
    "ferry": "ferry local serve",
    "ferry-q": "ferry local serve -q",
    "cargo-lambda": "cargo lambda watch",
    "cargo-lambda-c16": "cargo lambda watch --concurrency 16",
}
print("| emulator | build | connections | requests/s | p50 ms | p99 ms | max ms | requests | "
      "non-2xx / socket errors | first 200 after start, s | emulator peak RSS MiB | "
      "function processes | process tree RSS MiB | requests/s over the rounds | notes |")
print("|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|")
ms = lambda us: f"{us / 1000:.2f}"
for p in profiles:
    for v in variants:
        for c in conc:
            rs = [r for r in runs if (r["variant"], r["profile"], r["connections"]) == (v, p, c)]
            ok = [r for r in rs if not r.get("failed")]
            for r in ok:
                r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
            if not ok:
                print(f"| {label[v]} | {p} | {c} | failed to serve | | | | | | | | | | | |")
                continue
            ok.sort(key=lambda r: r["rps"])
            m = ok[(len(ok) - 1) // 2]
            spread = ", ".join(f"{r['rps']:,.0f}" for r in ok)
            failed = len(rs) - len(ok)
            notes = "; ".join(n for n in [r["note"] for r in ok if r["note"]] +
                              ([f"{failed} round(s) failed to serve"] if failed else []))
            errors = sum(r["status"] for r in ok), sum(r["connect"] + r["read"] + r["write"] + r["timeout"] for r in ok)
            print(f"| {label[v]} | {p} | {c} | {m['rps']:,.0f} | {ms(m['p50_us'])} | {ms(m['p99_us'])} | "
                  f"{ms(m['max_us'])} | {m['requests']:,} | {m['status']} / "
                  f"{m['connect'] + m['read'] + m['write'] + m['timeout']} (all rounds: {errors[0]} / {errors[1]}) | "
                  f"{m['ready_s']} | {m['emulator_hwm_mib']} | {m['function_processes']} | {m['tree_rss_mib']} | "
                  f"{spread} | {notes} |")
PY
} > "$OUT/results.md"
cat "$OUT/results.md"
