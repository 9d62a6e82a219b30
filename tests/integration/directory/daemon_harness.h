#pragma once
// Real daemons for the directory integration tests: a private temp dir, a free port, the start
// scripts beside this file, and a stop by PID that also runs when a test fails (destructor).

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

namespace lifeboat::directory::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A TCP port on 127.0.0.1 that nobody listened on a moment ago.
int FreeLoopbackPort();
// True when nothing listens on 127.0.0.1:`port` (a bind succeeds). Samba's ports are fixed, so a
// test checks 389 before it starts a DC: another test's DC there would answer in its place.
bool LoopbackPortFree(int port);

// Waits until process `pid` has exited (a zombie counts: whoever reaps it is not us), at most
// `bound`; true when it has. Not a poll: the kernel announces the exit on a pidfd (pidfd_open(2)).
bool WaitForExit(pid_t pid, std::chrono::milliseconds bound);

// The other way these tests wait: checks `condition` every `interval` until it holds (true) or
// `bound` has passed (false). Used for what nothing announces to us: a daemon's port, the node's
// status.
bool PollUntil(std::chrono::milliseconds bound, std::chrono::milliseconds interval,
               const std::function<bool()>& condition);

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};
// Runs `command` with /bin/sh, waiting for it to finish.
CommandResult RunCommand(const std::string& command);

// The folder holding start_slapd.sh and start_samba.sh.
std::string ScriptDir();

// A daemon started by a script that wrote its PID to `pid_file`. Stop() sends SIGTERM, waits
// (bounded) for it to exit, then SIGKILL.
class Daemon {
 public:
  Daemon() = default;
  ~Daemon() { Stop(); }
  // Runs `start_command`; on success reads the PID. The script's message on failure.
  bool Start(const std::string& start_command, const std::string& pid_file, std::string* error);
  void Stop(std::chrono::seconds bound = std::chrono::seconds(20));
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

}  // namespace lifeboat::directory::testing
