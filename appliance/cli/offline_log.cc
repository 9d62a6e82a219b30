// Opening the log without a node, for `log` and `rebuild`. LevelDB's LOCK file (an fcntl lock)
// tells us whether a node holds the data dir: we never open a log a running node writes to.
#include <sys/stat.h>

#include "appliance/cli/cli.h"
#include "appliance/node.h"
#include "eventlog/log_store.h"

namespace lifeboat::cli {

Result<std::unique_ptr<eventlog::LogStore>> OpenLogOffline(const config::Config& config) {
  eventlog::LogStoreOptions options;
  options.path = config.node.data_dir + "/" + std::string(kLogDirName);
  options.create_if_missing = false;
  options.preallocate_wal = false;  // a short read: no spare file for a WAL it hardly writes
  struct stat info {};
  if (stat(options.path.c_str(), &info) != 0) {
    return Status::NotFound("no log at " + options.path + " (the node has never run there)");
  }
  auto log = eventlog::LogStore::Open(options);
  if (log.ok()) return log;
  const std::string& message = log.status().message();
  if (message.find("lock") != std::string::npos || message.find("LOCK") != std::string::npos) {
    return Status::FailedPrecondition("the node is running (" + options.path +
                                      "/LOCK is held): stop it first, or ask it through the "
                                      "admin API");
  }
  return log.status();
}

}  // namespace lifeboat::cli
