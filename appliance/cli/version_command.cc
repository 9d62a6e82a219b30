// lifeboat version: the build version and the data dir schema it reads and writes.
#include <cstdio>

#include "appliance/cli/cli.h"
#include "appliance/node_identity.h"
#include "appliance/version.h"

namespace lifeboat::cli {

int VersionCommand(const Args& args) {
  if (!args.empty()) return UsageError("version takes no arguments");
  std::printf("lifeboat %.*s (data dir schema %u)\n", static_cast<int>(kLifeboatVersion.size()),
              kLifeboatVersion.data(), static_cast<unsigned>(kDataDirSchemaVersion));
  return kExitOk;
}

}  // namespace lifeboat::cli
