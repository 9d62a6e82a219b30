#!/usr/bin/env python3
"""Memory of a node holding many mails: peak RSS of `lifeboat rebuild`, of a catch-up, of serving.

Usage: memory.py --binary build/release/lifeboat --fill build/.../lifeboat_bench_fill_mail_log
                 --dir DIR [--mails N] [--body-bytes B] [--serve-messages M]

Prints one JSON line per figure on stdout (progress goes to stderr):
  {"name","value","unit","target_max"}

What is measured, and how (issue #10 item 7: 128 MiB for a rebuild or a catch-up whatever the
log's size, 256 MiB for a node serving while the mails are stored):
- The log: N MailReceived events of about B bytes each, one delivery each to one mailbox,
  written straight into the node's data dir by lifeboat_bench_fill_mail_log (SMTP would take an
  hour for a million here).
- rebuild: `lifeboat rebuild` over that log (every projection, the mailbox projection parsing
  every body); ru_maxrss of the child from wait4(2), i.e. its peak resident set.
- catch-up: `lifeboat serve` on the same data dir with state/ deleted: NodeStorage::Open folds the
  whole log before it serves; VmHWM from /proc/PID/status once it answers.
- serve: `lifeboat serve` on the rebuilt state, M messages of 10 KiB through smtp-source at 10
  sessions, the projections caught up, then the newest page of the mailbox listed through the
  admin API; VmHWM (peak RSS since start) of the node.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ inside the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "smtp"))
import clients  # noqa: E402
import servers  # noqa: E402

MIB = 1024 * 1024
REBUILD_RSS_TARGET_MAX_MIB = 128
CATCHUP_RSS_TARGET_MAX_MIB = 128
SERVE_RSS_TARGET_MAX_MIB = 256
MAILS_DEFAULT = 1_000_000
BODY_BYTES_DEFAULT = 2048
SERVE_MESSAGES_DEFAULT = 10_000
SERVE_MESSAGE_BYTES = 10 * 1024
SERVE_SESSIONS = 10
MAILBOX_ID = "bench-mailbox"
# A catch-up of a million mails happens inside NodeStorage::Open, before /healthz answers.
CATCHUP_TIMEOUT_SECONDS = 3600
REBUILD_TIMEOUT_SECONDS = 3600


def log(message):
    print(f"[memory-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def emit(name, value_mib, target_max_mib):
    print(json.dumps({"name": name, "value": round(value_mib, 1), "unit": "MiB",
                      "target_max": target_max_mib}), flush=True)


def run_measured(command, timeout_seconds):
    """Runs `command` to completion; returns (peak RSS in MiB, seconds). Logs its CPU time."""
    started = time.monotonic()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    deadline = started + timeout_seconds
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid == process.pid:
            break
        if time.monotonic() > deadline:
            process.kill()
            raise servers.BenchError(f"{command[:2]} did not finish in {timeout_seconds} s")
        time.sleep(0.1)
    elapsed = time.monotonic() - started
    output = process.stdout.read().decode(errors="replace") + process.stderr.read().decode(
        errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise servers.BenchError(f"{' '.join(command[:2])} exited {code}: {output.strip()[-500:]}")
    last_line = output.strip().splitlines()[-1] if output.strip() else ""
    log(f"{os.path.basename(command[0])} {' '.join(command[1:2])}: {elapsed:.0f} s, CPU "
        f"{usage.ru_utime:.0f} s user + {usage.ru_stime:.0f} s system; {last_line}")
    return usage.ru_maxrss * 1024 / MIB, elapsed  # ru_maxrss is in KiB on Linux


def fill(args, lifeboat):
    log_dir = os.path.join(lifeboat.data_dir, "log")
    shutil.rmtree(lifeboat.data_dir, ignore_errors=True)
    os.makedirs(lifeboat.data_dir, mode=0o700)
    run_measured([args.fill, log_dir, str(args.mails), str(args.body_bytes), MAILBOX_ID],
                 REBUILD_TIMEOUT_SECONDS)
    log(f"log: {directory_mib(log_dir):.0f} MiB on disk")


def directory_mib(path):
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, name)) for name in files)
    return total / MIB


def rebuild(lifeboat):
    peak_mib, seconds = run_measured(
        [lifeboat.binary, "rebuild", "--config", lifeboat.config_path], REBUILD_TIMEOUT_SECONDS)
    log(f"rebuild: {seconds:.0f} s, peak RSS {peak_mib:.1f} MiB, state "
        f"{directory_mib(os.path.join(lifeboat.data_dir, 'state')):.0f} MiB on disk")
    return peak_mib


def catch_up(lifeboat):
    shutil.rmtree(os.path.join(lifeboat.data_dir, "state"))
    started = time.monotonic()
    lifeboat.start(keep_data=True, start_timeout_seconds=CATCHUP_TIMEOUT_SECONDS)
    try:
        hwm, rss = clients.memory_kib(lifeboat.pid)
        log(f"catch-up: node serving after {time.monotonic() - started:.0f} s, "
            f"peak RSS {hwm / 1024:.1f} MiB, RSS now {rss / 1024:.1f} MiB")
        return hwm / 1024
    finally:
        lifeboat.stop()


def serve(args, lifeboat):
    lifeboat.start(keep_data=True, start_timeout_seconds=CATCHUP_TIMEOUT_SECONDS)
    try:
        hwm_start, rss_start = clients.memory_kib(lifeboat.pid)
        seconds = clients.run_smtp_source(lifeboat.port, SERVE_SESSIONS, args.serve_messages,
                                          SERVE_MESSAGE_BYTES)
        status = lifeboat.status(wait_applied=True)
        log(f"serve: {args.serve_messages} msgs in {seconds:.1f} s; log_last_index="
            f"{status.get('log_last_index')} projection_lag={status.get('projection_lag')}")
        listing = subprocess.run(
            [lifeboat.binary, "mailbox", "list", MAILBOX_ID, "--limit", "100", "--json",
             "--config", lifeboat.config_path],
            capture_output=True, text=True, timeout=servers.CLI_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL)
        if listing.returncode != 0:
            raise servers.BenchError(f"mailbox list exited {listing.returncode}: "
                                     f"{listing.stderr.strip()}")
        listed = len(listing.stdout.splitlines())
        hwm, rss = clients.memory_kib(lifeboat.pid)
        log(f"serve: at start RSS {rss_start / 1024:.1f} MiB (peak {hwm_start / 1024:.1f}); "
            f"after the mails and a {listed}-line listing RSS {rss / 1024:.1f} MiB, "
            f"peak {hwm / 1024:.1f} MiB")
        return hwm / 1024
    finally:
        lifeboat.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True, help="the lifeboat executable")
    parser.add_argument("--fill", required=True, help="lifeboat_bench_fill_mail_log")
    parser.add_argument("--dir", required=True, help="work directory (a real disk)")
    parser.add_argument("--mails", type=int, default=MAILS_DEFAULT)
    parser.add_argument("--body-bytes", type=int, default=BODY_BYTES_DEFAULT)
    parser.add_argument("--serve-messages", type=int, default=SERVE_MESSAGES_DEFAULT)
    args = parser.parse_args()

    lifeboat = servers.LifeboatServer(args.binary, args.dir)
    lifeboat.write_config()
    if args.mails % 1_000_000 == 0:
        count = f"{args.mails // 1_000_000}m"
    elif args.mails % 1000 == 0:
        count = f"{args.mails // 1000}k"
    else:
        count = str(args.mails)
    try:
        fill(args, lifeboat)
        emit(f"rebuild_{count}_mails_peak_rss", rebuild(lifeboat), REBUILD_RSS_TARGET_MAX_MIB)
        emit(f"catchup_{count}_mails_peak_rss", catch_up(lifeboat), CATCHUP_RSS_TARGET_MAX_MIB)
        # catch_up left a state folded through the whole log, as the rebuild did.
        emit(f"serve_{count}_mails_stored_peak_rss", serve(args, lifeboat),
             SERVE_RSS_TARGET_MAX_MIB)
    finally:
        lifeboat.stop()
        shutil.rmtree(lifeboat.data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
