// GET /api/messages/<id>/html: the body a raw message shows (HTML sanitized, else text), the
// frame's own headers, and the id in the path.
#include "modules/webmail/message_html.h"

#include <gtest/gtest.h>

namespace lifeboat::webmail {
namespace {

constexpr std::string_view kRelated =
    "From: a@example.org\r\nTo: b@example.test\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/related; boundary=\"b1\"\r\n\r\n"
    "--b1\r\nContent-Type: text/html; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    "<p>Caf=E9 <img src=3D\"cid:logo@x\"><img src=3D\"https://evil.test/p.gif\"></p>"
    "<script>alert(1)</script>\r\n"
    "--b1\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b1--\r\n";

TEST(MessageHtmlTest, HtmlIsSanitizedWithItsCidImagesInlineAndTheFramePolicy) {
  HttpResponse response = MessageHtmlResponse(kRelated);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(response.Header("Content-Security-Policy"), kMessageFrameContentSecurityPolicy);
  EXPECT_EQ(response.Header("X-Frame-Options"), "SAMEORIGIN");
  EXPECT_EQ(response.Header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(response.Header("Cache-Control"), "no-store");
  EXPECT_NE(response.body.find("<p>Café <img src=\"data:image/png;base64,iVBORw0KGgo=\"></p>"),
            std::string::npos)
      << response.body;
  EXPECT_EQ(response.body.find("evil"), std::string::npos);
  EXPECT_EQ(response.body.find("<script"), std::string::npos);
}

TEST(MessageHtmlTest, PlainTextOnlyMailIsEscapedText) {
  HttpResponse response = MessageHtmlResponse(
      "From: a@example.org\r\nSubject: s\r\n\r\n<script>alert(1)</script> hello\r\n");
  EXPECT_NE(response.body.find("<pre>&lt;script&gt;alert(1)&lt;/script&gt; hello"),
            std::string::npos)
      << response.body;
}

TEST(MessageHtmlTest, GarbageIsAnEmptyDocumentNotAFailure) {
  HttpResponse response = MessageHtmlResponse(std::string("\0\xff\xfe garbage", 12));
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.body.find("<pre>"), std::string::npos);
}

TEST(MessageHtmlTest, TheIdComesFromThePathPercentDecodedAndPrintable) {
  EXPECT_EQ(MessageHtmlPathId("/api/messages/m-1/html"), "m-1");
  EXPECT_EQ(MessageHtmlPathId("/api/messages/a%40b.1/html"), "a@b.1");
  EXPECT_EQ(MessageHtmlPathId("/api/messages//html"), "");
  EXPECT_EQ(MessageHtmlPathId("/api/messages/a/b/html"), "");
  EXPECT_EQ(MessageHtmlPathId("/api/messages/a%2Fb/html"), "");
  EXPECT_EQ(MessageHtmlPathId("/api/messages/a%20b/html"), "");
  EXPECT_EQ(MessageHtmlPathId("/api/messages/a%2/html"), "");
  EXPECT_EQ(MessageHtmlPathId("/api/messages/m-1"), "");
  EXPECT_EQ(MessageHtmlPathId("/api/messages/m-1/html/x"), "");
}

}  // namespace
}  // namespace lifeboat::webmail
