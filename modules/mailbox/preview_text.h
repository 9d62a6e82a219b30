#pragma once
// Turns the first text part of a message into the one-line preview a message list shows.
// Pure string work, no GMime: the parser hands it UTF-8 text.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace lifeboat::mailbox {

// Characters (Unicode code points) a preview keeps.
inline constexpr size_t kPreviewCharsMax = 200;

// Crude HTML to text for the preview only (display goes through the webmail sanitizer): drops
// <script>, <style> and comments with their content, turns every other tag into a space and
// decodes the common character references (&amp; &lt; &gt; &quot; &apos; &nbsp; &#N; &#xN;).
std::string StripHtmlForPreview(std::string_view html);

// StripHtmlForPreview for HTML that arrives in pieces: strips the leading part of `html` that no
// later byte can change, stopping before markup or a character reference that runs into its end,
// and sets `consumed_bytes` to where it stopped. Resume there once more HTML has arrived; at the
// end, StripHtmlForPreview of what is left completes the result. `html` must end on a character
// boundary.
std::string StripHtmlSettledPrefix(std::string_view html, size_t& consumed_bytes);

// Collapses every run of whitespace (ASCII and U+00A0) to one space, trims both ends and keeps the
// first kPreviewCharsMax code points. `text` must be valid UTF-8.
std::string MakePreview(std::string_view text);

// MakePreview for text that arrives in pieces, so the reader can stop once the preview is full:
// appending the pieces of a text gives MakePreview of the whole text.
class PreviewBuilder {
 public:
  // `text` must be valid UTF-8 that ends on a character boundary. Returns false once the preview
  // is full: later text cannot change it.
  bool Append(std::string_view text);
  bool full() const { return chars_ >= kPreviewCharsMax; }
  const std::string& preview() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
  size_t chars_ = 0;  // code points in out_
  bool pending_space_ = false;
};

}  // namespace lifeboat::mailbox
