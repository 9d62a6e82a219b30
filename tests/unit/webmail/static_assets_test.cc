// The UI's static files: only names of a UI build are loaded, each served with its type, the
// security headers and the cache policy its name calls for; nothing else is reachable.
#include "modules/webmail/static_assets.h"

#include <gtest/gtest.h>

#include "modules/webmail/security_headers.h"

namespace lifeboat::webmail {
namespace {

HttpRequest Request(std::string method, std::string target) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  return request;
}

StaticAssets Build() {
  StaticAssets assets;
  EXPECT_TRUE(assets.Add("index.html", "<!doctype html><title>x</title>").ok());
  EXPECT_TRUE(assets.Add("assets/app-ABC123.js", "console.log(1)").ok());
  EXPECT_TRUE(assets.Add("assets/app-DEF456.css", "body{}").ok());
  return assets;
}

TEST(StaticAssetsTest, IndexIsRevalidatedAndHashedAssetsAreImmutable) {
  StaticAssets assets = Build();
  HttpResponse index = assets.Serve(Request("GET", "/"));
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.Header("Cache-Control"), "no-cache");
  EXPECT_EQ(index.Header("Content-Security-Policy"), kContentSecurityPolicy);
  EXPECT_EQ(index.Header("X-Content-Type-Options"), "nosniff");
  HttpResponse script = assets.Serve(Request("GET", "/assets/app-ABC123.js?v=1"));
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.body, "console.log(1)");
  EXPECT_EQ(script.Header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(script.Header("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(assets.Serve(Request("GET", "/assets/app-DEF456.css")).Header("Content-Type"),
            "text/css; charset=utf-8");
  HttpResponse head = assets.Serve(Request("HEAD", "/assets/app-DEF456.css"));
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
}

TEST(StaticAssetsTest, NoListingNoUnknownFileAndOnlyGet) {
  StaticAssets assets = Build();
  for (const char* target : {"/assets/", "/assets/missing.js", "/assets/app-ABC123.js/x",
                             "/assets/index.html", "/assets/..%2findex.html"}) {
    HttpResponse response = assets.Serve(Request("GET", target));
    EXPECT_EQ(response.status, 404) << target;
    EXPECT_EQ(response.Header("Content-Security-Policy"), kContentSecurityPolicy);
  }
  HttpResponse post = assets.Serve(Request("POST", "/"));
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.Header("Allow"), "GET, HEAD");
  EXPECT_TRUE(StaticAssets::Owns("/"));
  EXPECT_TRUE(StaticAssets::Owns("/assets/x.js"));
  EXPECT_FALSE(StaticAssets::Owns("/api/session"));
  EXPECT_FALSE(StaticAssets::Owns("/index.html"));
}

TEST(StaticAssetsTest, OnlyNamesOfAUiBuildAreLoaded) {
  StaticAssets assets;
  for (const char* name :
       {"../etc/passwd", "assets/../index.html", "assets/.hidden.js", "assets/sub/app.js",
        "assets/app.exe", "other.html", "assets/", "assets/a b.js"}) {
    EXPECT_FALSE(assets.Add(name, "x").ok()) << name;
  }
  EXPECT_TRUE(assets.Add("index.html", "x").ok());
  EXPECT_FALSE(assets.Add("index.html", "y").ok());  // twice
  EXPECT_FALSE(assets.Add("assets/big.js", std::string(kStaticFileBytesMax + 1, 'x')).ok());
  EXPECT_TRUE(assets.has_index());
}

}  // namespace
}  // namespace lifeboat::webmail
