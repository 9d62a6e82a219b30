// lifeboat: the node and its operator commands.
#include <cstdio>
#include <string>
#include <string_view>

#include "appliance/cli/cli.h"

namespace {

constexpr char kUsage[] =
    "usage: lifeboat serve [--config FILE]\n"
    "       lifeboat status [--json] [--wait-applied] [--config FILE]\n"
    "       lifeboat log tail [-n N] [--config FILE]\n"
    "       lifeboat log show INDEX [--config FILE]\n"
    "       lifeboat rebuild [--config FILE]\n"
    "       lifeboat mailbox list ADDRESS [--folder NAME] [--limit N] [--json] [--config FILE]\n"
    "       lifeboat mailbox show ADDRESS MESSAGE_ID [--raw] [--json] [--config FILE]\n"
    "       lifeboat mailbox ls [--limit N] [--json] [--config FILE]\n"
    "       lifeboat directory status [--json] [--config FILE]\n"
    "       lifeboat directory sync --now [--full] [--confirm-mass-deprovision] [--config FILE]\n"
    "       lifeboat directory import [--confirm-mass-deprovision] [--config FILE]\n"
    "       lifeboat directory show ADDRESS_OR_ID [--config FILE]\n"
    "       lifeboat directory search TEXT [--limit N] [--json] [--config FILE]\n"
    "       lifeboat demo [--data-dir DIR]\n"
    "       lifeboat version\n"
    "Without --config: $LIFEBOAT_CONFIG, then /etc/lifeboat/lifeboat.toml, then\n"
    "/var/lib/lifeboat-demo/lifeboat.toml.\n";

}  // namespace

namespace lifeboat::cli {

int Fail(const std::string& message) {
  std::fprintf(stderr, "lifeboat: %s\n", message.c_str());
  return kExitError;
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "lifeboat: %s\n%s", message.c_str(), kUsage);
  return kExitUsage;
}

}  // namespace lifeboat::cli

int main(int argc, char** argv) {
  using namespace lifeboat::cli;
  if (argc < 2) return UsageError("no command given");
  std::string_view command = argv[1];
  Args args(argv + 2, argv + argc);
  if (command == "serve") return ServeCommand(args);
  if (command == "status") return StatusCommand(args);
  if (command == "log") return LogCommand(args);
  if (command == "rebuild") return RebuildCommand(args);
  if (command == "demo") return DemoCommand(args);
  if (command == "mailbox") return MailboxCommand(args);
  if (command == "directory") return DirectoryCommand(args);
  if (command == "version" || command == "--version") return VersionCommand(args);
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  return UsageError("unknown command \"" + std::string(command) + "\"");
}
