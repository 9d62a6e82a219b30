#pragma once
// The parsed configuration file as a tree of sections, before any section gives it meaning.
//
// Only config_tree.cc sees toml++ (compiled there in its no-exceptions mode: a parse error is a
// value, never a throw). Section parsers (appliance/config/*_section.cc) read their keys through
// ConfigSection, which formats every error the same way and remembers which keys were read, so
// that a key nobody read is reported as unknown: a typo at 3 a.m. must not be silently ignored.
//
// Error format, one line, naming the key, the value and what is expected:
//   config: admin.listen = "0.0.0.0:9025": expected a loopback address (...)
//   config: node.cluster_id: missing, expected [a-z0-9-]{1,64}
//   config: node.clusterid: unknown key (known keys: id, cluster_id, data_dir)

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "appliance/env/status.h"

namespace lifeboat::config {

inline constexpr size_t kConfigFileBytesMax = 1u << 20;

// A TOML value this tree keeps: string, integer, boolean, float; anything else (array, table,
// date) is kept as its TOML kind name so the error can say what was found.
struct OtherValue {
  std::string kind;
  std::string text;
};
// An array whose elements are all strings (domains, networks); `text` is it as written.
struct StringList {
  std::vector<std::string> items;
  std::string text;
};
using ConfigValue = std::variant<std::string, int64_t, bool, double, OtherValue, StringList>;

// The value as written in TOML, for error messages: strings quoted, numbers as is.
std::string RenderValue(const ConfigValue& value);

class ConfigSection {
 public:
  ConfigSection(std::string name, std::map<std::string, ConfigValue> values)
      : name_(std::move(name)), values_(std::move(values)) {}

  const std::string& name() const { return name_; }

  // Reads a key and marks it known. Absent: nullopt. Present with another type: InvalidArgument
  // naming `expected`.
  Result<std::optional<std::string>> TakeString(std::string_view key, std::string_view expected);
  Result<std::optional<int64_t>> TakeInteger(std::string_view key, std::string_view expected);
  Result<std::optional<bool>> TakeBool(std::string_view key, std::string_view expected);
  // An array of strings; an empty array is a valid empty list.
  Result<std::optional<std::vector<std::string>>> TakeStringList(std::string_view key,
                                                                 std::string_view expected);

  // "config: <section>.<key> = <value>: expected <expected>"
  Status Invalid(std::string_view key, std::string_view expected) const;
  Status Invalid(std::string_view key, std::string_view expected, std::string_view reason) const;
  // "config: <section>.<key>: missing, expected <expected>"
  Status Missing(std::string_view key, std::string_view expected) const;
  // The first key no Take* call asked for, as an error listing the known keys.
  Status CheckNoUnknownKeys() const;

 private:
  const ConfigValue* Find(std::string_view key);
  std::string name_;
  std::map<std::string, ConfigValue> values_;
  std::vector<std::string> known_;  // in the order the parser asked, for the error text
};

class ConfigTree {
 public:
  // Parses TOML text. `origin` names the source in parse errors ("/etc/lifeboat/lifeboat.toml").
  // Top-level keys outside a [section] are errors; nested tables inside a section are kept as
  // OtherValue (no section uses them yet).
  static Result<ConfigTree> Parse(std::string_view text, std::string_view origin);

  // The section, or nullptr when the file has none of that name.
  ConfigSection* Find(std::string_view name);
  std::vector<std::string> SectionNames() const;

 private:
  std::map<std::string, ConfigSection, std::less<>> sections_;
};

}  // namespace lifeboat::config
