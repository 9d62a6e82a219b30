// Preview text: whitespace collapsing, code point limit, crude HTML stripping.
#include "modules/mailbox/preview_text.h"

#include <gtest/gtest.h>

namespace lifeboat::mailbox {
namespace {

TEST(PreviewTextTest, CollapsesWhitespaceAndTrims) {
  EXPECT_EQ(MakePreview("  a\r\n\r\n b\t\tc \xc2\xa0 d  "), "a b c d");
  EXPECT_EQ(MakePreview(""), "");
}

TEST(PreviewTextTest, KeepsWholeCharactersUpToTheLimit) {
  std::string text;
  for (int i = 0; i < 250; ++i) text += "\xe2\x82\xac";  // euro sign, 3 bytes
  std::string preview = MakePreview(text);
  EXPECT_EQ(preview.size(), kPreviewCharsMax * 3);
}

TEST(PreviewTextTest, StripsTagsScriptsStylesCommentsAndDecodesReferences) {
  EXPECT_EQ(MakePreview(StripHtmlForPreview(
                "<style>.x{}</style><!-- hidden --><b>Tom</b>&nbsp;&amp;&#32;Jerry&#x21;"
                "<SCRIPT>evil()</SCRIPT> &bogus; <a href='x'>link</a>")),
            "Tom & Jerry! &bogus; link");
}

TEST(PreviewTextTest, BuildingFromPiecesGivesTheWholeTextsPreview) {
  std::string text = "  Gr\xc3\xbc\xc3\x9f \xc2\xa0\r\n e \xe2\x82\xac\t\t\xf0\x9f\x98\x80  end ";
  // Cut at every character boundary: pieces never split a UTF-8 sequence.
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    if (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) continue;
    PreviewBuilder builder;
    EXPECT_TRUE(builder.Append(std::string_view(text).substr(0, cut)));
    EXPECT_TRUE(builder.Append(std::string_view(text).substr(cut)));
    EXPECT_EQ(builder.preview(), MakePreview(text)) << "cut " << cut;
  }
}

TEST(PreviewTextTest, BuilderSaysWhenThePreviewIsFull) {
  PreviewBuilder builder;
  EXPECT_TRUE(builder.Append(std::string(kPreviewCharsMax - 1, 'x')));
  EXPECT_FALSE(builder.full());
  EXPECT_FALSE(builder.Append("yz"));
  EXPECT_TRUE(builder.full());
  EXPECT_FALSE(builder.Append("more"));
  EXPECT_EQ(builder.Take(), std::string(kPreviewCharsMax - 1, 'x') + "y");
}

TEST(PreviewTextTest, StrippingInPiecesGivesTheWholeResult) {
  std::string html =
      "<html><head><style>p{x:1}</style><!-- note --></head><body>Tom&nbsp;&amp;&#32;Jerry"
      "&#x21; &bogus; &toolongtobeareference; <SCRIPT>a<b</SCRIPT><p>caf\xc3\xa9 &lt;ok&gt;</p>"
      "<!-- unterminated";
  std::string whole = StripHtmlForPreview(html);
  for (size_t cut = 0; cut <= html.size(); ++cut) {
    if (cut < html.size() && (static_cast<unsigned char>(html[cut]) & 0xC0) == 0x80) continue;
    size_t consumed = 0;
    std::string first = StripHtmlSettledPrefix(std::string_view(html).substr(0, cut), consumed);
    ASSERT_LE(consumed, cut);
    EXPECT_EQ(first + StripHtmlForPreview(std::string_view(html).substr(consumed)), whole)
        << "cut " << cut;
  }
  // Markup closed before the end is settled; the open comment at the end is not.
  size_t consumed = 0;
  EXPECT_EQ(StripHtmlSettledPrefix("<b>Tom</b> &amp; <!-- open", consumed), " Tom  & ");
  EXPECT_EQ(consumed, 17u);
  EXPECT_EQ(StripHtmlSettledPrefix("Tom &am", consumed), "Tom ");
  EXPECT_EQ(consumed, 4u);
}

}  // namespace
}  // namespace lifeboat::mailbox
