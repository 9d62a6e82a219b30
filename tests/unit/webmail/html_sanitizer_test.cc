// The mail HTML sanitizer: each case is a class of webmail XSS or leak (the hostile corpus in
// tests/integration/webmail/hostile/ drives the same classes through a real browser). The
// output must hold no script, no event handler, no request to another host.
#include "modules/webmail/html_sanitizer.h"

#include <gtest/gtest.h>

#include "modules/ascii/ascii_case.h"

namespace lifeboat::webmail {
namespace {

std::string Clean(std::string_view html, const InlineImages& images = {}) {
  return SanitizeHtml(html, images).html;
}

// What no sanitized document may contain, whatever went in.
void ExpectInert(const std::string& out) {
  // After our own head (its <meta charset> is ours, not the mail's).
  constexpr std::string_view kOwnHead = "<!doctype html><html><head><meta charset=\"utf-8\">";
  ASSERT_TRUE(out.starts_with(kOwnHead)) << out;
  std::string lower = ascii::Lower(std::string_view(out).substr(kOwnHead.size()));
  for (const char* needle :
       {"<script",   "javascript:", "vbscript:",    " on",        "<svg",  "<math",
        "<iframe",   "<object",     "<embed",       "<base",      "<meta", "<link",
        "<form",     "http://evil", "https://evil", "//evil",     "url(",  "@import",
        "<textarea", "<template",   "srcset",       "background="}) {
    EXPECT_EQ(lower.find(needle), std::string::npos) << needle << " in " << out;
  }
}

TEST(HtmlSanitizerTest, KeepsTheFormattingMailNeeds) {
  std::string out = Clean(
      "<table border=1 cellpadding=2><tr><td bgcolor=\"#ffeeee\" style=\"color: red; "
      "font-weight: bold\">Hi <b>there</b> &amp; <a href=\"https://example.org/x?a=1&b=2\">link"
      "</a></td></tr></table><p align=center>Bye<br>now</p>");
  EXPECT_NE(out.find("<table border=\"1\" cellpadding=\"2\">"), std::string::npos) << out;
  EXPECT_NE(out.find("style=\"color: red; font-weight: bold\""), std::string::npos) << out;
  EXPECT_NE(out.find("<b>there</b> &amp; "), std::string::npos) << out;
  EXPECT_NE(out.find("href=\"https://example.org/x?a=1&amp;b=2\" target=\"_blank\" "
                     "rel=\"noopener noreferrer\""),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("<p align=\"center\">Bye<br>now</p>"), std::string::npos) << out;
  EXPECT_TRUE(out.starts_with("<!doctype html><html><head><meta charset=\"utf-8\">"));
}

TEST(HtmlSanitizerTest, ScriptsAndHandlersAreGone) {
  std::string out = Clean(
      "<script>alert(1)</script><img src=x onerror=alert(1)><body onload=alert(1)>"
      "<div onmouseover=\"alert(1)\">t</div><a href=\"javascript:alert(1)\">j</a>"
      "<a href=\"jav&#x09;ascript:alert(1)\">e</a><a href=\" &#14; javascript:alert(1)\">s</a>"
      "<a href=\"JaVaScRiPt&colon;alert(1)\">c</a><a href=\"data:text/html,<script>x</script>\">"
      "d</a><a href=\"vbscript:msgbox(1)\">v</a><noscript><p title=\"</noscript><img src=x "
      "onerror=alert(1)>\"></noscript><template><script>alert(1)</script></template>");
  ExpectInert(out);
  EXPECT_NE(out.find(">t</div>"), std::string::npos) << out;  // text kept, handler dropped
  EXPECT_EQ(out.find("href"), std::string::npos) << out;      // no link survived
}

TEST(HtmlSanitizerTest, ForeignContentAndEmbeddingAreDroppedWhole) {
  std::string out = Clean(
      "<svg><animate attributeName=href values=javascript:alert(1) /><a><text>x</text></a></svg>"
      "<svg><use href=\"https://evil.test/s.svg#x\"/></svg>"
      "<svg><foreignObject><iframe src=\"https://evil.test\"></iframe></foreignObject></svg>"
      "<math><maction actiontype=statusline xlink:href=javascript:alert(1)>m</maction></math>"
      "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe><object data=\"https://evil.test\">"
      "</object><embed src=\"https://evil.test/e.swf\"><form action=\"https://evil.test\"><input "
      "name=p><button formaction=\"https://evil.test\">go</button></form>");
  ExpectInert(out);
}

TEST(HtmlSanitizerTest, NoRequestLeavesForAnotherHost) {
  SanitizedHtml result = SanitizeHtml(
      "<head><base href=\"https://evil.test/\"><meta http-equiv=refresh content=\"0;url=https://"
      "evil.test\"><link rel=prefetch href=\"https://evil.test/p\"><link rel=preconnect "
      "href=\"https://evil.test\"><link rel=stylesheet href=\"https://evil.test/s.css\"></head>"
      "<body background=\"https://evil.test/bg.png\"><img src=\"https://evil.test/pixel.gif\" "
      "width=1 height=1><img srcset=\"https://evil.test/a.png 1x\"><img src=\"//evil.test/p\">"
      "<div style=\"background:url(https://evil.test/u)\">a</div>"
      "<div style=\"background:u\\72l(https://evil.test/e)\">b</div>"
      "<div style=\"background-image:image-set('https://evil.test/i' 1x)\">c</div>"
      "<style>@import 'https://evil.test/i.css'; p{color:red}</style>"
      "<style>p{background:url(//evil.test/x)}</style><style>p { color: blue }</style>"
      "<video poster=\"https://evil.test/v.png\"></video><audio src=\"https://evil.test/a\">"
      "</audio></body>",
      {});
  ExpectInert(result.html);
  EXPECT_NE(result.html.find("<style>p { color: blue }</style>"), std::string::npos);
  EXPECT_NE(result.html.find(">a</div>"), std::string::npos);
  EXPECT_GE(result.blocked_resources, 10u);
}

TEST(HtmlSanitizerTest, BreakoutsAreReescapedText) {
  std::string out = Clean(
      "<textarea></textarea><script>alert(1)</script></textarea>"
      "<title></title><img src=x onerror=alert(1)></title>"
      "<style></style><img src=x onerror=alert(1)></style>"
      "<p title=\"&quot;><script>alert(1)</script>\">q</p><!-- --><script>alert(1)</script> -->"
      "<xmp><script>alert(1)</script></xmp>");
  ExpectInert(out);
  EXPECT_NE(out.find("title=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""),
            std::string::npos)
      << out;
}

TEST(HtmlSanitizerTest, ImagesOnlyFromTheMessageItselfOrRasterData) {
  InlineImages images = {{"logo@example.org", "data:image/png;base64,iVBORw0KGgo="}};
  std::string out = Clean(
      "<img src=\"cid:logo@example.org\" alt=logo><img src=\"CID:<logo@example.org>\">"
      "<img src=\"cid:missing@example.org\"><img "
      "src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\">"
      "<img src=\"data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+\">"
      "<img src=\"data:text/html;base64,PHNjcmlwdD4=\"><img "
      "src='data:image/png;base64,AA\"onerror=x'>",
      images);
  ExpectInert(out);
  EXPECT_NE(out.find("<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"logo\">"),
            std::string::npos)
      << out;
  size_t count = 0;
  for (size_t at = out.find("<img"); at != std::string::npos; at = out.find("<img", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 3u) << out;  // cid (twice) and the gif
  EXPECT_EQ(out.find("svg"), std::string::npos);
}

TEST(HtmlSanitizerTest, DeepOrHugeInputStaysBounded) {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "<div>";
  deep += "core";
  std::string out = Clean(deep);
  EXPECT_EQ(out.find("core"), std::string::npos);  // beyond kSanitizeDepthMax: dropped
  std::string many(kSanitizeTagsMax + 1, '<');
  std::string text = Clean(many + "<script>alert(1)</script>");
  EXPECT_EQ(text.find("<script"), std::string::npos);
  EXPECT_NE(text.find("&lt;script&gt;"), std::string::npos);  // shown as text
}

TEST(HtmlSanitizerTest, PlainTextIsEscapedInPre) {
  EXPECT_EQ(PlainTextDocument("a<b>&\"c\""),
            "<!doctype html><html><head><meta charset=\"utf-8\"><style>body{margin:8px}"
            "pre{white-space:pre-wrap;overflow-wrap:anywhere;font-family:system-ui,sans-serif}"
            "</style></head><body><pre>a&lt;b&gt;&amp;&quot;c&quot;</pre></body></html>");
}

}  // namespace
}  // namespace lifeboat::webmail
