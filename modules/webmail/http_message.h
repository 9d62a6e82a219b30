#pragma once
// The request and response the webmail core works on: what evhttp parsed, copied into plain
// values, so the core never sees a socket or a libevent type and the simulator can drive it.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lifeboat::webmail {

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as received (methods are case-sensitive, RFC 9110 9.1)
  std::string target;  // origin-form: "/api/login?x=1"
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as received
  std::string body;
  std::string peer_address;  // the client's IP address, without port

  // The path part of the target (before '?').
  std::string_view path() const;
  // The value of the only header named `name` (ASCII case-insensitive, RFC 9110 5.1); nullopt
  // when absent or present more than once (a repeated Origin or token is not guessed at).
  std::optional<std::string_view> Header(std::string_view name) const;
  // The value of the only cookie named `name` in the Cookie header (RFC 6265 section 5.4);
  // nullopt when absent or sent more than once (cookie tossing).
  std::optional<std::string_view> Cookie(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void SetHeader(std::string_view name, std::string_view value);
  // The value of header `name` as set (exact name), or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
};

}  // namespace lifeboat::webmail
