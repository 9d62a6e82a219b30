// [dkim]: the DKIM signing keys of outbound mail (issue #11 Build 5), one per sender domain. Only
// the shape is checked here; the key files are read and checked when the node starts
// (appliance/dkim_keys.h), so a key that is not a key stops the start with its file named.
#include "appliance/config/sections.h"

namespace lifeboat::config {
namespace {

constexpr std::string_view kKeysExpected =
    "an array of \"DOMAIN:SELECTOR:/absolute/path/to/key.pem\" "
    "([\"example.com:mail2026:/etc/lifeboat/dkim/example.com.pem\"])";
// More sender domains than a continuity appliance serves; a bound on what start-up reads.
constexpr size_t kDkimKeysMax = 256;

bool IsDnsLabelText(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return text.front() != '.' && text.back() != '.';
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

Status ParseDkimSection(ConfigSection& section, Config& config) {
  auto keys = section.TakeStringList("keys", kKeysExpected);
  if (!keys.ok()) return keys.status();
  if (!keys->has_value()) return Status::Ok();
  if ((*keys)->size() > kDkimKeysMax) {
    return section.Invalid("keys", kKeysExpected,
                           "more than " + std::to_string(kDkimKeysMax) + " keys");
  }
  for (const std::string& entry : **keys) {
    // The path comes last so that it may hold colons; domain and selector cannot.
    const size_t first = entry.find(':');
    const size_t second = first == std::string::npos ? first : entry.find(':', first + 1);
    if (second == std::string::npos) {
      return section.Invalid("keys", kKeysExpected, "'" + entry + "': three parts needed");
    }
    DkimKeyConfig key;
    key.domain = Lower(entry.substr(0, first));
    key.selector = entry.substr(first + 1, second - first - 1);
    key.key_file = entry.substr(second + 1);
    if (!IsDnsLabelText(key.domain)) {
      return section.Invalid("keys", kKeysExpected, "'" + key.domain + "' is not a domain");
    }
    if (!IsDnsLabelText(key.selector)) {
      return section.Invalid("keys", kKeysExpected, "'" + key.selector + "' is not a selector");
    }
    if (key.key_file.empty() || key.key_file.front() != '/') {
      return section.Invalid("keys", kKeysExpected,
                             "'" + key.key_file + "' is not an absolute path");
    }
    for (const DkimKeyConfig& seen : config.dkim.keys) {
      if (seen.domain == key.domain) {
        return section.Invalid("keys", kKeysExpected, "two keys for " + key.domain);
      }
    }
    config.dkim.keys.push_back(std::move(key));
  }
  return Status::Ok();
}

}  // namespace lifeboat::config
