#!/bin/sh
# Starts the aiosmtpd test server (tests/smtp_server.py), installing aiosmtpd first if needed.
#
#   tests/smtp-server.sh --install          # only make sure aiosmtpd is available, then exit
#   tests/smtp-server.sh --dir DIR [...]    # exec the server (arguments: see smtp_server.py)
#
# aiosmtpd comes from, in order: the system Python (e.g. Debian's `python3-aiosmtpd`), or a
# virtualenv at $TESSERA_SMTP_VENV (default: <target dir>/tmp/tessera-smtp-venv) that this
# script creates with `pip install aiosmtpd==$AIOSMTPD_VERSION` from PyPI when missing.
# $TESSERA_SMTP_PYTHON picks the interpreter (default python3).
set -eu

AIOSMTPD_VERSION=1.4.6
here=$(cd "$(dirname "$0")" && pwd)
python=${TESSERA_SMTP_PYTHON:-python3}
target=${CARGO_TARGET_DIR:-$here/../../../target}
venv=${TESSERA_SMTP_VENV:-$target/tmp/tessera-smtp-venv}

if ! command -v "$python" >/dev/null 2>&1; then
    echo "smtp-server.sh: $python not found" >&2
    exit 127
fi

pick() {
    if "$python" -c 'import aiosmtpd' >/dev/null 2>&1; then
        echo "$python"
    elif [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import aiosmtpd' >/dev/null 2>&1; then
        echo "$venv/bin/python"
    fi
}

py=$(pick)
if [ -z "$py" ]; then
    mkdir -p "$(dirname "$venv")"
    install() {
        # Another process may have finished the install while we waited for the lock.
        if [ -n "$(pick)" ]; then return 0; fi
        echo "smtp-server.sh: installing aiosmtpd==$AIOSMTPD_VERSION into $venv" >&2
        rm -rf "$venv"
        "$python" -m venv "$venv" >&2
        "$venv/bin/python" -m pip install --disable-pip-version-check --quiet \
            "aiosmtpd==$AIOSMTPD_VERSION" >&2
    }
    if command -v flock >/dev/null 2>&1; then
        (
            flock 9
            install
        ) 9>"$venv.lock"
    else
        install
    fi
    py=$(pick)
    if [ -z "$py" ]; then
        echo "smtp-server.sh: aiosmtpd is still not importable" >&2
        exit 1
    fi
fi

if [ "${1:-}" = "--install" ]; then
    echo "smtp-server.sh: aiosmtpd available via $py" >&2
    exit 0
fi
exec "$py" "$here/smtp_server.py" "$@"
