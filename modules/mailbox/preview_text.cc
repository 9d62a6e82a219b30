#include "modules/mailbox/preview_text.h"

#include <cstdint>
#include <optional>

namespace lifeboat::mailbox {
namespace {

// Longest character reference we try to decode ("&#x10FFFF;" is 10 bytes).
constexpr size_t kCharacterReferenceBytesMax = 10;

bool StartsWithIgnoreCase(std::string_view text, size_t at, std::string_view prefix) {
  if (text.size() - at < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = text[at + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

void AppendUtf8(uint32_t code_point, std::string& out) {
  if (code_point == 0 || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    code_point = 0xFFFD;
  }
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

std::optional<uint32_t> NamedReference(std::string_view name) {
  if (name == "amp") return '&';
  if (name == "lt") return '<';
  if (name == "gt") return '>';
  if (name == "quot") return '"';
  if (name == "apos") return '\'';
  if (name == "nbsp") return 0xA0;
  return std::nullopt;
}

std::optional<uint32_t> NumericReference(std::string_view digits) {
  int base = 10;
  if (!digits.empty() && (digits[0] == 'x' || digits[0] == 'X')) {
    base = 16;
    digits.remove_prefix(1);
  }
  if (digits.empty()) return std::nullopt;
  uint32_t value = 0;
  for (char c : digits) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    value = value * base + static_cast<uint32_t>(digit);
    if (value > 0x10FFFF) return std::nullopt;
  }
  return value;
}

// Decodes the character reference at html[at] == '&'. Returns the bytes consumed, 0 if none.
// `settled` is false when the answer depends on bytes past the end of `html`.
size_t DecodeReference(std::string_view html, size_t at, std::string& out, bool& settled) {
  // A reference longer than kCharacterReferenceBytesMax is not one: look no further for its ';'.
  std::string_view window = html.substr(at, kCharacterReferenceBytesMax + 1);
  size_t semicolon = window.find(';');
  if (semicolon == std::string_view::npos) {
    settled = window.size() == kCharacterReferenceBytesMax + 1;
    return 0;
  }
  std::string_view body = window.substr(1, semicolon - 1);
  std::optional<uint32_t> code_point =
      (!body.empty() && body[0] == '#') ? NumericReference(body.substr(1)) : NamedReference(body);
  if (!code_point) return 0;
  AppendUtf8(*code_point, out);
  return semicolon + 1;
}

// Skips from html[at] == '<' past the element, returning the index after it. `settled` is false
// when the answer depends on bytes past the end of `html`.
size_t SkipMarkup(std::string_view html, size_t at, bool& settled) {
  constexpr std::string_view kCommentOpen = "<!--";
  if (html.size() - at < kCommentOpen.size()) settled = false;
  if (html.compare(at, kCommentOpen.size(), kCommentOpen) == 0) {
    size_t end = html.find("-->", at + kCommentOpen.size());
    if (end == std::string_view::npos) settled = false;
    return end == std::string_view::npos ? html.size() : end + 3;
  }
  for (std::string_view element : {std::string_view("script"), std::string_view("style")}) {
    if (html.size() - (at + 1) < element.size()) settled = false;
    if (StartsWithIgnoreCase(html, at + 1, element)) {
      std::string closing = "</" + std::string(element);
      for (size_t search = at + 1; search < html.size(); ++search) {
        if (html[search] == '<' && StartsWithIgnoreCase(html, search, closing)) {
          size_t end = html.find('>', search);
          if (end == std::string_view::npos) settled = false;
          return end == std::string_view::npos ? html.size() : end + 1;
        }
      }
      settled = false;
      return html.size();
    }
  }
  size_t end = html.find('>', at);
  if (end == std::string_view::npos) settled = false;
  return end == std::string_view::npos ? html.size() : end + 1;
}

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// StripHtmlForPreview; when `stop_unsettled`, stops before the first step whose result depends
// on bytes past the end of `html`. Sets `consumed_bytes` to where it stopped.
std::string StripHtml(std::string_view html, bool stop_unsettled, size_t& consumed_bytes) {
  std::string out;
  out.reserve(html.size() / 2);
  size_t at = 0;
  while (at < html.size()) {
    char c = html[at];
    bool settled = true;
    if (c == '<') {
      size_t next = SkipMarkup(html, at, settled);
      if (stop_unsettled && !settled) break;
      at = next;
      out.push_back(' ');
    } else if (c == '&') {
      size_t old_size = out.size();
      size_t consumed = DecodeReference(html, at, out, settled);
      if (stop_unsettled && !settled) {
        out.resize(old_size);
        break;
      }
      if (consumed == 0) {
        out.push_back('&');
        consumed = 1;
      }
      at += consumed;
    } else {
      out.push_back(c);
      ++at;
    }
  }
  consumed_bytes = at;
  return out;
}

}  // namespace

std::string StripHtmlForPreview(std::string_view html) {
  size_t consumed_bytes = 0;
  return StripHtml(html, /*stop_unsettled=*/false, consumed_bytes);
}

std::string StripHtmlSettledPrefix(std::string_view html, size_t& consumed_bytes) {
  return StripHtml(html, /*stop_unsettled=*/true, consumed_bytes);
}

bool PreviewBuilder::Append(std::string_view text) {
  size_t at = 0;
  while (at < text.size() && chars_ < kPreviewCharsMax) {
    unsigned char c = static_cast<unsigned char>(text[at]);
    bool is_nbsp =
        c == 0xC2 && at + 1 < text.size() && static_cast<unsigned char>(text[at + 1]) == 0xA0;
    if (IsAsciiSpace(static_cast<char>(c)) || is_nbsp) {
      pending_space_ = !out_.empty();
      at += is_nbsp ? 2 : 1;
      continue;
    }
    if (pending_space_) {
      out_.push_back(' ');
      ++chars_;
      pending_space_ = false;
      if (chars_ == kPreviewCharsMax) break;
    }
    // Copy one whole UTF-8 sequence: the lead byte and its continuation bytes.
    size_t end = at + 1;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
    out_.append(text.substr(at, end - at));
    ++chars_;
    at = end;
  }
  return !full();
}

std::string MakePreview(std::string_view text) {
  PreviewBuilder builder;
  builder.Append(text);
  return builder.Take();
}

}  // namespace lifeboat::mailbox
