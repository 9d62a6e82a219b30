// The one translation unit that sees toml++. It is compiled header-only with TOML_EXCEPTIONS=0
// (set in appliance/CMakeLists.txt for this file only): Debian's libtomlplusplus.so is built with
// exceptions, and a configuration error must come back as a value (STYLE.md rule 6).
#include "appliance/config/config_tree.h"

#include <toml++/toml.h>

#include <sstream>

namespace lifeboat::config {

static_assert(TOML_EXCEPTIONS == 0, "config_tree.cc must be compiled with TOML_EXCEPTIONS=0");

namespace {

std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

ConfigValue ToConfigValue(const toml::node& node) {
  if (auto text = node.value<std::string>(); text && node.is_string()) return *text;
  if (node.is_integer()) return *node.value<int64_t>();
  if (node.is_boolean()) return *node.value<bool>();
  if (node.is_floating_point()) return *node.value<double>();
  std::ostringstream text;
  std::string kind;
  if (node.is_array()) {
    const toml::array& array = *node.as_array();
    bool all_strings = true;
    StringList list;
    for (const toml::node& element : array) {
      if (!element.is_string()) {
        all_strings = false;
        break;
      }
      list.items.push_back(*element.value<std::string>());
    }
    if (all_strings) {
      text << array;
      list.text = text.str();
      return list;
    }
    kind = "array";
    text << *node.as_array();
  } else if (node.is_table()) {
    kind = "table";
    text << "{...}";
  } else {
    kind = "date/time";
    if (node.is_date()) text << *node.as_date();
    if (node.is_time()) text << *node.as_time();
    if (node.is_date_time()) text << *node.as_date_time();
  }
  return OtherValue{kind, text.str()};
}

}  // namespace

std::string RenderValue(const ConfigValue& value) {
  if (auto* text = std::get_if<std::string>(&value)) return Quote(*text);
  if (auto* integer = std::get_if<int64_t>(&value)) return std::to_string(*integer);
  if (auto* flag = std::get_if<bool>(&value)) return *flag ? "true" : "false";
  if (auto* number = std::get_if<double>(&value)) {
    std::ostringstream out;
    out << *number;
    return out.str();
  }
  if (auto* list = std::get_if<StringList>(&value)) return list->text;
  return std::get<OtherValue>(value).text;
}

const ConfigValue* ConfigSection::Find(std::string_view key) {
  bool listed = false;
  for (const auto& known : known_) listed = listed || known == key;
  if (!listed) known_.emplace_back(key);
  auto it = values_.find(std::string(key));
  return it == values_.end() ? nullptr : &it->second;
}

Result<std::optional<std::string>> ConfigSection::TakeString(std::string_view key,
                                                             std::string_view expected) {
  const ConfigValue* value = Find(key);
  if (value == nullptr) return std::optional<std::string>();
  if (auto* text = std::get_if<std::string>(value)) return std::optional<std::string>(*text);
  return Invalid(key, expected, "not a string");
}

Result<std::optional<int64_t>> ConfigSection::TakeInteger(std::string_view key,
                                                          std::string_view expected) {
  const ConfigValue* value = Find(key);
  if (value == nullptr) return std::optional<int64_t>();
  if (auto* integer = std::get_if<int64_t>(value)) return std::optional<int64_t>(*integer);
  return Invalid(key, expected, "not an integer");
}

Result<std::optional<std::vector<std::string>>> ConfigSection::TakeStringList(
    std::string_view key, std::string_view expected) {
  const ConfigValue* value = Find(key);
  if (value == nullptr) return std::optional<std::vector<std::string>>();
  if (auto* list = std::get_if<StringList>(value)) {
    return std::optional<std::vector<std::string>>(list->items);
  }
  return Invalid(key, expected, "not an array of strings");
}

Result<std::optional<bool>> ConfigSection::TakeBool(std::string_view key,
                                                    std::string_view expected) {
  const ConfigValue* value = Find(key);
  if (value == nullptr) return std::optional<bool>();
  if (auto* flag = std::get_if<bool>(value)) return std::optional<bool>(*flag);
  return Invalid(key, expected, "not a boolean");
}

Status ConfigSection::Invalid(std::string_view key, std::string_view expected) const {
  return Invalid(key, expected, "");
}

Status ConfigSection::Invalid(std::string_view key, std::string_view expected,
                              std::string_view reason) const {
  std::string message = "config: " + name_ + "." + std::string(key);
  auto it = values_.find(std::string(key));
  if (it != values_.end()) message += " = " + RenderValue(it->second);
  message += ": ";
  if (!reason.empty()) message += std::string(reason) + ", ";
  message += "expected " + std::string(expected);
  return Status::InvalidArgument(std::move(message));
}

Status ConfigSection::Missing(std::string_view key, std::string_view expected) const {
  return Status::InvalidArgument("config: " + name_ + "." + std::string(key) +
                                 ": missing, expected " + std::string(expected));
}

Status ConfigSection::CheckNoUnknownKeys() const {
  for (const auto& [key, value] : values_) {
    bool known = false;
    for (const auto& name : known_) known = known || name == key;
    if (known) continue;
    std::string list;
    for (const auto& name : known_) list += (list.empty() ? "" : ", ") + name;
    return Status::InvalidArgument("config: " + name_ + "." + key +
                                   ": unknown key (known keys: " + list + ")");
  }
  return Status::Ok();
}

Result<ConfigTree> ConfigTree::Parse(std::string_view text, std::string_view origin) {
  if (text.size() > kConfigFileBytesMax) {
    return Status::InvalidArgument("config: " + std::string(origin) + ": larger than " +
                                   std::to_string(kConfigFileBytesMax) + " bytes");
  }
  toml::parse_result parsed = toml::parse(text, origin);
  if (!parsed) {
    const toml::parse_error& error = parsed.error();
    return Status::InvalidArgument(
        "config: " + std::string(origin) + ":" + std::to_string(error.source().begin.line) + ":" +
        std::to_string(error.source().begin.column) + ": " + std::string(error.description()));
  }
  ConfigTree tree;
  for (const auto& [key, node] : parsed.table()) {
    std::string name(key.str());
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      return Status::InvalidArgument("config: " + name + " = " + RenderValue(ToConfigValue(node)) +
                                     ": expected a [section], not a top-level key");
    }
    std::map<std::string, ConfigValue> values;
    for (const auto& [inner_key, inner_node] : *table) {
      values.emplace(std::string(inner_key.str()), ToConfigValue(inner_node));
    }
    tree.sections_.emplace(name, ConfigSection(name, std::move(values)));
  }
  return tree;
}

ConfigSection* ConfigTree::Find(std::string_view name) {
  auto it = sections_.find(name);
  return it == sections_.end() ? nullptr : &it->second;
}

std::vector<std::string> ConfigTree::SectionNames() const {
  std::vector<std::string> names;
  for (const auto& [name, section] : sections_) names.push_back(name);
  return names;
}

}  // namespace lifeboat::config
