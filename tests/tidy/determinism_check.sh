#!/usr/bin/env bash
# Determinism is enforced, not hoped for (DESIGN.md "Determinism"; STYLE.md rules 1-3).
#
# Fails when product code reads a clock or a random source outside the Env implementations,
# starts a thread or waits on a condition variable with a timeout outside them, calls libevent
# outside appliance/, or makes a socket outside the network implementation. The simulator depends
# on this: one seed must replay a run, so work leaves the loop only through the Env (RunOffLoop,
# NewSerialExecutor), waits only on events, and reaches the network only through Env::network().
#
# Sockets (DESIGN.md "Determinism": sockets reach the drivers through the Env's network,
# appliance/env/network.h). Banned outside the network implementation:
#   - a call to socket, connect, accept, accept4, bind, listen or getaddrinfo written bare
#     (`connect(fd, ...)`) or with the global qualifier (`::connect(fd, ...)`). Not banned: a
#     method call (`listener.listen(`, `stream->connect(`), a qualified name (`std::bind(`,
#     `Foo::accept(` defining a member), or a longer name (`evhttp_bind_socket(`, `my_listen(`).
#     So a local function named like a socket call is flagged: name it for what it does.
#   - any evconnlistener_* or bufferevent_socket_* call (libevent's listeners and socket streams).
# LDAP is out of scope: libldap opens its sockets inside the library, not in our code. The admin
# HTTP server is evhttp (the libevent rule keeps it in appliance/; the operator's API is no part
# of what a simulation drives).
#
# usage: determinism_check.sh ROOT    (ROOT: a source tree with appliance/ eventlog/ modules/ simulator/)
set -euo pipefail
root=${1:?usage: determinism_check.sh ROOT}
cd "$root"

# The only files allowed to touch real clocks and randomness: the production Env.
env_impls='^appliance/env/libevent_env\.(cc|h)$'
# The only files allowed to make sockets: the libevent Network (appliance/net/) and the Env
# implementations; and the CLI's blocking client of the admin API, which runs in the `lifeboat`
# command's own process, never inside a node.
network_impls='^(appliance/net/.*|appliance/env/libevent_env\.(cc|h)|appliance/admin/admin_client\.cc)$'
# The only files allowed to start threads and wait with a timeout: the production Env and its
# threads, the manual Env (its WaitForPosted serves tests whose workers really run on threads),
# and the fault-injection disk. The disk counts as an Env implementation here: it is the
# simulator's file layer (a leveldb::Env), test tooling whose WaitForHeldSync bounds a test's
# wait for a storage thread held in fsync; it is not exempt from the clock rule.
thread_impls='^(appliance/env/(libevent_env|thread_workers)\.(cc|h)|simulator/(manual_env|fault_injection_env)\.(cc|h))$'

clock_random='std::chrono::[a-z_]*clock::now|_clock::now[[:space:]]*\(|(^|[^.>:_[:alnum:]-])time[[:space:]]*\(|std::time[[:space:]]*\(|(^|[^_[:alnum:]])s?rand[[:space:]]*\(|random_device|clock_gettime|gettimeofday|getrandom|RAND_bytes|arc4random|std::mt19937'
threads='std::j?thread([^_[:alnum:]]|$)|(^|[^_[:alnum:]])pthread_create[[:space:]]*\(|(^|[^_[:alnum:]])(wait_for|wait_until)[[:space:]]*\('
libevent='(^|[^_[:alnum:]])(event_base_|bufferevent_|evhttp_|evconnlistener_|evtimer_|event_new|evsignal_|evdns_)'
socket_calls='(^|^::|[^_[:alnum:].>:]|[^_[:alnum:]:]::)(socket|connect|accept4?|bind|listen|getaddrinfo)[[:space:]]*\(|(^|[^_[:alnum:]])(evconnlistener_|bufferevent_socket_)'

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
  if [[ ! $file =~ $network_impls ]]; then
    hits=$(code_of "$file" | grep -nE "$socket_calls" || true)
    if [ -n "$hits" ]; then
      echo "$file: socket call outside the network implementation (use Env::network()):" >&2
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
