#!/usr/bin/env bash
# Determinism is enforced, not hoped for (DESIGN.md "Determinism"; STYLE.md rules 1-3).
#
# Fails when product code reads a clock or a random source outside the Env implementations,
# starts a thread or waits on a condition variable with a timeout outside them, or calls libevent
# outside appliance/. The simulator depends on this: one seed must replay a run, so work leaves
# the loop only through the Env (RunOffLoop, NewSerialExecutor) and waits only on events.
#
# usage: determinism_check.sh ROOT    (ROOT: a source tree with appliance/ eventlog/ modules/ simulator/)
set -euo pipefail
root=${1:?usage: determinism_check.sh ROOT}
cd "$root"

# The only files allowed to touch real clocks and randomness: the production Env.
env_impls='^appliance/env/libevent_env\.(cc|h)$'
# The only files allowed to start threads and wait with a timeout: the production Env and its
# threads, the manual Env (its WaitForPosted serves tests whose workers really run on threads),
# and the fault-injection disk. The disk counts as an Env implementation here: it is the
# simulator's file layer (a leveldb::Env), test tooling whose WaitForHeldSync bounds a test's
# wait for a storage thread held in fsync; it is not exempt from the clock rule.
thread_impls='^(appliance/env/(libevent_env|thread_workers)\.(cc|h)|simulator/(manual_env|fault_injection_env)\.(cc|h))$'

clock_random='std::chrono::[a-z_]*clock::now|_clock::now[[:space:]]*\(|(^|[^.>:_[:alnum:]-])time[[:space:]]*\(|std::time[[:space:]]*\(|(^|[^_[:alnum:]])s?rand[[:space:]]*\(|random_device|clock_gettime|gettimeofday|getrandom|RAND_bytes|arc4random|std::mt19937'
threads='std::j?thread([^_[:alnum:]]|$)|(^|[^_[:alnum:]])pthread_create[[:space:]]*\(|(^|[^_[:alnum:]])(wait_for|wait_until)[[:space:]]*\('
libevent='(^|[^_[:alnum:]])(event_base_|bufferevent_|evhttp_|evconnlistener_|evtimer_|event_new|evsignal_|evdns_)'

dirs=()
for d in appliance eventlog modules simulator; do [ -d "$d" ] && dirs+=("$d"); done
[ ${#dirs[@]} -gt 0 ] || { echo "determinism_check: no source folders under $root" >&2; exit 2; }

# Code without its comments: prose may say "date-time (RFC 5322)" or name a forbidden call.
code_of() { sed -E 's#//.*$##; s#/\*.*\*/##g' "$1"; }

failed=0
while IFS= read -r file; do
  if [[ ! $file =~ $env_impls ]]; then
    # The manual Env's seeded generator is the one deterministic random source allowed.
    if [[ $file == simulator/manual_env.* ]]; then
      hits=$(code_of "$file" | grep -nE "$clock_random" | grep -v 'std::mt19937' || true)
    else
      hits=$(code_of "$file" | grep -nE "$clock_random" || true)
    fi
    if [ -n "$hits" ]; then
      echo "$file: clock or randomness outside the Env implementations (use Env):" >&2
      echo "$hits" | sed 's/^/  /' >&2
      failed=1
    fi
  fi
  if [[ ! $file =~ $thread_impls ]]; then
    hits=$(code_of "$file" | grep -nE "$threads" || true)
    if [ -n "$hits" ]; then
      echo "$file: thread or timed wait outside the Env implementations (use Env::RunOffLoop," \
        "Env::NewSerialExecutor, Env timers):" >&2
      echo "$hits" | sed 's/^/  /' >&2
      failed=1
    fi
  fi
  if [[ $file != appliance/* ]]; then
    hits=$(code_of "$file" | grep -nE "$libevent" || true)
    if [ -n "$hits" ]; then
      echo "$file: libevent call outside appliance/ (only the node's drivers see event_base):" >&2
      echo "$hits" | sed 's/^/  /' >&2
      failed=1
    fi
  fi
done < <(find "${dirs[@]}" -type f \( -name '*.cc' -o -name '*.h' -o -name '*.c' -o -name '*.cpp' \) | sort)

if [ $failed -ne 0 ]; then
  echo "determinism_check: FAILED" >&2
  exit 1
fi
echo "determinism_check: clean (${#dirs[@]} folders)"
