// [directory]: the import file and the LDAP/AD servers. Paths and URIs are checked here so a
// typo stops the start instead of leaving the directory silently stale.
#include <unistd.h>

#include "appliance/config/sections.h"

namespace lifeboat::config {
namespace {

constexpr std::string_view kImportExpected = "an absolute path to a readable .csv or .ldif file";
constexpr std::string_view kUrisExpected =
    "an array of ldap:// or ldaps:// URIs ([\"ldaps://dc1.example.com\"])";
constexpr std::string_view kPathExpected = "an absolute path to a readable file";
constexpr std::string_view kTextExpected = "a string";

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

Status TakeText(ConfigSection& section, std::string_view key, std::string& out) {
  auto value = section.TakeString(key, kTextExpected);
  if (!value.ok()) return value.status();
  if (value->has_value()) out = **value;
  return Status::Ok();
}

Status TakeReadablePath(ConfigSection& section, std::string_view key, std::string& out) {
  auto value = section.TakeString(key, kPathExpected);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return Status::Ok();
  const std::string& path = **value;
  if (path.empty() || path.front() != '/') return section.Invalid(key, kPathExpected);
  if (::access(path.c_str(), R_OK) != 0) return section.Invalid(key, kPathExpected, "unreadable");
  out = path;
  return Status::Ok();
}

}  // namespace

Status ParseDirectorySection(ConfigSection& section, Config& config) {
  DirectoryConfig& directory = config.directory;
  auto import_file = section.TakeString("import_file", kImportExpected);
  if (!import_file.ok()) return import_file.status();
  if (import_file->has_value()) {
    const std::string& path = **import_file;
    if (path.empty() || path.front() != '/' ||
        !(EndsWith(path, ".csv") || EndsWith(path, ".ldif"))) {
      return section.Invalid("import_file", kImportExpected);
    }
    if (::access(path.c_str(), R_OK) != 0) {
      return section.Invalid("import_file", kImportExpected, "unreadable");
    }
    directory.import_file = path;
  }
  auto uris = section.TakeStringList("ldap_uris", kUrisExpected);
  if (!uris.ok()) return uris.status();
  if (uris->has_value()) {
    for (const std::string& uri : **uris) {
      if (uri.rfind("ldap://", 0) != 0 && uri.rfind("ldaps://", 0) != 0) {
        return section.Invalid("ldap_uris", kUrisExpected, "'" + uri + "' is not an LDAP URI");
      }
    }
    directory.ldap_uris = **uris;
  }
  auto start_tls = section.TakeBool("start_tls", "true or false");
  if (!start_tls.ok()) return start_tls.status();
  if (start_tls->has_value()) directory.start_tls = **start_tls;
  LB_RETURN_IF_ERROR(TakeReadablePath(section, "ca_file", directory.ca_file));
  LB_RETURN_IF_ERROR(TakeText(section, "bind_dn", directory.bind_dn));
  LB_RETURN_IF_ERROR(TakeReadablePath(section, "password_file", directory.password_file));
  LB_RETURN_IF_ERROR(TakeText(section, "base_dn", directory.base_dn));
  LB_RETURN_IF_ERROR(TakeText(section, "filter", directory.filter));
  LB_RETURN_IF_ERROR(
      TakeText(section, "private_address_attribute", directory.private_address_attribute));
  constexpr std::string_view kIntervalExpected = "an integer in 10..86400 (seconds)";
  auto interval = section.TakeInteger("sync_interval_seconds", kIntervalExpected);
  if (!interval.ok()) return interval.status();
  if (interval->has_value()) {
    if (**interval < 10 || **interval > 86400) {
      return section.Invalid("sync_interval_seconds", kIntervalExpected);
    }
    directory.sync_interval_seconds = **interval;
  }
  if (!directory.ldap_uris.empty()) {
    if (directory.base_dn.empty()) return section.Missing("base_dn", "the directory's base DN");
    if (directory.bind_dn.empty()) return section.Missing("bind_dn", "the bind account's DN");
    if (directory.password_file.empty()) {
      return section.Missing("password_file", kPathExpected);
    }
  }
  return Status::Ok();
}

}  // namespace lifeboat::config
