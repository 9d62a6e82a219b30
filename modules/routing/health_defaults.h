#pragma once
// Default thresholds of the primary health state machine (issue #11 Build 1). Each one is a
// configuration default; routing.* keys in the node config may change them. The figures below
// assume the default probe interval; the bench target "detection <= probe interval x N + 1 s"
// follows from them.

#include <chrono>
#include <cstdint>

namespace lifeboat::routing {

using std::chrono_literals::operator""s;

// The driver probes each primary (TCP connect, then banner + EHLO) this often. 5 s keeps the
// detection time within seconds (the product's promise) while one probe is a single short SMTP
// dialogue: 12 connections a minute per primary is far below any MTA's rate limits.
inline constexpr std::chrono::seconds kProbeIntervalDefault = 5s;

// A primary is down after this many failed probes within kFailureWindowDefault. One lost SYN or
// a service restart (postfix reload, an Exchange transport restart) fails one probe: 3 failures
// need at least 2 more probe intervals of silence (10 s), which no routine restart lasts, while
// a dead host is still detected in 10-15 s.
inline constexpr uint32_t kFailuresToSwitchDefault = 3;

// The window those failures must fall in: 6 probe intervals, so 3 failures out of the last 6
// probes (a primary failing every other probe is unusable) while old, isolated failures age out.
inline constexpr std::chrono::seconds kFailureWindowDefault = 30s;

// A down primary counts as recovered after this many consecutive successful probes (25 s of
// good answers at the default interval): a rebooting Exchange answers EHLO for a few seconds
// between service restarts long before it delivers mail.
inline constexpr uint32_t kSuccessesToRecoverDefault = 5;

// Hold-down: the automatic mode of a scope changes at most once per this period, and a down
// primary recovers only once it has answered without a single failure for this long. Failing
// back starts a drain and an IMAP write-back that should run once, not once per flap; 5 minutes
// outlasts the service start-up sequence of a rebooting Exchange or a Postfix behind a slow
// LDAP, and keeps a primary that flaps (up and down every few seconds) in continuity.
inline constexpr std::chrono::seconds kHoldDownDefault = 300s;

// The end-to-end probe (a canary mail looked for over IMAP) runs far less often than the fast
// probes, so it has its own threshold: two consecutive misses mark the primary down. One miss
// may be a slow queue; two in a row (with the default 60 s bound each) mean the primary accepts
// mail it does not deliver, as when AD is down behind a live Exchange.
inline constexpr uint32_t kEndToEndFailuresToSwitchDefault = 2;

// Each primary keeps at most this many recent probe results as the evidence a RoutingChanged
// event carries: enough for kFailuresToSwitchDefault failures and kSuccessesToRecoverDefault
// successes with room for a raised configuration, small enough for an event.
inline constexpr size_t kProbeEvidenceMax = 32;

}  // namespace lifeboat::routing
