#include "appliance/config/config.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "appliance/config/config_tree.h"
#include "appliance/config/sections.h"

namespace lifeboat::config {

namespace {

struct SectionParser {
  std::string_view name;
  Status (*parse)(ConfigSection& section, Config& config);
};

// Every known [section], in the order they are checked. Modules add their line here.
constexpr SectionParser kSections[] = {
    {"node", &ParseNodeSection},
    {"admin", &ParseAdminSection},
    {"log", &ParseLogSection},
    {"tls", &ParseTlsSection},
    {"eventlog", &ParseEventlogSection},
    {"smtp", &ParseSmtpSection},
    {"directory", &ParseDirectorySection},
    {"mailbox", &ParseMailboxSection},
    {"routing", &ParseRoutingSection},
    {"delivery", &ParseDeliverySection},
    {"webmail", &ParseWebmailSection},  // after "tls": it needs the certificate
    {"dkim", &ParseDkimSection},
    {"cluster", &ParseClusterSection},
};

}  // namespace

// "host:port" or "[v6]:port" -> host, port. False when the shape is wrong.
bool SplitHostPort(std::string_view text, std::string& host, uint16_t& port) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) return false;
  std::string_view host_part = text.substr(0, colon);
  std::string_view port_part = text.substr(colon + 1);
  if (host_part.size() >= 2 && host_part.front() == '[' && host_part.back() == ']') {
    host_part = host_part.substr(1, host_part.size() - 2);
  } else if (host_part.find(':') != std::string_view::npos) {
    return false;  // an IPv6 address needs brackets (RFC 3986 section 3.2.2)
  }
  unsigned value = 0;
  auto [end, error] = std::from_chars(port_part.data(), port_part.data() + port_part.size(), value);
  if (error != std::errc() || end != port_part.data() + port_part.size()) return false;
  if (value == 0 || value > 65535) return false;
  host = std::string(host_part);
  port = static_cast<uint16_t>(value);
  return true;
}

bool IsIdentifier(std::string_view text) {
  if (text.empty() || text.size() > kIdentifierBytesMax) return false;
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

Result<Config> ParseConfig(std::string_view text, std::string_view origin) {
  Result<ConfigTree> tree = ConfigTree::Parse(text, origin);
  if (!tree.ok()) return tree.status();
  for (const std::string& name : tree->SectionNames()) {
    bool known = false;
    std::string list;
    for (const auto& section : kSections) {
      known = known || section.name == name;
      list += (list.empty() ? "" : ", ") + std::string(section.name);
    }
    if (!known) {
      return Status::InvalidArgument("config: [" + name +
                                     "]: unknown section (known sections: " + list + ")");
    }
  }
  Config config;
  config.origin = std::string(origin);
  for (const auto& parser : kSections) {
    ConfigSection empty{std::string(parser.name), {}};
    ConfigSection* section = tree->Find(parser.name);
    if (section == nullptr) section = &empty;
    LB_RETURN_IF_ERROR(parser.parse(*section, config));
    LB_RETURN_IF_ERROR(section->CheckNoUnknownKeys());
  }
  return config;
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return Status::IoError("config: cannot open " + path + ": " + std::strerror(errno));
  }
  std::string text;
  text.resize(kConfigFileBytesMax + 1);
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (file.bad()) return Status::IoError("config: cannot read " + path);
  text.resize(static_cast<size_t>(file.gcount()));
  return ParseConfig(text, path);
}

}  // namespace lifeboat::config
