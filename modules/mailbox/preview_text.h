#pragma once
// Turns the first text part of a message into the one-line preview a message list shows.
// Pure string work, no GMime: the parser hands it UTF-8 text.

#include <cstddef>
#include <string>
#include <string_view>

namespace lifeboat::mailbox {

// Characters (Unicode code points) a preview keeps.
inline constexpr size_t kPreviewCharsMax = 200;

// Crude HTML to text for the preview only (display goes through the webmail sanitizer): drops
// <script>, <style> and comments with their content, turns every other tag into a space and
// decodes the common character references (&amp; &lt; &gt; &quot; &apos; &nbsp; &#N; &#xN;).
std::string StripHtmlForPreview(std::string_view html);

// Collapses every run of whitespace (ASCII and U+00A0) to one space, trims both ends and keeps the
// first kPreviewCharsMax code points. `text` must be valid UTF-8.
std::string MakePreview(std::string_view text);

}  // namespace lifeboat::mailbox
