#!/usr/bin/env python3
"""SMTP ingest: Lifeboat vs a private Postfix vs smtp-sink, same machine, same run.

Usage: bench.py --binary build/release/lifeboat --dir /var/tmp/lifeboat-bench/smtp [--messages N]

Prints one JSON line per figure on stdout (progress goes to stderr):
  {"name","value","unit","peer","peer_value","ratio","target_ratio_min"}  throughput vs a peer
  {"name","value","unit","target_max"}                                   absolute figures
A missed target is printed like a met one. A figure that could not be measured has value null
(the reason is on stderr).

What is measured, and how:
- Throughput: `smtp-source -c -s S -m N -l BYTES` (one connection per message, no pipelining:
  smtp-source has none), messages / wall-clock seconds of the smtp-source process. Every cell
  starts Lifeboat on an empty data dir; Postfix's queue is drained (discard transport) before
  every cell, Lifeboat's and Postfix's, so no run competes with the previous run's backlog. Lifeboat and Postfix cells alternate so machine drift hits both alike.
- smtp-sink at 1, 10 and 50 sessions: Lifeboat's ratio to it (the issue's target is at 10
  sessions), and smtp-sink's own ratio to Postfix (`smtp_sink_ceiling_*`): a server that stores
  nothing and parses almost nothing, so no storing server can beat that ratio on this machine.
- p99 end of data -> 250: a separate 10 KiB run at 10 sessions of smtp-source, with
  LatencyProbe (PROBE_SESSIONS python sessions) beside it timing "." -> reply. Done for Postfix
  too; its p99 goes to stderr for context.
- Projection catch-up: after the 10 KiB / 50-session Lifeboat run, seconds from smtp-source's
  exit until `lifeboat status --json` shows projection_lag == 0.
- Idle memory: a fresh node, IDLE_SESSIONS sessions that said EHLO and wait; VmHWM (peak RSS
  since start) of the lifeboat process from /proc/PID/status.
"""

import argparse
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ inside the source tree
import clients  # noqa: E402
import servers  # noqa: E402

KIB = 1024
SIZES = ((10 * KIB, "10k"), (100 * KIB, "100k"))
SESSION_COUNTS = (1, 10, 50)
# The brief's targets: Lifeboat msgs/s over Postfix's, over smtp-sink's, absolute limits.
# Issue #10: the Postfix targets were set past what this machine's protocol limit allows at one
# session (smtp-sink is only 3-5x Postfix there), so the targets are against smtp-sink, the
# protocol limit, at every cell; the ratios against Postfix are still printed, without a target.
POSTFIX_TARGET_RATIO_MIN = {}
SINK_TARGET_RATIO_MIN = {"10k": {1: 0.65, 10: 0.7, 50: 0.7}, "100k": {10: 0.65, 50: 0.65}}
P99_TARGET_MAX_MS = 250
IDLE_RSS_TARGET_MAX_MIB = 256
MESSAGES_DEFAULT = 10_000
LATENCY_SESSIONS = 10
PROBE_SESSIONS = 4
IDLE_SESSIONS = 10_000
# Half of the idle sessions are after STARTTLS: a TLS session holds OpenSSL buffers besides ours.
IDLE_TLS_SESSIONS = IDLE_SESSIONS // 2
POSTFIX_DRAIN_TIMEOUT_SECONDS = 300
CATCHUP_TIMEOUT_SECONDS = 600
# Idle sessions settle (the server has read and answered every EHLO) before memory is read.
IDLE_SETTLE_SECONDS = 1.0


def log(message):
    print(f"[smtp-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def emit(figure):
    print(json.dumps(figure), flush=True)


def ratio_figure(name, value, peer, peer_value, target):
    ratio = None
    if value is not None and peer_value:
        ratio = round(value / peer_value, 3)
    emit({"name": name, "value": value, "unit": "msgs/s", "peer": peer,
          "peer_value": peer_value, "ratio": ratio, "target_ratio_min": target})


def throughput(server, sessions, messages, message_bytes):
    """msgs/s of one smtp-source run against a started server, or None if the run failed."""
    try:
        seconds = clients.run_smtp_source(server.port, sessions, messages, message_bytes)
    except (servers.BenchError, OSError) as error:
        log(f"{server.name} s{sessions} {message_bytes} B: FAILED: {error}")
        return None, None
    rate = round(messages / seconds, 1)
    log(f"{server.name} s{sessions} {message_bytes} B: {messages} msgs in {seconds:.2f} s "
        f"= {rate} msgs/s (load average {os.getloadavg()[0]:.1f})")
    return rate, time.monotonic()


def lifeboat_cell(lifeboat, sessions, messages, message_bytes, measure_catchup=False):
    lifeboat.start()
    try:
        rate, finished = throughput(lifeboat, sessions, messages, message_bytes)
        catchup = None
        if rate is not None and measure_catchup:
            catchup = projection_catchup(lifeboat, finished)
        if rate is not None:
            status = lifeboat.status()
            smtp = status.get("smtp", {})
            log(f"lifeboat status after run: log_last_index={status.get('log_last_index')} "
                f"projection_lag={status.get('projection_lag')} "
                f"messages_committed={smtp.get('messages_committed')} "
                f"messages_failed={smtp.get('messages_failed')}")
            # smtp-source saw 250 for every message; the node must have committed each one.
            if (smtp.get("messages_committed") or 0) < messages:
                log(f"lifeboat committed fewer messages than smtp-source sent: not counted")
                rate = None
        return rate, catchup
    finally:
        lifeboat.stop()


def projection_catchup(lifeboat, finished):
    deadline = finished + CATCHUP_TIMEOUT_SECONDS
    first_lag = None
    while time.monotonic() < deadline:
        status = lifeboat.status()
        lag = status.get("projection_lag")
        if first_lag is None:
            first_lag = lag
        if lag == 0:
            seconds = round(time.monotonic() - finished, 3)
            log(f"projection caught up {seconds} s after the load (lag at first poll: "
                f"{first_lag})")
            return seconds
        time.sleep(servers.POLL_INTERVAL_SECONDS)
    log(f"projection did not catch up within {CATCHUP_TIMEOUT_SECONDS} s")
    return None


def postfix_cell(postfix, sessions, messages, message_bytes):
    postfix.wait_drained(POSTFIX_DRAIN_TIMEOUT_SECONDS)
    rate, _ = throughput(postfix, sessions, messages, message_bytes)
    return rate


def latency_run(server, messages, message_bytes):
    """p99 ms of end of data -> 250 beside a LATENCY_SESSIONS smtp-source load, or None."""
    probe = clients.LatencyProbe(server.port, PROBE_SESSIONS, message_bytes)
    probe.start()
    try:
        rate, _ = throughput(server, LATENCY_SESSIONS, messages, message_bytes)
    finally:
        probe.stop()
    if probe.failures:
        log(f"{server.name} latency probe: {len(probe.failures)} failures, first: "
            f"{probe.failures[0]}")
    if rate is None or not probe.latencies:
        return None
    p50 = clients.percentile(probe.latencies, 0.50) * 1000
    p99 = clients.percentile(probe.latencies, 0.99) * 1000
    log(f"{server.name} latency beside s{LATENCY_SESSIONS} load: {len(probe.latencies)} probes, "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(probe.latencies) * 1000:.1f} ms")
    return round(p99, 1)


def idle_memory(lifeboat):
    lifeboat.start()
    sockets = []
    try:
        hwm_before, rss_before = clients.memory_kib(lifeboat.pid)
        sockets = clients.open_idle_sessions(lifeboat.port, IDLE_SESSIONS, IDLE_TLS_SESSIONS)
        time.sleep(IDLE_SETTLE_SECONDS)
        if lifeboat.process.poll() is not None:
            raise servers.BenchError("lifeboat exited with the idle sessions open")
        hwm, rss = clients.memory_kib(lifeboat.pid)
        log(f"lifeboat memory: before sessions RSS {rss_before / 1024:.1f} MiB "
            f"(peak {hwm_before / 1024:.1f}); with {IDLE_SESSIONS} idle sessions "
            f"({IDLE_TLS_SESSIONS} after STARTTLS) RSS "
            f"{rss / 1024:.1f} MiB, peak {hwm / 1024:.1f} MiB")
        return round(hwm / 1024, 1)
    finally:
        clients.close_all(sockets)
        lifeboat.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True, help="the lifeboat executable")
    parser.add_argument("--dir", required=True, help="work dir on a real disk (wiped)")
    parser.add_argument("--messages", type=int, default=MESSAGES_DEFAULT)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench.py: runs a private Postfix and smtp-sink -u postfix: run as root")
    messages = args.messages
    lifeboat = servers.LifeboatServer(args.binary, os.path.join(args.dir, "lifeboat"))
    postfix = servers.PostfixServer(os.path.join(args.dir, "postfix"))
    sink = servers.SmtpSink(os.path.join(args.dir, "sink"))
    peer = f"postfix-{servers.PostfixServer.version()}"
    began = time.monotonic()
    try:
        postfix.start()
        log(f"postfix on {postfix.port}, {messages} messages per run")
        lifeboat_rates = {}
        postfix_rates = {}
        catchup = None
        for message_bytes, size in SIZES:
            for sessions in SESSION_COUNTS:
                # Postfix's previous run is still being delivered (discarded) in the background:
                # let it finish, or its qmgr and disk writes would compete with this run.
                postfix.wait_drained(POSTFIX_DRAIN_TIMEOUT_SECONDS)
                rate, cell_catchup = lifeboat_cell(lifeboat, sessions, messages, message_bytes,
                                                   measure_catchup=(size, sessions) == ("10k", 50))
                if (size, sessions) == ("10k", 50):
                    catchup = cell_catchup
                lifeboat_rates[size, sessions] = rate
                postfix_rates[size, sessions] = postfix_cell(postfix, sessions, messages,
                                                             message_bytes)
                ratio_figure(f"smtp_ingest_{size}_s{sessions}", rate, peer,
                             postfix_rates[size, sessions],
                             POSTFIX_TARGET_RATIO_MIN.get(size, {}).get(sessions))

        postfix.wait_drained(POSTFIX_DRAIN_TIMEOUT_SECONDS)
        postfix_p99 = latency_run(postfix, messages, 10 * KIB)
        postfix.stop()

        # smtp-sink at every session count: the ratio at 10 sessions, and for the others
        # the ceiling of this machine (a server that stores nothing) against Postfix, which
        # says whether a Postfix target is reachable here at all.
        for message_bytes, size in SIZES:
            for sessions in SESSION_COUNTS:
                sink.start()
                try:
                    sink_rate, _ = throughput(sink, sessions, messages, message_bytes)
                finally:
                    sink.stop()
                target = SINK_TARGET_RATIO_MIN.get(size, {}).get(sessions)
                ratio_figure(f"smtp_ingest_{size}_s{sessions}_vs_sink",
                             lifeboat_rates[size, sessions], "smtp-sink", sink_rate, target)
                ratio_figure(f"smtp_sink_ceiling_{size}_s{sessions}", sink_rate, peer,
                             postfix_rates[size, sessions], None)

        lifeboat.start()
        try:
            p99 = latency_run(lifeboat, messages, 10 * KIB)
        finally:
            lifeboat.stop()
        log(f"p99 end of data -> 250: lifeboat {p99} ms, {peer} {postfix_p99} ms")
        emit({"name": "smtp_p99_end_of_data_ms", "value": p99, "unit": "ms",
              "target_max": P99_TARGET_MAX_MS})
        emit({"name": "smtp_projection_catchup_10k_s50", "value": catchup, "unit": "s",
              "target_max": None})
        try:
            rss = idle_memory(lifeboat)
        except (servers.BenchError, OSError) as error:
            log(f"idle memory: FAILED: {error}")
            rss = None
        emit({"name": f"smtp_idle_{IDLE_SESSIONS}_sessions_half_tls_peak_rss", "value": rss,
              "unit": "MiB", "target_max": IDLE_RSS_TARGET_MAX_MIB})
    finally:
        lifeboat.stop()
        postfix.stop()
        sink.stop()
        log(f"done in {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
