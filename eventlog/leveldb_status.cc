#include "eventlog/leveldb_status.h"

#include <string>
#include <utility>

namespace lifeboat::eventlog {

Status FromLevelDb(const leveldb::Status& status, std::string_view what) {
  if (status.ok()) return Status::Ok();
  std::string message = std::string(what) + ": " + status.ToString();
  if (status.IsCorruption()) return Status::Corruption(std::move(message));
  if (status.IsNotFound()) return Status::NotFound(std::move(message));
  if (status.IsInvalidArgument()) return Status::InvalidArgument(std::move(message));
  return Status::IoError(std::move(message));
}

}  // namespace lifeboat::eventlog
