#pragma once
// The usage text of every command and subcommand, in one table: `lifeboat CMD [SUB] --help` (or
// -h) prints the entry's text on stdout and exits 0; a usage error prints the synopsis of every
// command on stderr and exits 2. main.cc dispatches on the same names.

#include <string>
#include <string_view>

#include "appliance/cli/cli.h"

namespace lifeboat::cli {

// The synopsis of every command, one or more lines each, as `lifeboat help` prints it.
std::string GlobalUsage();

// True when `args` asks for help: "--help" or "-h" anywhere before a "--".
bool WantsHelp(const Args& args);

// Prints on stdout the usage of `command` (and of the subcommand args[0] names, when the command
// has one by that name) and returns kExitOk. An unknown command is a usage error.
int PrintCommandHelp(std::string_view command, const Args& args);

}  // namespace lifeboat::cli
