#!/usr/bin/env python3
"""start_ready.py --pidfile F --log F --timeout S (--notify | --line TEXT) -- COMMAND...

Starts a daemon in its own session with its output appended to the log, writes its pid, and
returns once the daemon itself says it is ready, not by polling its port:
  --notify     the sd_notify(3) protocol: READY=1 on a NOTIFY_SOCKET bound here (Samba sends it
               once its services listen, lib/util/become_daemon.c daemon_ready);
  --line TEXT  a line containing TEXT on its output (slapd -d none prints "slapd starting" once
               its listeners are open); a detached copier keeps moving the rest to the log.
Exit 0: ready. Exit 1: the daemon exited or stayed silent for --timeout seconds (log tail on
stderr). Python's stdlib only: selectors over the socket or pipe and a pidfd, one deadline."""

import argparse
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time

LOG_TAIL_BYTES = 4000


def fail(log_path, why):
    sys.stderr.write(f"start_ready: {why}; log {log_path}:\n")
    try:
        with open(log_path, "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - LOG_TAIL_BYTES))
            sys.stderr.write(log.read().decode(errors="replace"))
    except OSError:
        pass
    return 1


def wait_notify(command, args):
    with tempfile.TemporaryDirectory(prefix="notify-") as scratch:
        path = os.path.join(scratch, "notify.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(path)
        with open(args.log, "ab") as log:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       env=dict(os.environ, NOTIFY_SOCKET=path))
        write_pid(args.pidfile, process.pid)
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ)
        exited = os.pidfd_open(process.pid)
        selector.register(exited, selectors.EVENT_READ)
        deadline = time.monotonic() + args.timeout
        while True:
            events = selector.select(max(0.0, deadline - time.monotonic()))
            if not events:
                return fail(args.log, f"no READY=1 within {args.timeout} s")
            for key, _ in events:
                if key.fileobj == exited:
                    return fail(args.log, f"exited with {process.wait()} before it was ready")
                if b"READY=1" in listener.recv(4096).split(b"\n"):
                    return 0


def wait_line(command, args):
    with open(args.log, "ab") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        write_pid(args.pidfile, process.pid)
        needle = args.line.encode()
        pending = b""
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + args.timeout
        while True:
            if not selector.select(max(0.0, deadline - time.monotonic())):
                log.flush()
                return fail(args.log, f"no line with {args.line!r} within {args.timeout} s")
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                log.flush()
                return fail(args.log, f"exited with {process.wait()} before it was ready")
            log.write(chunk)
            pending = (pending + chunk)[-(len(needle) + 65536):]
            if needle in pending:
                log.flush()
                break
    # Ready. The daemon keeps writing: a copier of its own session moves its output to the log
    # until it exits (without one, its writes would fail once this process is gone).
    if os.fork() == 0:
        os.setsid()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # Not the caller's stdio: whoever ran this script reads its output until EOF.
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        with open(args.log, "ab", buffering=0) as log:
            while True:
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    os._exit(0)
                log.write(chunk)
    return 0


def write_pid(path, pid):
    with open(path, "w", encoding="ascii") as out:
        out.write(f"{pid}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pidfile", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--timeout", type=float, required=True)
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--notify", action="store_true")
    how.add_argument("--line")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command after --")
    return wait_notify(command, args) if args.notify else wait_line(command, args)


if __name__ == "__main__":
    sys.exit(main())
