#include "modules/webmail/http_message.h"

#include "modules/ascii/ascii_case.h"

namespace lifeboat::webmail {
namespace {

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string_view HttpRequest::path() const {
  std::string_view view(target);
  return view.substr(0, view.find('?'));
}

std::optional<std::string_view> HttpRequest::Header(std::string_view name) const {
  std::optional<std::string_view> found;
  for (const auto& [header, value] : headers) {
    if (!ascii::EqualsIgnoreCase(header, name)) continue;
    if (found) return std::nullopt;
    found = value;
  }
  return found;
}

std::optional<std::string_view> HttpRequest::Cookie(std::string_view name) const {
  std::optional<std::string_view> header = Header("Cookie");
  if (!header) return std::nullopt;
  std::optional<std::string_view> found;
  std::string_view rest = *header;
  while (!rest.empty()) {
    size_t semicolon = rest.find(';');
    std::string_view pair = TrimSpaces(rest.substr(0, semicolon));
    rest = semicolon == std::string_view::npos ? std::string_view() : rest.substr(semicolon + 1);
    size_t equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    // Cookie names are case-sensitive (RFC 6265 5.4 compares them as strings).
    if (TrimSpaces(pair.substr(0, equals)) != name) continue;
    if (found) return std::nullopt;
    found = TrimSpaces(pair.substr(equals + 1));
  }
  return found;
}

void HttpResponse::SetHeader(std::string_view name, std::string_view value) {
  for (auto& [header, existing] : headers) {
    if (header == name) {
      existing = std::string(value);
      return;
    }
  }
  headers.emplace_back(std::string(name), std::string(value));
}

std::optional<std::string_view> HttpResponse::Header(std::string_view name) const {
  for (const auto& [header, value] : headers) {
    if (header == name) return std::string_view(value);
  }
  return std::nullopt;
}

}  // namespace lifeboat::webmail
