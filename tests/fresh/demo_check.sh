#!/usr/bin/env bash
# The README's first Quick start command, checked as a new user would on a never-touched Debian 12:
# `appliance/run-demo` in the background (it installs what it needs and builds), then a mail to a
# demo user with swaks, then that mail in the user's mailbox through the CLI.
#
# Run it in a fresh root filesystem (../shared/tools/fresh/README.md), from the repository root:
#   ../shared/tools/fresh/run-fresh.sh . 'tests/fresh/demo_check.sh' 3600
# The demo's data dir is a temporary one, so a real demo in /var/lib/lifeboat-demo is untouched.
#
# usage: tests/fresh/demo_check.sh [BOUND_SECONDS]   (default 2400: install + build + start)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bound_s=${1:-2400}
work=$(mktemp -d)
demo_pid=""
cleanup() {
  if [ -n "$demo_pid" ] && kill -0 "$demo_pid" 2>/dev/null; then
    kill -INT "$demo_pid" 2>/dev/null || true
    wait "$demo_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "demo_check: FAIL: $*" >&2
  echo "--- run-demo output (last 40 lines) ---" >&2
  tail -n 40 "$work/demo.out" >&2 || true
  exit 1
}

"$top/appliance/run-demo" --data-dir "$work/demo" >"$work/demo.out" 2>&1 &
demo_pid=$!

# Wait for the addresses the demo prints once it serves, reading its output as it comes; the
# stream ends early if run-demo exits (tail --pid), and `timeout` bounds the wait.
demo_output() { timeout "$bound_s" tail --pid="$demo_pid" -n +1 -F "$work/demo.out" 2>/dev/null; }
if ! grep -m 1 -q '^  SMTP ' < <(demo_output); then
  kill -0 "$demo_pid" 2>/dev/null || fail "run-demo exited before serving"
  fail "run-demo did not print its SMTP address in ${bound_s} s"
fi
smtp=$(awk '$1 == "SMTP" {print $2; exit}' "$work/demo.out")
lifeboat=$(awk '$2 == "mailbox" && $3 == "list" {print $1; exit}' "$work/demo.out")
config=$(awk '$2 == "status" && $3 == "--config" {print $4; exit}' "$work/demo.out")
[ -n "$smtp" ] && [ -x "$lifeboat" ] && [ -f "$config" ] ||
  fail "could not read the demo's addresses"
echo "demo_check: the demo serves SMTP on $smtp (${SECONDS} s)"

# swaks is the tester's tool, not the demo's: installed here, after run-demo did its own installs.
if ! command -v swaks >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends swaks >/dev/null
fi
subject="demo check $$ $RANDOM"
swaks --server "$smtp" --from someone@outside.example --to alice@lifeboat.example \
  --header "Subject: $subject" --body "Sent by tests/fresh/demo_check.sh" >"$work/swaks.out" 2>&1 ||
  { cat "$work/swaks.out" >&2; fail "swaks could not send (non-zero: a reply was not 2xx/3xx)"; }

# The mail is in alice's mailbox once the projections applied it: --wait-applied waits for that.
"$lifeboat" status --wait-applied --config "$config" >/dev/null || fail "status --wait-applied"
"$lifeboat" mailbox list alice@lifeboat.example --config "$config" >"$work/list.out" 2>&1 ||
  { cat "$work/list.out" >&2; fail "mailbox list"; }
grep -qF "$subject" "$work/list.out" || { cat "$work/list.out" >&2; fail "the mail is not listed"; }
cat "$work/list.out"
echo "demo_check: ok: a mail sent with swaks to alice@lifeboat.example is in her mailbox" \
  "(${SECONDS} s)"
