// [node]: who this node is and where it keeps its data.
#include "appliance/config/sections.h"

namespace lifeboat::config {

namespace {

Result<std::string> TakeIdentifier(ConfigSection& section, std::string_view key) {
  auto value = section.TakeString(key, kIdentifierExpected);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return section.Missing(key, kIdentifierExpected);
  if (!IsIdentifier(**value)) return section.Invalid(key, kIdentifierExpected);
  return **value;
}

}  // namespace

Status ParseNodeSection(ConfigSection& section, Config& config) {
  Result<std::string> id = TakeIdentifier(section, "id");
  if (!id.ok()) return id.status();
  Result<std::string> cluster_id = TakeIdentifier(section, "cluster_id");
  if (!cluster_id.ok()) return cluster_id.status();
  constexpr std::string_view kDataDirExpected = "an absolute path";
  auto data_dir = section.TakeString("data_dir", kDataDirExpected);
  if (!data_dir.ok()) return data_dir.status();
  if (!data_dir->has_value()) return section.Missing("data_dir", kDataDirExpected);
  const std::string& path = **data_dir;
  if (path.empty() || path.front() != '/' || path.find('\0') != std::string::npos) {
    return section.Invalid("data_dir", kDataDirExpected);
  }
  config.node.id = *id;
  config.node.cluster_id = *cluster_id;
  config.node.data_dir = path;
  return Status::Ok();
}

}  // namespace lifeboat::config
