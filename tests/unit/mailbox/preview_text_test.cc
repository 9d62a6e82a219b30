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

}  // namespace
}  // namespace lifeboat::mailbox
