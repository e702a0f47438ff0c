#!/usr/bin/env bash
# Load test of the demo server: start-up time, memory, and wrk throughput/latency of
# GET /api/auth/session (signed in, steady state) against the bare /health route.
#
#   bash scripts/load.sh                  # 3 rounds of 5 s per route
#   DURATION=10 ROUNDS=5 bash scripts/load.sh  # seconds per run (or a wrk duration such as 30s, 1m)
#   SESSIONS=sqlite bash scripts/load.sh  # database sessions: jwt (default), sqlite, postgres
#
# Environment: DURATION (5: seconds per run), ROUNDS (3: the routes alternate, baseline
# then session, this many times), PORT (3917), CONNECTIONS (64), STARTS (5: start-ups
# timed, the median is reported), WARMUP (2s of wrk on each route before the rounds),
# SKIP_BUILD=1 to reuse the release demo, DEMO_BIN to load another binary (an older
# build, to compare). The server is pinned to CPU 0 and wrk to CPU 1 (needs >= 2 CPUs).
# Each route's line gives the server's CPU time per request (user + system over the
# requests answered, all rounds together), which is far steadier than req/s on a shared
# machine; the ratio baseline / session of the two is the issue's target (>= 0.70), and
# the session's p99 (median of the rounds) the other one (< 2 ms at 64 connections). The
# baseline, /health, is a bare axum route answering `{}`.
# Traffic goes to 127.0.0.1 only. The targets are informational: the script exits 0
# unless a step failed to run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "load.sh: ROUNDS must be a positive integer" >&2; exit 1; }
[[ $DURATION =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
PORT=${PORT:-3917}
CONNECTIONS=${CONNECTIONS:-64}
STARTS=${STARTS:-5}
WARMUP=${WARMUP:-2s}
[[ $WARMUP =~ ^[0-9]+$ ]] && WARMUP="${WARMUP}s"
SECRET=${NEXTAUTH_SECRET:-load-test-secret-0123456789abcdef}
# The release binary in cargo's target directory (which .cargo/config.toml or
# CARGO_TARGET_DIR may move), unless DEMO_BIN names another.
target_dir() {
    cargo metadata --format-version 1 --no-deps 2>/dev/null \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null \
        || echo "$ROOT/target"
}
BIN=${DEMO_BIN:-$(target_dir)/release/demo}
BASE=http://127.0.0.1:$PORT

# wrk's duration in seconds, to bound each run with `timeout`.
dur_secs() {
    local d=$1
    case $d in
        *ms) echo 1 ;;
        *s) echo "${d%s}" ;;
        *m) echo $((${d%m} * 60)) ;;
        *h) echo $((${d%h} * 3600)) ;;
        *) echo "$d" ;;
    esac
}
WRK_LIMIT=$(($(dur_secs "$DURATION") + 30))

die() { echo "load.sh: $*" >&2; exit 1; }
for tool in wrk taskset curl python3 timeout; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
[[ $(nproc) -ge 2 ]] || die "needs 2 CPUs (server on CPU 0, wrk on CPU 1)"

WORK=$(mktemp -d)
SERVER_PID=
CHILD=
cleanup() {
    if [[ -n $CHILD ]]; then kill "$CHILD" 2>/dev/null || true; fi
    local pid=$SERVER_PID
    [[ -z $pid && -s $WORK/pid ]] && pid=$(cat "$WORK/pid")
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. Build.
if [[ ${SKIP_BUILD:-} != 1 ]]; then
    echo "== building the demo (release)"
    timeout 1800 cargo build --release -p demo
fi
[[ -x $BIN ]] || die "$BIN is missing"

# The port must be free, or we would measure someone else's server.
if python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.5); sys.exit(0 if s.connect_ex(('127.0.0.1',$PORT))==0 else 1)"; then
    die "port $PORT is already in use; set PORT"
fi

# 2. Start, pinned to CPU 0; time from spawn to first answer (the poller runs on
# CPU 1). Timed STARTS times (the machine may be noisy); the last server stays up.
# SESSIONS picks the session store: jwt (default: encrypted cookies), sqlite or postgres
# (database sessions; the adapter also stores the demo's users).
case ${SESSIONS:-jwt} in
    jwt) export DEMO_SESSION_STRATEGY=jwt DATABASE_URL=sqlite::memory: ;;
    sqlite) export DEMO_SESSION_STRATEGY=database DATABASE_URL="sqlite:$WORK/load.db" ;;
    postgres) export DEMO_SESSION_STRATEGY=database DATABASE_URL=${LOAD_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test} ;;
    *) die "SESSIONS must be jwt, sqlite or postgres" ;;
esac
echo "== session store: ${SESSIONS:-jwt}"
start_server() {
    PORT=$PORT NEXTAUTH_URL="http://localhost:$PORT" NEXTAUTH_SECRET=$SECRET \
        timeout 30 taskset -c 1 python3 "$ROOT/scripts/load/start.py" "$PORT" "$WORK/pid" "$WORK/server.log" "$BIN" \
        || { cat "$WORK/server.log" >&2 || true; die "the server did not start"; }
}
stop_server() { # pid
    kill "$1" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.02; done
    kill -9 "$1" 2>/dev/null || true
}
echo "== starting the demo on port $PORT (CPU 0), $STARTS timed start-ups"
STARTUPS=()
for i in $(seq "$STARTS"); do
    STARTUPS+=("$(start_server)")
    SERVER_PID=$(cat "$WORK/pid")
    if [[ $i -lt $STARTS ]]; then
        stop_server "$SERVER_PID"
        SERVER_PID=
        rm -f "$WORK/pid"
        # Wait until the port is released before the next timed start.
        for _ in $(seq 100); do
            python3 -c "import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex(('127.0.0.1',$PORT))==0 else 1)" || break
            sleep 0.02
        done
    fi
done
STARTUP_MS=$(printf '%s\n' "${STARTUPS[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
STARTUP_RANGE=$(printf '%s\n' "${STARTUPS[@]}" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }')
echo "first answer after ${STARTUPS[*]} ms: median $STARTUP_MS ms (pid $SERVER_PID)"

status_kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$SERVER_PID/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# 3. Idle RSS, once start-up has settled.
sleep 0.5
IDLE_KIB=$(status_kib VmRSS)
echo "idle RSS: $(mib "$IDLE_KIB") MiB"

# 4. Sign in with the credentials provider; collect the cookies.
echo "== signing in"
JAR=$WORK/jar
CSRF_JSON=$(curl -sS --max-time 5 -c "$JAR" -b "$JAR" "$BASE/api/auth/csrf")
CSRF=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["csrfToken"])' <<<"$CSRF_JSON") \
    || die "no csrfToken in $CSRF_JSON"
SIGNIN=$(curl -sS --max-time 5 -c "$JAR" -b "$JAR" -o /dev/null -w '%{http_code}' \
    --data-urlencode username=demo --data-urlencode password=demo \
    --data-urlencode "csrfToken=$CSRF" --data-urlencode json=true \
    "$BASE/api/auth/callback/credentials")
[[ $SIGNIN == 200 ]] || die "sign-in answered HTTP $SIGNIN"
# Netscape jar: HttpOnly cookies are prefixed "#HttpOnly_"; name and value are fields 6, 7.
COOKIE=$(awk -F'\t' '(!/^#/ || /^#HttpOnly_/) && NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep = "; " }' "$JAR")
for name in next-auth.session-token next-auth.csrf-token next-auth.callback-url; do
    [[ $COOKIE == *"$name="* ]] || die "no $name cookie after sign-in (jar: $COOKIE)"
done
echo "cookies: $(sed -E 's/(session-token=)[^;]{16}[^;]*/\1<jwe…>/' <<<"$COOKIE")"

# The session answer must be real: a user, and only the session cookie re-issued.
curl -sS --max-time 5 -D "$WORK/headers" -o "$WORK/body" -H "Cookie: $COOKIE" "$BASE/api/auth/session"
echo "session body: $(cat "$WORK/body")"
grep -q '"user"' "$WORK/body" || die "GET /api/auth/session has no user: the cookies are not accepted"
SET_COOKIES=$(grep -ci '^set-cookie:' "$WORK/headers" || true)
SET_OTHER=$(grep -i '^set-cookie:' "$WORK/headers" | grep -vci 'next-auth.session-token=' || true)
echo "session response re-issues $SET_COOKIES cookie(s) ($SET_OTHER besides the session token)"
[[ $SET_OTHER == 0 ]] || echo "load.sh: warning: cookies other than the session token are re-issued" >&2

# Runs a command in the background and waits for it, so that a signal to this script
# is handled at once (bash defers traps while a foreground command runs).
interruptible() {
    "$@" &
    CHILD=$!
    local rc=0
    wait "$CHILD" || rc=$?
    CHILD=
    return "$rc"
}

# 5. wrk on CPU 1. The server's CPU time (user + system, from /proc) over each measured
# run, divided by the requests answered, is far steadier than req/s on a shared machine.
# The two routes alternate, ROUNDS times, so that a burst of load from elsewhere on the
# machine falls on both rather than on one of them.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
warm_up() { # label path [header]
    local label=$1 path=$2
    shift 2
    interruptible timeout "$WRK_LIMIT" taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" "$@" "$BASE$path" \
        >/dev/null || die "wrk warm-up failed for $label"
}
run_wrk() { # label path [header]
    local label=$1 path=$2
    shift 2
    echo "== wrk $label: $path (-t1 -c$CONNECTIONS -d$DURATION, CPU 1)"
    local ticks
    ticks=$(cpu_ticks)
    interruptible timeout "$WRK_LIMIT" taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency \
        -s "$ROOT/scripts/load/report.lua" "$@" "$BASE$path" >"$WORK/wrk-$label" \
        || die "wrk failed for $label"
    echo $(( $(cpu_ticks) - ticks )) >"$WORK/cpu-$label"
    grep '^TESSERA_WRK ' "$WORK/wrk-$label" || die "wrk produced no report for $label"
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server died during the $label run"
}
echo "== warm-up: $WARMUP of wrk on each route"
warm_up baseline /health
warm_up session /api/auth/session -H "Cookie: $COOKIE"
for round in $(seq "$ROUNDS"); do
    run_wrk "baseline-$round" /health
    run_wrk "session-$round" /api/auth/session -H "Cookie: $COOKIE"
done

# 6. Peak RSS.
PEAK_KIB=$(status_kib VmHWM)

# 7. Summary.
python3 - "$WORK" "$ROUNDS" "$(getconf CLK_TCK)" "$STARTUP_MS" "$IDLE_KIB" "$PEAK_KIB" "$CONNECTIONS" \
    "$DURATION" "$STARTUP_RANGE" "$STARTS" <<'EOF'
import re
import statistics
import sys

work, rounds, tck = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
startup, idle, peak = float(sys.argv[4]), int(sys.argv[5]) / 1024, int(sys.argv[6]) / 1024
conns, dur, startup_range, starts = sys.argv[7], sys.argv[8], sys.argv[9], sys.argv[10]


def run(label):
    line = next(l for l in open(f"{work}/wrk-{label}") if l.startswith("TESSERA_WRK "))
    r = {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", line)}
    r["cpu_us"] = int(open(f"{work}/cpu-{label}").read()) * 1e6 / tck
    r["cpu_per_req"] = r["cpu_us"] / max(r["requests"], 1)  # server CPU µs per request
    r["errors"] = r["connect"] + r["read"] + r["write"] + r["timeout"]
    return r


def route(name):
    runs = [run(f"{name}-{i}") for i in range(1, rounds + 1)]
    total = lambda k: sum(r[k] for r in runs)
    return {
        "runs": runs,
        "rps": total("requests") / total("duration_s"),
        "cpu": total("cpu_us") / max(total("requests"), 1),
        "p50": statistics.median(r["p50_us"] for r in runs),
        "p99": statistics.median(r["p99_us"] for r in runs),
        "p99_max": max(r["p99_us"] for r in runs),
        "non2xx": int(total("non2xx")),
        "sock": int(total("errors")),
    }


b, s = route("baseline"), route("session")
ms = lambda us: f"{us / 1000:.3f} ms"
per_round = [rb["cpu_per_req"] / rs["cpu_per_req"] for rb, rs in zip(b["runs"], s["runs"]) if rs["cpu_per_req"]]
cpu_ratio = b["cpu"] / s["cpu"] if s["cpu"] else 0.0
rps_ratio = 100 * s["rps"] / b["rps"] if b["rps"] else 0.0
print()
print(f"== summary ({rounds} rounds of wrk -t1 -c{conns} -d{dur} per route, alternating; server on CPU 0, wrk on CPU 1)")
print(f"{'route':<22}{'req/s':>12}{'CPU/req':>12}{'p50':>12}{'p99':>12}{'worst p99':>12}{'non-2xx':>10}{'sock err':>10}")
for name, r in (("/health (baseline)", b), ("/api/auth/session", s)):
    print(f"{name:<22}{r['rps']:>12,.0f}{r['cpu']:>9.2f} µs{ms(r['p50']):>12}{ms(r['p99']):>12}"
          f"{ms(r['p99_max']):>12}{r['non2xx']:>10}{r['sock']:>10}")
print(f"CPU per request: session {s['cpu']:.2f} µs = {s['cpu'] / b['cpu'] if b['cpu'] else 0:.2f} x baseline "
      f"{b['cpu']:.2f} µs; ratio (baseline / session) {cpu_ratio:.2f}"
      f" (per round: {', '.join(f'{x:.2f}' for x in per_round)})")
print(f"req/s: session {rps_ratio:.1f} % of baseline; session p99 {ms(s['p99'])} at {conns} connections "
      f"(median of the rounds; worst {ms(s['p99_max'])})")
print(f"start-up (spawn -> first answer): {startup:.1f} ms (median of {starts}; range {startup_range} ms)")
print(f"idle RSS: {idle:.1f} MiB   peak RSS (VmHWM): {peak:.1f} MiB")
print()
print("targets (informational)")
errors = b["non2xx"] + s["non2xx"] + b["sock"] + s["sock"]
rows = [
    ("CPU/req ratio baseline/session >= 0.70", f"{cpu_ratio:.2f}", cpu_ratio >= 0.70),
    ("session p99 < 2 ms", ms(s["p99"]), s["p99"] < 2000),
    ("idle RSS < 10 MiB", f"{idle:.1f} MiB", idle < 10),
    ("first answer < 20 ms", f"{startup:.1f} ms", startup < 20),
    ("no non-2xx / socket errors", f"{errors}", errors == 0),
]
for name, value, ok in rows:
    print(f"  {'PASS' if ok else 'MISS'}  {name:<40}{value:>12}")
# A closed loop of c connections has a mean latency of c / throughput (Little's law).
if s["rps"]:
    print(f"note: with {conns} connections the mean latency is {conns}/req-per-s: "
          f"{1000 * int(conns) / s['rps']:.2f} ms for the session route; p99 < 2 ms needs well over "
          f"{int(conns) / 2 * 1000:,.0f} req/s")
EOF
