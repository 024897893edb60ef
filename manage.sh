#!/usr/bin/env bash
# The project's entry point: ./manage.sh help
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$ROOT/.venv"
STATE="${MANAGE_STATE_DIR:-$ROOT/var}"
RUN_DIR="$STATE/run"
LOG_DIR="$STATE/log"
PYTHON_BIN="${PYTHON:-python3}"
SERVICES=(dynamodb django)

die() { echo "manage.sh: $*" >&2; exit 1; }
say() { echo "==> $*" >&2; }
# The SHA-256 of standard input in hex (install stamps), with the virtual environment's Python.
sha256_of_stdin() { "$PY" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'; }

# --- environment ---------------------------------------------------------------

# Install a hash-locked requirements file (./manage.sh lock) into .venv (created on first
# use) unless a virtual environment is active; reinstall only when the files changed.
ensure_venv() {
    local requirements="$1"
    if [[ -n "${VIRTUAL_ENV:-}" ]]; then
        PY="$VIRTUAL_ENV/bin/python"
        return
    fi
    if [[ ! -x "$VENV/bin/python" ]]; then
        command -v "$PYTHON_BIN" >/dev/null || die "$PYTHON_BIN not found: install Python 3.11 or set PYTHON."
        "$PYTHON_BIN" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
            || die "$PYTHON_BIN is older than Python 3.11."
        say "Creating $VENV"
        "$PYTHON_BIN" -m venv "$VENV" || die "could not create $VENV (is Python's venv module installed?)"
    fi
    PY="$VENV/bin/python"
    local name stamp wanted
    name="$(basename "$requirements")"
    stamp="$VENV/.installed-$name.sha256"
    wanted="$(cat "$ROOT"/requirements*.txt | sha256_of_stdin)"
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
        say "Installing $name into $VENV"
        "$PY" -m pip install --quiet --disable-pip-version-check --require-hashes -r "$requirements" \
            || die "pip install -r $name failed (see above)."
        echo "$wanted" > "$stamp"
    fi
}

# Create .env from .env.example with a random secret key on first use.
ensure_dotenv() {
    if [[ ! -f "$ROOT/.env" ]]; then
        [[ -f "$ROOT/.env.example" ]] || die ".env.example is missing."
        local secret
        secret="$("$PYTHON_BIN" -c 'import secrets; print(secrets.token_urlsafe(50))')"
        sed "s|^DJANGO_SECRET_KEY=.*|DJANGO_SECRET_KEY=$secret|" "$ROOT/.env.example" > "$ROOT/.env"
        say "Created .env from .env.example (with a new random DJANGO_SECRET_KEY)"
    fi
}

# Export .env's variables, except those already set in the environment.
load_dotenv() {
    ensure_dotenv
    local line key value
    while IFS= read -r line || [[ -n "$line" ]]; do
        [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
        [[ "$line" =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
        key="${BASH_REMATCH[1]}"
        value="${BASH_REMATCH[2]}"
        [[ -n "${!key+set}" ]] || export "$key=$value"
    done < "$ROOT/.env"
    export DJANGO_PORT="${DJANGO_PORT:-8000}" DYNAMODB_PORT="${DYNAMODB_PORT:-8042}"
    export DJANGO_HOST="${DJANGO_HOST:-127.0.0.1}"
    [[ "$DJANGO_PORT" =~ ^[0-9]+$ ]] || die "DJANGO_PORT must be a port number, got '$DJANGO_PORT'."
    [[ "$DYNAMODB_PORT" =~ ^[0-9]+$ ]] || die "DYNAMODB_PORT must be a port number, got '$DYNAMODB_PORT'."
}

# --- modes ---------------------------------------------------------------------

compose() {
    if docker compose version >/dev/null 2>&1; then
        docker compose -f "$ROOT/docker-compose.yml" "$@"
    else
        docker-compose -f "$ROOT/docker-compose.yml" "$@"
    fi
}

docker_available() {
    command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 \
        && { docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; }
}

# MODE: --docker/--local flags, then STACK_MODE, then what runs, then what is available.
choose_mode() {
    local requested="${FLAG_MODE:-${STACK_MODE:-}}"
    case "$requested" in
        docker) docker_available || die "docker mode needs a running Docker engine and compose."; MODE=docker ;;
        local) MODE=local ;;
        "")
            if [[ -f "$RUN_DIR/mode" ]]; then MODE="$(cat "$RUN_DIR/mode")"
            elif docker_available; then MODE=docker
            else MODE=local; fi ;;
        *) die "STACK_MODE must be 'docker' or 'local', got '$requested'." ;;
    esac
}

# --- local processes -----------------------------------------------------------

# A process that exists and is not a zombie (an exited child nobody reaped yet).
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    [[ ! -r "/proc/$1/status" ]] || ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"
}

pid_of() {
    local file="$RUN_DIR/$1.pid"
    [[ -f "$file" ]] || return 1
    local pid
    pid="$(cat "$file")"
    [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" && { echo "$pid"; return 0; }
    rm -f "$file"
    return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_free_port() {
    if port_open "$1"; then
        die "port $1 is already in use by another program: stop it, or set $2 to a free port."
    fi
}

wait_for_port() {
    local port="$1" name="$2" pid="$3"
    for _ in $(seq 1 200); do
        port_open "$port" && return 0
        alive "$pid" || die "$name exited while starting: see $LOG_DIR/$name.log"
        sleep 0.1
    done
    die "$name did not listen on port $port within 20 s: see $LOG_DIR/$name.log"
}

http_status() {
    "$PY" - "$1" <<'PYTHON'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).status)
except urllib.error.HTTPError as error:
    print(error.code)
except OSError:
    print(0)
PYTHON
}

django_manage() { (cd "$ROOT/src" && DJANGO_SETTINGS_MODULE=project.settings "$PY" manage.py "$@"); }

start_engine() {
    require_free_port "$DYNAMODB_PORT" DYNAMODB_PORT
    say "Starting the DynamoDB engine (moto, serialised: src/dynamodb/local_engine.py) on 127.0.0.1:$DYNAMODB_PORT"
    nohup "$PY" "$ROOT/src/dynamodb/local_engine.py" --port "$DYNAMODB_PORT" \
        >>"$LOG_DIR/dynamodb.log" 2>&1 </dev/null &
    echo $! > "$RUN_DIR/dynamodb.pid"
    wait_for_port "$DYNAMODB_PORT" dynamodb "$!"
}

# The last line of a failed command's output, without the exception's class: its message.
error_message() { tail -n 1 | sed -E 's/^([A-Za-z_][A-Za-z0-9_]*\.)*[A-Za-z_][A-Za-z0-9_]*: //'; }

# Settings the service cannot start with (DJANGO_SERVER=bogus, no secret key without DEBUG)
# are refused with Django's own message, before anything starts.
check_settings() {
    local output
    output="$(django_manage check --fail-level ERROR 2>&1)" \
        || die "the settings are refused: $(error_message <<<"$output") (./manage.sh run check)"
}

prepare_django() {
    say "Applying migrations and creating the DynamoDB tables"
    local step
    for step in "migrate --noinput" createdynamotables devsuperuser; do
        # shellcheck disable=SC2086 # a command and its arguments
        django_manage $step >>"$LOG_DIR/setup.log" 2>&1 \
            || die "${step%% *} failed: $(error_message <"$LOG_DIR/setup.log") (see $LOG_DIR/setup.log)"
    done
}

start_django() {
    require_free_port "$DJANGO_PORT" DJANGO_PORT
    say "Starting gunicorn on $DJANGO_HOST:$DJANGO_PORT"
    DJANGO_SETTINGS_MODULE=project.settings \
        nohup "$PY" -m gunicorn -c "$ROOT/src/project/gunicorn.conf.py" \
        >>"$LOG_DIR/django.log" 2>&1 </dev/null &
    echo $! > "$RUN_DIR/django.pid"
    wait_for_port "$DJANGO_PORT" django "$!"
}

wait_until_ready() {
    local url="http://127.0.0.1:$DJANGO_PORT/ready/" code
    for _ in $(seq 1 120); do
        code="$(http_status "$url")"
        [[ "$code" == 200 ]] && return 0
        sleep 0.5
    done
    die "the service did not become ready ($url answered $code): see ./manage.sh logs"
}

local_up() {
    ensure_venv "$ROOT/requirements-local.txt"
    mkdir -p "$RUN_DIR" "$LOG_DIR"
    echo local > "$RUN_DIR/mode"
    export DYNAMODB_ENDPOINT_URL="http://127.0.0.1:$DYNAMODB_PORT"
    export DJANGO_LOG_LEVEL="${DJANGO_LOG_LEVEL:-INFO}"
    local engine_pid django_pid restarted_engine=false
    if ! pid_of django >/dev/null; then
        pid_of dynamodb >/dev/null || require_free_port "$DYNAMODB_PORT" DYNAMODB_PORT
        require_free_port "$DJANGO_PORT" DJANGO_PORT
        check_settings
    fi
    if engine_pid="$(pid_of dynamodb)" && ! port_open "$DYNAMODB_PORT"; then
        say "The engine (pid $engine_pid) does not answer: restarting it"
        stop_pid dynamodb "$engine_pid"
    fi
    if ! pid_of dynamodb >/dev/null; then
        start_engine
        restarted_engine=true
    fi
    if $restarted_engine || ! pid_of django >/dev/null; then
        prepare_django
    fi
    if django_pid="$(pid_of django)"; then
        if $restarted_engine; then
            # The engine's data is gone: reload workers so no reserved id block outlives it.
            say "Reloading gunicorn workers after the engine restart"
            kill -HUP "$django_pid"
        fi
    else
        start_django
    fi
    wait_until_ready
}

# TERM, then KILL after 10 s; forget the pid file.
stop_pid() {
    local name="$1" pid="$2"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
    rm -f "$RUN_DIR/$name.pid"
}

local_down() {
    local stopped=0 pid name
    for name in django dynamodb; do
        if pid="$(pid_of "$name")"; then
            stop_pid "$name" "$pid"
            say "Stopped $name (pid $pid)"
            stopped=$((stopped + 1))
        fi
    done
    rm -f "$RUN_DIR/mode"
    [[ $stopped -gt 0 ]] || say "Nothing is running."
}

local_running() { pid_of dynamodb >/dev/null && pid_of django >/dev/null; }

# --- commands --------------------------------------------------------------------

print_welcome() {
    local url="http://127.0.0.1:$DJANGO_PORT"
    local user="${DJANGO_SUPERUSER_USERNAME:-admin}" password="${DJANGO_SUPERUSER_PASSWORD:-admin}"
    cat <<EOF
Service:  $url
Swagger:  $url/api/docs/
EOF
    case "${DJANGO_DEBUG:-false}" in
        [Tt]rue|1|[Yy]es|[Oo]n)
            cat <<EOF
Login:    $user / $password  ($url/admin/)
Try:      curl -u $user:$password $url/api/dynamo/booking/
EOF
            ;;
        *) echo "Login:    DJANGO_DEBUG is off, so no dev superuser: ./manage.sh run createsuperuser" ;;
    esac
}

cmd_run() {
    parse_mode_flags "$@"
    set -- "${ARGS[@]+"${ARGS[@]}"}"
    load_dotenv
    choose_mode
    ensure_venv "$ROOT/requirements-local.txt"
    if [[ "$MODE" == docker ]]; then
        if ! compose ps --status running --services 2>/dev/null | grep -qx django; then
            say "Starting the docker compose stack"
            compose up -d --build --wait
        elif [[ $# -eq 0 ]]; then
            echo "Already running."
        fi
        if [[ $# -gt 0 ]]; then
            compose exec django python manage.py "$@"
            return
        fi
    elif [[ $# -gt 0 ]]; then
        local_running || local_up
        export DYNAMODB_ENDPOINT_URL="http://127.0.0.1:$DYNAMODB_PORT"
        django_manage "$@"
        return
    elif local_running && [[ "$(http_status "http://127.0.0.1:$DJANGO_PORT/ready/")" == 200 ]]; then
        echo "Already running."
    else
        local_up  # waits until the service is ready
    fi
    [[ "$MODE" != docker ]] || wait_until_ready  # compose --wait checks /health/ only
    print_welcome
}

cmd_stop() {
    parse_mode_flags "$@"
    choose_mode
    if [[ "$MODE" == docker ]]; then
        compose down
        rm -f "$RUN_DIR/mode"
    else
        local_down
    fi
}

cmd_status() {
    parse_mode_flags "$@"
    choose_mode
    if [[ "$MODE" == docker ]]; then
        compose ps
        return
    fi
    local name pid
    for name in "${SERVICES[@]}"; do
        if pid="$(pid_of "$name")"; then
            echo "$name: running (pid $pid)"
        else
            echo "$name: stopped"
        fi
    done
}

cmd_logs() {
    local tail_lines=100 follow=false services=() arg
    for arg in "$@"; do
        case "$arg" in
            --tail=*) tail_lines="${arg#--tail=}" ;;
            -f|--follow) follow=true ;;
            --docker|--local) FLAG_MODE="${arg#--}" ;;
            django|dynamodb) services+=("$arg") ;;
            *) die "logs: unknown argument '$arg' (use [--tail=N] [-f] [django|dynamodb])." ;;
        esac
    done
    [[ "$tail_lines" =~ ^[0-9]+$ ]] || die "logs: --tail takes a number of lines."
    choose_mode
    if [[ "$MODE" == docker ]]; then
        local flags=(--tail="$tail_lines")
        $follow && flags+=(-f)
        compose logs "${flags[@]}" "${services[@]+"${services[@]}"}"
        return
    fi
    [[ ${#services[@]} -gt 0 ]] || services=("${SERVICES[@]}")
    local files=() name
    for name in "${services[@]}"; do
        [[ -f "$LOG_DIR/$name.log" ]] && files+=("$LOG_DIR/$name.log")
    done
    [[ ${#files[@]} -gt 0 ]] || die "no logs yet: start the stack with ./manage.sh run."
    if $follow; then tail -n "$tail_lines" -F "${files[@]}"; else tail -n "$tail_lines" "${files[@]}"; fi
}

# --- test engines ----------------------------------------------------------------

TEST_ENGINES=(moto dynalite)

# dynalite, pinned by engines/dynalite/package-lock.json, installed with npm ci under
# .engines/dynalite (git-ignored); reinstalled only when the pinned files changed.
ensure_dynalite() {
    local source="$ROOT/engines/dynalite" target="$ROOT/.engines/dynalite"
    local cli="$target/node_modules/dynalite/cli.js" stamp="$target/.installed.sha256" wanted
    command -v node >/dev/null || die "the dynalite engine needs Node.js 20+ and npm: node is not on PATH."
    node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
        || die "the dynalite engine needs Node.js 20 or later, found $(node --version)."
    wanted="$(cat "$source/package.json" "$source/package-lock.json" | sha256_of_stdin)"
    if [[ ! -f "$cli" || ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
        command -v npm >/dev/null || die "the dynalite engine needs npm: npm is not on PATH."
        say "Installing dynalite into $target (npm ci)"
        rm -rf "$target"
        mkdir -p "$target"
        cp "$source/package.json" "$source/package-lock.json" "$target/"
        (cd "$target" && npm ci --no-audit --no-fund --loglevel=error >&2) \
            || die "npm ci of dynalite failed (see above)."
        [[ -f "$cli" ]] || die "npm ci did not install $cli."
        echo "$wanted" > "$stamp"
    fi
    export DYNALITE_CLI="$cli"
}

cmd_test() {
    local engine="${DYNAMODB_TEST_ENGINE:-moto}" args=() fuzz=false browser=false
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --engine) [[ $# -ge 2 ]] || die "test: --engine needs a name (${TEST_ENGINES[*]})."
                      engine="$2"; shift 2 ;;
            --engine=*) engine="${1#--engine=}"; shift ;;
            --fuzz) fuzz=true; shift ;;
            --browser) browser=true; shift ;;
            --) args+=("$@"); break ;;
            *) args+=("$1"); shift ;;
        esac
    done
    [[ " ${TEST_ENGINES[*]} " == *" $engine "* ]] \
        || die "test: unknown engine '$engine' (use one of: ${TEST_ENGINES[*]})."
    ensure_venv "$ROOT/requirements-dev.txt"
    [[ "$engine" != dynalite ]] || ensure_dynalite
    export DYNAMODB_TEST_ENGINE="$engine"
    cd "$ROOT"
    if $fuzz; then
        # The full fuzzing budget (the normal run fuzzes a few cases per operation).
        export FUZZ_MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-50}" FUZZ_COVERAGE=1
        args=(-m fuzz tests/fuzz "${args[@]+"${args[@]}"}")
    fi
    if $browser; then
        # The browser suite alone (skipped in every other run): Debian's chromium and chromedriver.
        export DYNAMODB_TEST_BROWSER=1
        args=(-m browser tests/browser "${args[@]+"${args[@]}"}")
    fi
    exec "$PY" -m pytest "${args[@]+"${args[@]}"}"
}

BENCHMARKS=(connector async rest transport scale admin)

# Benchmarks print tables and ratios against raw boto3 measured in the same run;
# they never gate CI. See bench/README.md.
cmd_bench() {
    local names=() name
    if [[ $# -gt 0 && "$1" != -* ]]; then
        names=("$1")
        shift
    else
        names=("${BENCHMARKS[@]}")
    fi
    for name in "${names[@]}"; do
        [[ " ${BENCHMARKS[*]} " == *" $name "* ]] \
            || die "bench: unknown benchmark '$name' (use one of: ${BENCHMARKS[*]})."
    done
    ensure_venv "$ROOT/requirements-dev.txt"
    # scale and admin run on dynalite by default; the others when asked (--engine dynalite).
    [[ " ${names[*]} " != *" scale "* && " ${names[*]} " != *" admin "* && " $* " != *dynalite* ]] \
        || ensure_dynalite
    local script
    for name in "${names[@]}"; do
        case "$name" in
            connector) script=connector_vs_boto3.py ;;
            async) script=async_transport.py ;;
            *) script="$name.py" ;;
        esac
        say "bench $name"
        (cd "$ROOT/bench" && "$PY" "$script" "$@")
    done
}

cmd_fmt() {
    ensure_venv "$ROOT/requirements-dev.txt"
    cd "$ROOT"
    "$PY" -m black --quiet .
    "$PY" -m ruff check --fix --quiet .
    "$PY" -m black --quiet .
}

cmd_lint() {
    ensure_venv "$ROOT/requirements-dev.txt"
    cd "$ROOT"
    "$PY" -m ruff check .
    "$PY" -m black --check .
}

# Compile each requirements*.in into its hash-locked requirements*.txt with pip-tools
# (pinned in requirements-dev.in), keeping the versions already locked unless asked
# otherwise: extra arguments go to every pip-compile (--upgrade, --upgrade-package NAME).
# Each file is compiled after the one it extends, whose versions constrain it.
cmd_lock() {
    ensure_venv "$ROOT/requirements-dev.txt"
    # Dependencies differ by Python version: lock for the image's and CI's, 3.11.
    "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
        || die "lock needs Python 3.11 (the image's), not $("$PY" -V): use a 3.11 virtual environment."
    "$PY" -c 'import piptools' 2>/dev/null \
        || die "pip-tools is missing from ${VIRTUAL_ENV:-$VENV}: pip install --require-hashes -r requirements-dev.txt"
    cd "$ROOT"
    local name
    for name in requirements requirements-local requirements-dev; do
        say "Locking $name.txt"
        # No index or find-links lines: those of this machine's pip configuration are its own.
        CUSTOM_COMPILE_COMMAND="./manage.sh lock" "$PY" -m piptools compile --quiet \
            --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
            --output-file "$name.txt" "$name.in" "$@" \
            || die "pip-compile of $name.in failed (see above)."
    done
}

cmd_help() {
    cat <<'USAGE'
Usage: ./manage.sh <command> [args]

  run [--local|--docker]          start the stack (or restart what died) and print its URLs
  run <django command> [args]     run a Django management command in the stack
  stop                            stop what run started
  status                          say what runs
  logs [--tail=N] [-f] [service]  show the logs of django and/or dynamodb
  test [--engine E] [--fuzz] [--browser] [pytest args]
                                  run the test suite (builds .venv on first use) against
                                  engine E: moto (default) or dynalite (installed with npm
                                  under .engines/ on first use; needs Node.js 20+)
                                  --fuzz: only the schemathesis fuzzing, at its full budget
                                  --browser: only the browser tests (Debian's chromium and
                                  chromium-driver), skipped in every other run
  bench [NAME] [args]             benchmarks with ratios against raw boto3 (connector, async,
                                  rest, transport, scale, admin; all by default): see bench/README.md
  fmt                             format the code (ruff --fix, black)
  lint                            check formatting and lint without changing anything
  lock [pip-compile args]         lock requirements*.in into requirements*.txt with hashes
                                  (pip-tools; --upgrade or --upgrade-package NAME moves pins)
  help                            show this help

Mode: docker when a Docker engine and compose are available, local otherwise
(a .venv, moto's server and gunicorn, state under var/). Override with
--local/--docker or STACK_MODE=local|docker.
USAGE
}

parse_mode_flags() {
    ARGS=()
    local arg
    for arg in "$@"; do
        case "$arg" in
            --local|--docker) [[ ${#ARGS[@]} -eq 0 ]] && FLAG_MODE="${arg#--}" || ARGS+=("$arg") ;;
            *) ARGS+=("$arg") ;;
        esac
    done
}

main() {
    local command="${1:-help}"
    [[ $# -gt 0 ]] && shift
    case "$command" in
        run) cmd_run "$@" ;;
        stop) cmd_stop "$@" ;;
        status) cmd_status "$@" ;;
        logs) cmd_logs "$@" ;;
        test) cmd_test "$@" ;;
        bench) cmd_bench "$@" ;;
        fmt) cmd_fmt "$@" ;;
        lint) cmd_lint "$@" ;;
        lock) cmd_lock "$@" ;;
        help|-h|--help) cmd_help ;;
        *) cmd_help >&2; die "unknown command: $command" ;;
    esac
}

main "$@"
