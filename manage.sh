#!/usr/bin/env bash
# Entry point of the project: ./manage.sh help
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$ROOT/.venv"
PYTHON_BIN="${PYTHON:-python3}"

die() { echo "manage.sh: $*" >&2; exit 1; }

# Create .venv with the dev requirements unless a virtual environment is active;
# reinstall when a requirements file changed since the last install.
ensure_venv() {
    if [[ -n "${VIRTUAL_ENV:-}" ]]; then
        PY="$VIRTUAL_ENV/bin/python"
        return
    fi
    local stamp="$VENV/.requirements.sha256"
    local wanted
    wanted="$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" | sha256sum | cut -d' ' -f1)"
    if [[ ! -x "$VENV/bin/python" ]]; then
        command -v "$PYTHON_BIN" >/dev/null || die "$PYTHON_BIN not found: install Python 3.11 or set PYTHON."
        echo "Creating $VENV ..." >&2
        "$PYTHON_BIN" -m venv "$VENV" || die "could not create $VENV (is the venv module installed?)"
    fi
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
        echo "Installing requirements-dev.txt into $VENV ..." >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            -r "$ROOT/requirements-dev.txt" || die "pip install failed (see above)."
        echo "$wanted" > "$stamp"
    fi
    PY="$VENV/bin/python"
}

cmd_test() {
    ensure_venv
    cd "$ROOT"
    exec "$PY" -m pytest "$@"
}

cmd_fmt() {
    ensure_venv
    cd "$ROOT"
    "$PY" -m ruff check --fix --quiet .
    "$PY" -m black --quiet .
}

cmd_lint() {
    ensure_venv
    cd "$ROOT"
    "$PY" -m ruff check .
    "$PY" -m black --check .
}

cmd_help() {
    cat <<'USAGE'
Usage: ./manage.sh <command> [args]

  test [pytest args]   run the test suite (builds .venv on first use)
  fmt                  format the code (ruff --fix, black)
  lint                 check formatting and lint without changing anything
  help                 show this help
USAGE
}

main() {
    local command="${1:-help}"
    [[ $# -gt 0 ]] && shift
    case "$command" in
        test) cmd_test "$@" ;;
        fmt) cmd_fmt "$@" ;;
        lint) cmd_lint "$@" ;;
        help|-h|--help) cmd_help ;;
        *) cmd_help >&2; die "unknown command: $command" ;;
    esac
}

main "$@"
