// Header and cookie lookup: case rules, repeats refused.
#include "modules/webmail/http_message.h"

#include <gtest/gtest.h>

namespace lifeboat::webmail {
namespace {

TEST(HttpMessageTest, HeadersAreFoundWhateverTheirCaseAndRepeatsAreRefused) {
  HttpRequest request;
  request.target = "/api/session?x=1";
  request.headers = {{"origin", "https://mail.example.com"}, {"X-A", "1"}, {"x-a", "2"}};
  EXPECT_EQ(request.path(), "/api/session");
  EXPECT_EQ(request.Header("Origin"), "https://mail.example.com");
  EXPECT_FALSE(request.Header("X-A").has_value());
  EXPECT_FALSE(request.Header("Missing").has_value());
}

TEST(HttpMessageTest, CookiesAreParsedAndATossedDuplicateIsRefused) {
  HttpRequest request;
  request.headers = {{"Cookie", "theme=dark;  __Host-s=abc ; other=x=y"}};
  EXPECT_EQ(request.Cookie("__Host-s"), "abc");
  EXPECT_EQ(request.Cookie("other"), "x=y");
  EXPECT_FALSE(request.Cookie("__host-s").has_value());  // names are case-sensitive
  request.headers = {{"Cookie", "__Host-s=abc; __Host-s=evil"}};
  EXPECT_FALSE(request.Cookie("__Host-s").has_value());
  request.headers = {{"Cookie", "a=1"}, {"cookie", "a=2"}};
  EXPECT_FALSE(request.Cookie("a").has_value());
}

TEST(HttpMessageTest, ResponseHeadersAreReplacedNotRepeated) {
  HttpResponse response;
  response.SetHeader("Cache-Control", "public");
  response.SetHeader("Cache-Control", "no-store");
  EXPECT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.Header("Cache-Control"), "no-store");
}

}  // namespace
}  // namespace lifeboat::webmail
