#include <optional>

#include "modules/ascii/ascii_case.h"
#include "modules/directory/base64.h"
#include "modules/directory/importer.h"

// LDIF import (importer.h): RFC 2849 content records.
namespace lifeboat::directory {
namespace {

// Joins RFC 2849 folded lines (a line starting with one space continues the previous one).
std::vector<std::pair<size_t, std::string>> UnfoldLdif(std::string_view text) {
  std::vector<std::pair<size_t, std::string>> lines;
  size_t number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++number;
    start = end + 1;
    if (!line.empty() && line.front() == ' ' && !lines.empty() && !lines.back().second.empty()) {
      lines.back().second += line.substr(1);
      continue;
    }
    lines.emplace_back(number, std::string(line));
  }
  return lines;
}

}  // namespace

Result<std::vector<LdapEntry>> ParseLdif(std::string_view text) {
  if (text.size() > kImportFileBytesMax) return Status::ResourceExhausted("ldif: file too large");
  std::vector<LdapEntry> entries;
  LdapEntry current;
  bool in_record = false;
  auto finish = [&]() {
    if (in_record) entries.push_back(std::move(current));
    current = LdapEntry();
    in_record = false;
  };
  for (const auto& [number, line] : UnfoldLdif(text)) {
    std::string where = "ldif line " + std::to_string(number);
    if (line.empty()) {
      finish();
      continue;
    }
    if (line.front() == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::InvalidArgument(where + ": expected 'attribute: value'");
    }
    std::string name = ascii::Lower(line.substr(0, colon));
    size_t semicolon = name.find(';');
    if (semicolon != std::string::npos) name.resize(semicolon);  // ";binary" and other options
    std::string_view rest = std::string_view(line).substr(colon + 1);
    std::string value;
    if (!rest.empty() && rest.front() == ':') {
      rest.remove_prefix(1);
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      std::optional<std::string> decoded = Base64Decode(rest);
      if (!decoded) return Status::InvalidArgument(where + ": bad base64");
      value = std::move(*decoded);
    } else if (!rest.empty() && rest.front() == '<') {
      return Status::InvalidArgument(where + ": URL values are not supported");
    } else {
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      value = std::string(rest);
    }
    if (!in_record && name == "version") continue;
    if (name == "dn") {
      if (in_record) return Status::InvalidArgument(where + ": dn inside a record");
      current.dn = std::move(value);
      in_record = true;
      continue;
    }
    if (!in_record) return Status::InvalidArgument(where + ": attribute before dn");
    if (name == "changetype") {
      if (value != "add")
        return Status::InvalidArgument(where + ": only content records are imported");
      continue;
    }
    current.Add(name, std::move(value));
    if (entries.size() >= kImportEntriesMax) {
      return Status::ResourceExhausted("ldif: more than " + std::to_string(kImportEntriesMax) +
                                       " entries");
    }
  }
  finish();
  return entries;
}

}  // namespace lifeboat::directory
