#pragma once
// The browser UI's files (modules/webmail/ui, bundled at build time by esbuild), served from
// memory by the request core: GET / is index.html, GET /assets/<name> is one bundle. Nothing
// else: there is no directory listing, and a name is looked up in a table built at start, never
// joined to a file system path, so no request can reach a file that was not loaded.
//
// Caching (RFC 9111): bundle names carry a hash of their content (ui/build.mjs), so an asset is
// "public, max-age=31536000, immutable"; index.html, which names the current bundles, is
// "no-cache" (revalidated on every load, so a new build is picked up at once).
//
// Every answer carries the security headers (security_headers.h); Content-Type comes from the
// file's extension, and X-Content-Type-Options nosniff keeps browsers to it.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "appliance/env/status.h"
#include "modules/webmail/http_message.h"

namespace lifeboat::webmail {

// Files in one UI build, and bytes of one file (the whole bundle is tens of KiB).
inline constexpr size_t kStaticFilesMax = 64;
inline constexpr size_t kStaticFileBytesMax = 4 * 1024 * 1024;
// One year: the longest max-age caches honour (RFC 9111 leaves it open; common practice).
inline constexpr long kImmutableMaxAgeSeconds = 31'536'000;

class StaticAssets {
 public:
  // Adds one file by its name in the UI build: "index.html" or "assets/<name>", where <name> is
  // made of [A-Za-z0-9._-], does not start with '.', and has a known extension. InvalidArgument
  // for any other name, a known name twice, or past the limits above.
  Status Add(std::string_view name, std::string body);
  bool has_index() const { return files_.contains("/"); }
  size_t size() const { return files_.size(); }

  // True when `path` is one of ours to answer ("/" or under "/assets/"), found or not.
  static bool Owns(std::string_view path);
  // The answer for a request whose path Owns: 200 with the file, 404 for an unknown asset, 405
  // for a method other than GET or HEAD (HEAD: the driver sends headers only).
  HttpResponse Serve(const HttpRequest& request) const;

 private:
  struct File {
    std::string content_type;
    std::string body;
    bool immutable = false;
  };
  std::map<std::string, File, std::less<>> files_;  // by request path: "/", "/assets/app-X.js"
};

}  // namespace lifeboat::webmail
