#include "modules/webmail/static_assets.h"

#include <array>
#include <utility>

#include "modules/webmail/security_headers.h"

namespace lifeboat::webmail {
namespace {

constexpr std::string_view kAssetsPrefix = "/assets/";

struct ContentType {
  std::string_view extension;
  std::string_view media_type;
};
// The types a UI build holds. JavaScript's type is text/javascript (RFC 9239).
constexpr std::array<ContentType, 9> kContentTypes = {{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
}};

std::optional<std::string_view> MediaType(std::string_view name) {
  for (const ContentType& type : kContentTypes) {
    if (name.ends_with(type.extension) && name.size() > type.extension.size()) {
      return type.media_type;
    }
  }
  return std::nullopt;
}

bool SafeAssetName(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.size() > 255) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Status StaticAssets::Add(std::string_view name, std::string body) {
  std::string path;
  bool immutable = false;
  if (name == "index.html") {
    path = "/";
  } else if (name.starts_with("assets/") && SafeAssetName(name.substr(7))) {
    path = std::string(kAssetsPrefix) + std::string(name.substr(7));
    immutable = true;
  } else {
    return Status::InvalidArgument("webmail UI: unexpected file " + std::string(name));
  }
  std::optional<std::string_view> media_type = MediaType(name);
  if (!media_type) {
    return Status::InvalidArgument("webmail UI: unknown file type " + std::string(name));
  }
  if (files_.size() >= kStaticFilesMax) {
    return Status::InvalidArgument("webmail UI: more than " + std::to_string(kStaticFilesMax) +
                                   " files");
  }
  if (body.size() > kStaticFileBytesMax) {
    return Status::InvalidArgument("webmail UI: " + std::string(name) + " is too large");
  }
  File file;
  file.content_type = std::string(*media_type);
  file.body = std::move(body);
  file.immutable = immutable;
  if (!files_.emplace(std::move(path), std::move(file)).second) {
    return Status::InvalidArgument("webmail UI: " + std::string(name) + " twice");
  }
  return Status::Ok();
}

bool StaticAssets::Owns(std::string_view path) {
  return path == "/" || path.starts_with(kAssetsPrefix);
}

HttpResponse StaticAssets::Serve(const HttpRequest& request) const {
  HttpResponse response;
  auto plain = [&response](int status, std::string_view text) {
    response.status = status;
    response.SetHeader("Content-Type", "text/plain; charset=utf-8");
    response.body = std::string(text);
    AddSecurityHeaders(response);
  };
  if (request.method != "GET" && request.method != "HEAD") {
    plain(405, "method not allowed\n");
    response.SetHeader("Allow", "GET, HEAD");
    return response;
  }
  auto found = files_.find(request.path());
  if (found == files_.end()) {
    plain(404, "not found\n");
    return response;
  }
  const File& file = found->second;
  response.SetHeader("Content-Type", file.content_type);
  if (request.method == "GET") response.body = file.body;
  AddSecurityHeaders(response);
  response.SetHeader(
      "Cache-Control",
      file.immutable ? "public, max-age=" + std::to_string(kImmutableMaxAgeSeconds) + ", immutable"
                     : std::string("no-cache"));
  return response;
}

}  // namespace lifeboat::webmail
