// lifeboat: the node and its operator commands.
#include <cstdio>
#include <string>
#include <string_view>

#include "appliance/cli/cli.h"
#include "appliance/cli/command_usage.h"

namespace lifeboat::cli {

int Fail(const std::string& message) {
  std::fprintf(stderr, "lifeboat: %s\n", message.c_str());
  return kExitError;
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "lifeboat: %s\n%s", message.c_str(), GlobalUsage().c_str());
  return kExitUsage;
}

}  // namespace lifeboat::cli

int main(int argc, char** argv) {
  using namespace lifeboat::cli;
  if (argc < 2) return UsageError("no command given");
  std::string_view command = argv[1];
  Args args(argv + 2, argv + argc);
  if (command == "help" || command == "--help" || command == "-h") {
    if (!args.empty()) return PrintCommandHelp(args.front(), Args(args.begin() + 1, args.end()));
    std::fputs(GlobalUsage().c_str(), stdout);
    return kExitOk;
  }
  // `lifeboat COMMAND [SUBCOMMAND] --help`: answered here for every command, before its parser.
  if (WantsHelp(args)) return PrintCommandHelp(command == "--version" ? "version" : command, args);
  if (command == "serve") return ServeCommand(args);
  if (command == "status") return StatusCommand(args);
  if (command == "log") return LogCommand(args);
  if (command == "rebuild") return RebuildCommand(args);
  if (command == "demo") return DemoCommand(args);
  if (command == "mailbox") return MailboxCommand(args);
  if (command == "directory") return DirectoryCommand(args);
  if (command == "sim") return SimCommand(args);
  if (command == "route") return RouteCommand(args);
  if (command == "auth") return AuthCommand(args);
  if (command == "update") return UpdateCommand(args);
  if (command == "cluster") return ClusterCommand(args);
  if (command == "version" || command == "--version") return VersionCommand(args);
  return UsageError("unknown command \"" + std::string(command) + "\"");
}
