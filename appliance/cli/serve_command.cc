// lifeboat serve [--config FILE]: run the node until SIGTERM or SIGINT.
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>

#include "appliance/cli/cli.h"
#include "appliance/env/libevent_env.h"
#include "appliance/log/logger.h"
#include "appliance/node.h"

namespace lifeboat::cli {
namespace {

// Descriptors a node holds besides its SMTP sessions: the stores' table files (kLogOpenFilesMax,
// kStateOpenFilesMax), WAL and LOCK files, listeners, admin connections, worker pipes.
inline constexpr uint64_t kOpenFilesBesidesSessions = 1024;

// Every SMTP session holds a descriptor. A login shell's soft limit is often 1024, below the
// default sessions_total_max plus the table files: past it accept(2) fails with EMFILE and the
// node turns away sessions its config allows. Any process may raise its soft limit up to the
// hard one (setrlimit(2)); the systemd unit sets both (image/systemd/lifeboat.service
// LimitNOFILE), this covers `lifeboat serve` and the demo run by hand.
void RaiseOpenFileLimit(const config::Config& config, Logger& logger) {
  struct rlimit limit {};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted =
      static_cast<rlim_t>(config.smtp.sessions_total_max) + kOpenFilesBesidesSessions;
  if (limit.rlim_cur >= wanted) return;
  struct rlimit raised = limit;
  raised.rlim_cur =
      (limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= wanted) ? wanted : limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &raised) != 0) raised.rlim_cur = limit.rlim_cur;
  if (raised.rlim_cur < wanted) {
    logger.Warn("node", "open file limit below what the SMTP session limit needs",
                {{"soft_limit", uint64_t{raised.rlim_cur}},
                 {"hard_limit", uint64_t{limit.rlim_max}},
                 {"wanted", uint64_t{wanted}}});
  }
}

}  // namespace

int RunNode(const config::Config& config, const std::function<void(Node&)>& on_started) {
  // A closed admin connection must not kill the node: writes report EPIPE instead.
  signal(SIGPIPE, SIG_IGN);
  auto env = LibeventEnv::Create();
  if (!env.ok()) return Fail(env.status().ToString());
  Logger logger(**env, config.log.level);
  RaiseOpenFileLimit(config, logger);
  Node* running = nullptr;
  bool stopping = false;
  auto stop = [&](const char* signal_name) {
    logger.Info("node", "stopping", {{"signal", std::string_view(signal_name)}});
    // A second signal stops at once; the first drains messages in flight (bounded).
    if (running == nullptr || stopping) {
      stopping = true;  // also between a read-only node and its reopening: no reopen then
      (*env)->Stop();
      return;
    }
    stopping = true;
    running->BeginDrain([&] { (*env)->Stop(); });
  };
  for (auto [number, name] : {std::pair{SIGTERM, "SIGTERM"}, std::pair{SIGINT, "SIGINT"}}) {
    Status watched = (*env)->OnSignal(number, [&stop, name] { stop(name); });
    if (!watched.ok()) return Fail(watched.ToString());
  }
  Status watched = (*env)->OnSignal(SIGHUP, [&running] {
    if (running != nullptr) (void)running->ReloadTls();
  });
  if (!watched.ok()) return Fail(watched.ToString());
  // Signals are watched before the node starts: one that arrives while it opens its databases
  // is held by libevent and stops the loop as soon as it runs, never killing the process
  // half-way (the default action of SIGTERM).
  // A node that started read-only on a full disk asks to be reopened once space returns: it is
  // shut down and started again, in this process, on the same listeners' addresses.
  for (;;) {
    auto node = Node::Start(config, **env, logger);
    if (!node.ok()) {
      logger.Error("node", "cannot start", {{"error", node.status().ToString()}});
      return Fail(node.status().message());
    }
    running = node->get();
    bool reopen = false;
    (*node)->OnReopenWanted([&reopen, &env] {
      reopen = true;
      (*env)->Stop();
    });
    if (on_started) on_started(**node);
    Status ran = (*env)->Run();
    running = nullptr;
    Status stopped = (*node)->Shutdown();
    if (!ran.ok()) return Fail(ran.ToString());
    if (!stopped.ok()) return Fail(stopped.ToString());
    if (!reopen || stopping) return kExitOk;
    node->reset();
  }
}

int ServeCommand(const Args& arguments) {
  Args args = arguments;
  auto config_flag = TakeOption(args, "--config");
  if (!config_flag.ok()) return UsageError(config_flag.status().message());
  if (!args.empty()) return UsageError("serve: unexpected argument \"" + args.front() + "\"");
  auto config = LoadConfig(*config_flag);
  if (!config.ok()) return Fail(config.status().message());
  return RunNode(*config, nullptr);
}

}  // namespace lifeboat::cli
