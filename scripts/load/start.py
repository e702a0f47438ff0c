#!/usr/bin/env python3
"""Spawns the demo server pinned to CPU 0 and measures the time from spawn to the
first successful HTTP answer (GET /health -> 200), polling every 1 ms.

usage: start.py PORT PIDFILE LOGFILE BINARY
Prints the start-up time in milliseconds on stdout; leaves the server running (the
caller kills it by the PID written to PIDFILE). Exits non-zero when the server dies or
does not answer within 15 s (the server is then killed here).
"""
import os
import signal
import socket
import subprocess
import sys
import time

TIMEOUT_S = 15.0
REQUEST = b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def probe(port: int) -> bool:
    """One connect + GET; True on an HTTP 200 answer."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(REQUEST)
            head = s.recv(64)
            return head.startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def main() -> int:
    port, pidfile, logfile, binary = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    log = open(logfile, "wb")
    t0 = time.perf_counter_ns()
    # taskset execs the server in place: the PID is the server's.
    proc = subprocess.Popen(
        ["taskset", "-c", "0", binary],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    with open(pidfile, "w") as f:
        f.write(f"{proc.pid}\n")
    deadline = t0 + int(TIMEOUT_S * 1e9)
    while True:
        if probe(port):
            elapsed_ms = (time.perf_counter_ns() - t0) / 1e6
            print(f"{elapsed_ms:.2f}")
            return 0
        if proc.poll() is not None:
            print(f"start.py: the server exited with {proc.returncode} before answering", file=sys.stderr)
            return 1
        if time.perf_counter_ns() > deadline:
            print(f"start.py: no answer on port {port} within {TIMEOUT_S} s", file=sys.stderr)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return 1
        time.sleep(0.001)


if __name__ == "__main__":
    sys.exit(main())
