#!/usr/bin/env bash
# Headway's whole test suite: what `make test` (after `make install`) and CI's .ci/run run.
#
# Stages, in this order; the first one that fails stops the run:
#   system    Debian packages the suite needs (chromium, fonts-dejavu-core), installed when missing
#   lint      ruff check + ruff format --check
#   types     mypy (settings in pyproject.toml)
#   sqlite    pytest on SQLite: everything except the browser tests and PostgreSQL-only tests
#   postgres  pytest on PostgreSQL, including tests marked `postgres` (two server processes, the
#             worker process): a fresh database on 127.0.0.1:5432, or a throwaway cluster when no
#             server answers there; every database it made is dropped at the end
#   browser   Playwright tests (tests/e2e) in Debian's /usr/bin/chromium, on SQLite
#   api       schemathesis (all checks) against a real granian server's /api/v1/openapi.json
#
# Environment knobs (all optional):
#   HEADWAY_TEST_STAGES="lint sqlite"   run only these stages (names above)
#   HEADWAY_TEST_WORKERS=N              pytest-xdist processes for the sqlite/postgres stages
#   HEADWAY_PG_HOST / _PORT / _USER     the PostgreSQL server to try first (127.0.0.1 / 5432 / postgres)
#   HEADWAY_FUZZ_EXAMPLES / _SEED       schemathesis examples per operation and its seed
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$PWD  # the repository root, for files read from inside temporary folders

VENV=$(realpath -m "${VENV:-.venv}")
BIN=$VENV/bin
PY=$BIN/python
ALL_STAGES="system lint types sqlite postgres browser api"
STAGES=${HEADWAY_TEST_STAGES:-$ALL_STAGES}
WORKERS=${HEADWAY_TEST_WORKERS:-2}
PG_HOST=${HEADWAY_PG_HOST:-127.0.0.1}
PG_PORT=${HEADWAY_PG_PORT:-5432}
PG_USER=${HEADWAY_PG_USER:-postgres}
FUZZ_EXAMPLES=${HEADWAY_FUZZ_EXAMPLES:-40}
FUZZ_SEED=${HEADWAY_FUZZ_SEED:-20261121}

export PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
unset DATABASE_URL  # each stage chooses its database explicitly

[[ -x $PY ]] || { echo "No virtualenv at $VENV: run 'make install' (or 'make test') first." >&2; exit 2; }

WORK=$(mktemp -d -t headway-test.XXXXXX)
REPORTS=$WORK/reports
mkdir -p "$REPORTS"
RUN_START=$EPOCHREALTIME
CURRENT=""
declare -a DONE=()      # "name seconds" of finished stages
PG_DB="" PG_CLUSTER="" SERVER_PID=""

# --- output -------------------------------------------------------------------------------
rule() { printf '%*s\n' 96 '' | tr ' ' "${1:-=}"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

counts() {  # "passed failed skipped" over every JUnit report written so far
	"$PY" - "$REPORTS" <<-'EOF'
		import glob, sys, xml.etree.ElementTree as ET
		p = f = s = 0
		for path in glob.glob(sys.argv[1] + "/*.xml"):
		    root = ET.parse(path).getroot()
		    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
		    for suite in suites:
		        tests, skipped = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
		        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
		        p, f, s = p + tests - failed - skipped, f + failed, s + skipped
		print(p, f, s)
	EOF
}

summary() {
	local status=$1 p f s
	read -r p f s < <(counts 2>/dev/null || echo "0 0 0")
	echo
	rule
	printf '%-10s %8s\n' stage seconds
	local entry
	for entry in "${DONE[@]}"; do printf '%-10s %8s\n' $entry; done
	rule -
	printf '%-10s %8s   %s\n' total "$(elapsed "$RUN_START")" "$status"
	rule
	echo "Summary: $p passed, $f failed, $s skipped"
	# The same totals as pytest's own closing line, last, so tools that read a run's result find them.
	local parts=()
	((f > 0)) && parts+=("$f failed")
	parts+=("$p passed")
	((s > 0)) && parts+=("$s skipped")
	local joined
	joined=$(IFS=,; echo "${parts[*]}")
	echo "======================== ${joined//,/, } in $(elapsed "$RUN_START")s ========================"
}

# --- clean-up: always, also on failure and Ctrl+C -----------------------------------------
stop_server() {
	[[ -n $SERVER_PID ]] || return 0
	if kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$SERVER_PID" 2>/dev/null || true
	fi
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	stop_server
	if [[ -n $PG_DB ]]; then "$PY" scripts/pg.py drop --host "$PG_HOST" --port "$PG_PORT" --user "$PG_USER" "$PG_DB"; fi
	if [[ -n $PG_CLUSTER ]]; then "$PY" scripts/pg.py down "$PG_CLUSTER"; fi
	if ((rc != 0)) && [[ -n $CURRENT ]]; then
		echo
		rule '!'
		echo "FAILED: stage '$CURRENT' (exit $rc) after $(elapsed "$STAGE_START") s"
		rule '!'
	fi
	if ((rc == 0)); then summary "all stages passed"; else summary "FAILED"; fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers --------------------------------------------------------------------------------
apt_install() {
	local sudo=()
	if ((EUID != 0)); then
		if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
			echo "Install these Debian packages first (needs root): $*" >&2
			return 1
		fi
	fi
	echo "installing Debian packages: $*"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

pytest_run() {  # pytest_run REPORT_NAME ARGS…: exit 5 (nothing collected) is a note, not a failure
	local name=$1 rc=0
	shift
	# --ds: the Makefile exports DJANGO_SETTINGS_MODULE=config.settings.base, which pytest-django
	# would otherwise prefer to pyproject's test settings.
	"$BIN/pytest" -q --ds=config.settings.test --junitxml="$REPORTS/$name.xml" "$@" || rc=$?
	if ((rc == 5)); then
		echo "note: no tests selected for stage '$name'"
		return 0
	fi
	return "$rc"
}

xdist_args() { ((WORKERS > 1)) && echo "-n $WORKERS" || true; }

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_http() {  # wait_http URL SECONDS
	local deadline=$((SECONDS + $2))
	until "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1" 2>/dev/null; do
		if ((SECONDS > deadline)); then echo "no answer from $1 within $2 s" >&2; return 1; fi
		if [[ -n $SERVER_PID ]] && ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "the server exited" >&2; return 1; fi
		sleep 0.3
	done
}

# --- stages ---------------------------------------------------------------------------------
stage_system() {
	local chromium=${HEADWAY_CHROMIUM:-/usr/bin/chromium} need=()
	[[ -x $chromium ]] || need+=(chromium)
	if command -v dpkg-query >/dev/null; then
		dpkg-query -W -f='${Status}' fonts-dejavu-core 2>/dev/null | grep -q 'ok installed' || need+=(fonts-dejavu-core)
	fi
	if ((${#need[@]})); then apt_install "${need[@]}"; else echo "chromium and fonts-dejavu-core present"; fi
	"$chromium" --version
}

stage_lint() {
	"$BIN/ruff" check .
	"$BIN/ruff" format --check .
}

stage_types() {
	"$BIN/mypy" --cache-dir "$WORK/mypy-cache" .
}

stage_sqlite() {
	# shellcheck disable=SC2046
	pytest_run sqlite -m "not e2e and not postgres" $(xdist_args)
}

stage_postgres() {
	local env
	env=$("$PY" scripts/pg.py up --host "$PG_HOST" --port "$PG_PORT" --user "$PG_USER")
	eval "$env"  # PG_HOST, PG_PORT, PG_USER, PG_CLUSTER (empty when the server was already there)
	PG_DB="headway_ci_$(date +%H%M%S)_$$"
	"$PY" scripts/pg.py create --host "$PG_HOST" --port "$PG_PORT" --user "$PG_USER" "$PG_DB"
	echo "database $PG_DB on $PG_HOST:$PG_PORT (tests use test_$PG_DB)"
	# shellcheck disable=SC2046
	DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB" pytest_run postgres -m "not e2e" $(xdist_args)
}

stage_browser() {
	pytest_run browser -m e2e
}

stage_api() {
	local dir=$WORK/api port seed token
	mkdir -p "$dir"
	local -a env=(env DJANGO_SETTINGS_MODULE=config.settings.base HEADWAY_VAR_DIR="$dir"
		HEADWAY_SECRET_KEY="schemathesis-run-$(date +%s)-not-a-real-secret-key-0123456789")
	"${env[@]}" "$PY" manage.py migrate --no-input -v 0
	"${env[@]}" "$PY" manage.py createcachetable
	seed=$("${env[@]}" "$PY" scripts/seed_api.py)
	token=$("$PY" -c 'import json, sys; print(json.loads(sys.argv[1])["token"])' "$seed")
	port=$(free_port)
	"${env[@]}" "$BIN/headway" serve --port "$port" --workers 2 >"$dir/server.log" 2>&1 &
	SERVER_PID=$!
	wait_http "http://127.0.0.1:$port/api/v1/ping" 60 || { tail -50 "$dir/server.log"; return 1; }
	local rc=0
	(cd "$dir" && timeout 900 "$BIN/st" --config-file "$REPO_ROOT/schemathesis.toml" run "http://127.0.0.1:$port/api/v1/openapi.json" \
		--checks all -H "Authorization: Bearer $token" \
		--max-examples "$FUZZ_EXAMPLES" --seed "$FUZZ_SEED" --workers 2 --request-timeout 30 \
		--report junit --report-junit-path "$REPORTS/api.xml" | cut -c1-400) || rc=$?
	if ((rc != 0)); then
		echo "server log (last 40 lines):"
		tail -40 "$dir/server.log"
	fi
	stop_server
	return "$rc"
}

# --- run ------------------------------------------------------------------------------------
for stage in $STAGES; do
	[[ " $ALL_STAGES " == *" $stage "* ]] || { echo "unknown stage '$stage' (stages: $ALL_STAGES)" >&2; exit 2; }
done
echo "Headway test suite: $(nproc) cores, $PY ($("$PY" -c 'import sys; print(sys.version.split()[0])')), stages: $STAGES"
for stage in $STAGES; do
	CURRENT=$stage
	STAGE_START=$EPOCHREALTIME
	echo
	rule
	echo "▶ $stage"
	rule
	"stage_$stage"
	DONE+=("$stage $(elapsed "$STAGE_START")")
	echo "✓ $stage passed in $(elapsed "$STAGE_START") s"
done
CURRENT=""  # the EXIT trap cleans up and prints the summary
