#include "modules/webmail/html_sanitizer.h"

#include <gumbo.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <optional>
#include <vector>

#include "modules/ascii/ascii_case.h"

namespace lifeboat::webmail {
namespace {

// Elements rebuilt with their allowed attributes (children sanitized in turn).
constexpr std::array kKeptElements = {
    GUMBO_TAG_A,        GUMBO_TAG_ABBR,       GUMBO_TAG_ADDRESS, GUMBO_TAG_ARTICLE,
    GUMBO_TAG_ASIDE,    GUMBO_TAG_B,          GUMBO_TAG_BDI,     GUMBO_TAG_BDO,
    GUMBO_TAG_BIG,      GUMBO_TAG_BLOCKQUOTE, GUMBO_TAG_BR,      GUMBO_TAG_CAPTION,
    GUMBO_TAG_CENTER,   GUMBO_TAG_CITE,       GUMBO_TAG_CODE,    GUMBO_TAG_COL,
    GUMBO_TAG_COLGROUP, GUMBO_TAG_DD,         GUMBO_TAG_DEL,     GUMBO_TAG_DETAILS,
    GUMBO_TAG_DFN,      GUMBO_TAG_DIV,        GUMBO_TAG_DL,      GUMBO_TAG_DT,
    GUMBO_TAG_EM,       GUMBO_TAG_FIGCAPTION, GUMBO_TAG_FIGURE,  GUMBO_TAG_FONT,
    GUMBO_TAG_FOOTER,   GUMBO_TAG_H1,         GUMBO_TAG_H2,      GUMBO_TAG_H3,
    GUMBO_TAG_H4,       GUMBO_TAG_H5,         GUMBO_TAG_H6,      GUMBO_TAG_HEADER,
    GUMBO_TAG_HR,       GUMBO_TAG_I,          GUMBO_TAG_IMG,     GUMBO_TAG_INS,
    GUMBO_TAG_KBD,      GUMBO_TAG_LI,         GUMBO_TAG_MAIN,    GUMBO_TAG_MARK,
    GUMBO_TAG_NAV,      GUMBO_TAG_OL,         GUMBO_TAG_P,       GUMBO_TAG_PRE,
    GUMBO_TAG_Q,        GUMBO_TAG_S,          GUMBO_TAG_SAMP,    GUMBO_TAG_SECTION,
    GUMBO_TAG_SMALL,    GUMBO_TAG_SPAN,       GUMBO_TAG_STRIKE,  GUMBO_TAG_STRONG,
    GUMBO_TAG_SUB,      GUMBO_TAG_SUMMARY,    GUMBO_TAG_SUP,     GUMBO_TAG_TABLE,
    GUMBO_TAG_TBODY,    GUMBO_TAG_TD,         GUMBO_TAG_TFOOT,   GUMBO_TAG_TH,
    GUMBO_TAG_THEAD,    GUMBO_TAG_TIME,       GUMBO_TAG_TR,      GUMBO_TAG_TT,
    GUMBO_TAG_U,        GUMBO_TAG_UL,         GUMBO_TAG_WBR,
};

// Elements dropped with everything inside them: active content, resource loaders, document
// metadata, form controls (a <textarea> or <select> would show the raw text of a breakout).
// Any other element not kept (html, body, form, label, unknown tags...) is unwrapped: its
// children are sanitized and kept, the element itself is not.
constexpr std::array kDroppedSubtrees = {
    GUMBO_TAG_SCRIPT,    GUMBO_TAG_NOSCRIPT, GUMBO_TAG_TEMPLATE, GUMBO_TAG_IFRAME,
    GUMBO_TAG_FRAME,     GUMBO_TAG_FRAMESET, GUMBO_TAG_NOFRAMES, GUMBO_TAG_OBJECT,
    GUMBO_TAG_EMBED,     GUMBO_TAG_APPLET,   GUMBO_TAG_PARAM,    GUMBO_TAG_AUDIO,
    GUMBO_TAG_VIDEO,     GUMBO_TAG_SOURCE,   GUMBO_TAG_TRACK,    GUMBO_TAG_CANVAS,
    GUMBO_TAG_MAP,       GUMBO_TAG_AREA,     GUMBO_TAG_HEAD,     GUMBO_TAG_TITLE,
    GUMBO_TAG_META,      GUMBO_TAG_LINK,     GUMBO_TAG_BASE,     GUMBO_TAG_BASEFONT,
    GUMBO_TAG_BGSOUND,   GUMBO_TAG_INPUT,    GUMBO_TAG_BUTTON,   GUMBO_TAG_SELECT,
    GUMBO_TAG_OPTION,    GUMBO_TAG_OPTGROUP, GUMBO_TAG_DATALIST, GUMBO_TAG_TEXTAREA,
    GUMBO_TAG_KEYGEN,    GUMBO_TAG_OUTPUT,   GUMBO_TAG_MENUITEM, GUMBO_TAG_XMP,
    GUMBO_TAG_PLAINTEXT, GUMBO_TAG_NOEMBED,  GUMBO_TAG_ISINDEX,  GUMBO_TAG_IMAGE,
    GUMBO_TAG_MARQUEE,
};

// Attributes kept on any kept element (presentational HTML that mail clients rely on). href,
// src and style have their own checks below. No id or name (no fragment tricks), no event
// handlers, no form or resource attributes: what is not here is dropped.
constexpr std::array<std::string_view, 20> kKeptAttributes = {
    "align", "alt",    "bgcolor", "border", "cellpadding", "cellspacing", "clear",
    "color", "cols",   "colspan", "dir",    "face",        "height",      "hspace",
    "lang",  "nowrap", "rowspan", "size",   "title",       "valign",
};
constexpr std::array<std::string_view, 3> kKeptAttributesMore = {"vspace", "width", "start"};

// Inside CSS these spell a request, script, or a way to hide either from this check: url( and
// image-set( load, @import loads, expression( and behavior/-moz-binding run code in old engines,
// backslash escapes and comments can spell any of them ("u\72l(", "ur/**/l(" is not CSS, but
// "@im/**/port" is tokenized around), "<" could close a <style> element.
constexpr std::array<std::string_view, 12> kForbiddenCss = {
    "url(",         "image(",      "image-set(", "@import", "expression", "behavior",
    "-moz-binding", "javascript:", "\\",         "/*",      "<",          "&",
};

template <typename Array>
bool Contains(const Array& array, GumboTag tag) {
  return std::find(array.begin(), array.end(), tag) != array.end();
}

void AppendEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\0':
        break;
      default:
        out.push_back(c);
    }
  }
}

bool SafeCss(std::string_view css) {
  if (css.size() > kSanitizeCssBytesMax) return false;
  std::string lower = ascii::Lower(css);
  for (std::string_view token : kForbiddenCss) {
    if (lower.find(token) != std::string::npos) return false;
  }
  // Control characters (other than whitespace) are not CSS a mail needs.
  return std::none_of(lower.begin(), lower.end(), [](unsigned char c) {
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7f;
  });
}

// The URL as a browser would read its scheme: leading and trailing C0 controls and spaces
// stripped, tabs and newlines removed anywhere (WHATWG URL, basic URL parser), lower-cased.
std::string SchemeView(std::string_view url) {
  std::string cleaned;
  for (char c : url) {
    if (c == '\t' || c == '\n' || c == '\r') continue;
    cleaned.push_back(c);
  }
  size_t begin = 0;
  while (begin < cleaned.size() && static_cast<unsigned char>(cleaned[begin]) <= 0x20) ++begin;
  return ascii::Lower(std::string_view(cleaned).substr(begin));
}

bool SafeLink(std::string_view href) {
  std::string view = SchemeView(href);
  return view.starts_with("https://") || view.starts_with("http://") || view.starts_with("mailto:");
}

bool IsRasterDataUri(std::string_view src) {
  std::string view = SchemeView(src);
  for (std::string_view type :
       {"data:image/png;", "data:image/gif;", "data:image/jpeg;", "data:image/webp;"}) {
    if (view.starts_with(type)) {
      // Only base64 content: no quotes, spaces or markup that could end the attribute early.
      size_t comma = view.find(',');
      if (comma == std::string::npos || view.substr(type.size(), comma - type.size()) != "base64") {
        return false;
      }
      return std::all_of(view.begin() + comma + 1, view.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '+' || c == '/' || c == '=';
      });
    }
  }
  return false;
}

struct GumboOutputFree {
  void operator()(GumboOutput* output) const {
    gumbo_destroy_output(&kGumboDefaultOptions, output);
  }
};

class Rebuilder {
 public:
  explicit Rebuilder(const InlineImages& images) : images_(images) {}

  void Node(const GumboNode* node, int depth) {
    if (depth > kSanitizeDepthMax) return;
    switch (node->type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_WHITESPACE:
      case GUMBO_NODE_CDATA:
        AppendEscaped(body_, node->v.text.text);
        return;
      case GUMBO_NODE_DOCUMENT:
        Children(node->v.document.children, depth);
        return;
      case GUMBO_NODE_ELEMENT:
        Element(node, depth);
        return;
      case GUMBO_NODE_COMMENT:
      case GUMBO_NODE_TEMPLATE:
        return;
    }
  }

  std::string Document() const {
    // Our own defaults first; the mail's (checked) <style> rules after them.
    std::string out =
        "<!doctype html><html><head><meta charset=\"utf-8\">"
        "<style>body{margin:8px;font-family:system-ui,sans-serif;overflow-wrap:anywhere}"
        "img{max-width:100%;height:auto}</style>";
    for (const std::string& sheet : style_sheets_) out += "<style>" + sheet + "</style>";
    out += "</head><body>" + body_ + "</body></html>";
    return out;
  }

  size_t blocked() const { return blocked_; }

 private:
  void Children(const GumboVector& children, int depth) {
    for (unsigned i = 0; i < children.length; ++i) {
      Node(static_cast<const GumboNode*>(children.data[i]), depth + 1);
    }
  }

  void Element(const GumboNode* node, int depth) {
    const GumboElement& element = node->v.element;
    // SVG and MathML are foreign content with their own script and link semantics: dropped
    // whole (animate/set rewriting href, <use> fetching, foreignObject re-entering HTML).
    if (element.tag_namespace != GUMBO_NAMESPACE_HTML) {
      ++blocked_;
      return;
    }
    if (element.tag == GUMBO_TAG_STYLE) {
      KeepStyleSheet(node);
      return;
    }
    if (element.tag == GUMBO_TAG_LINK || element.tag == GUMBO_TAG_BASE ||
        element.tag == GUMBO_TAG_META) {
      ++blocked_;
      return;
    }
    if (Contains(kDroppedSubtrees, element.tag)) {
      // <head> holds <style> sheets we keep; the rest of it goes.
      if (element.tag == GUMBO_TAG_HEAD) Children(element.children, depth);
      return;
    }
    if (!Contains(kKeptElements, element.tag)) {
      Children(element.children, depth);
      return;
    }
    const char* name = gumbo_normalized_tagname(element.tag);
    if (element.tag == GUMBO_TAG_IMG) {
      std::optional<std::string> src = ImageSource(element);
      if (!src) return;  // no image we may show: nothing (its alt text would mislead less)
      body_ += "<img src=\"";
      AppendEscaped(body_, *src);
      body_ += "\"";
      Attributes(element);
      body_ += ">";
      return;
    }
    body_ += "<";
    body_ += name;
    Attributes(element);
    if (element.tag == GUMBO_TAG_A) LinkAttributes(element);
    body_ += ">";
    if (element.tag == GUMBO_TAG_BR || element.tag == GUMBO_TAG_HR ||
        element.tag == GUMBO_TAG_COL || element.tag == GUMBO_TAG_WBR) {
      return;  // void elements: no content, no end tag
    }
    Children(element.children, depth);
    body_ += "</";
    body_ += name;
    body_ += ">";
  }

  void Attributes(const GumboElement& element) {
    for (unsigned i = 0; i < element.attributes.length; ++i) {
      const auto* attribute = static_cast<const GumboAttribute*>(element.attributes.data[i]);
      if (attribute->attr_namespace != GUMBO_ATTR_NAMESPACE_NONE) continue;
      std::string_view name = attribute->name;  // gumbo lower-cases attribute names
      std::string_view value = attribute->value;
      bool kept = std::find(kKeptAttributes.begin(), kKeptAttributes.end(), name) !=
                      kKeptAttributes.end() ||
                  std::find(kKeptAttributesMore.begin(), kKeptAttributesMore.end(), name) !=
                      kKeptAttributesMore.end();
      if (name == "style") {
        if (!SafeCss(value)) {
          ++blocked_;
          continue;
        }
        kept = true;
      }
      if (!kept) continue;
      body_ += " ";
      body_ += name;
      body_ += "=\"";
      AppendEscaped(body_, value);
      body_ += "\"";
    }
  }

  void LinkAttributes(const GumboElement& element) {
    const GumboAttribute* href = gumbo_get_attribute(&element.attributes, "href");
    if (href == nullptr || !SafeLink(href->value)) return;
    body_ += " href=\"";
    AppendEscaped(body_, href->value);
    // A new tab, no referrer, no opener (the frame's sandbox lets popups escape it).
    body_ += "\" target=\"_blank\" rel=\"noopener noreferrer\"";
  }

  std::optional<std::string> ImageSource(const GumboElement& element) {
    const GumboAttribute* src = gumbo_get_attribute(&element.attributes, "src");
    if (src == nullptr) return std::nullopt;
    std::string view = SchemeView(src->value);
    if (view.starts_with("cid:")) {
      std::string id = std::string(
          std::string_view(src->value).substr(std::string_view(src->value).find(':') + 1));
      if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
      auto found = images_.find(id);
      if (found != images_.end()) return found->second;
      return std::nullopt;
    }
    if (IsRasterDataUri(src->value)) return std::string(src->value);
    ++blocked_;  // remote (a tracking pixel, most often) or another scheme
    return std::nullopt;
  }

  void KeepStyleSheet(const GumboNode* node) {
    std::string sheet;
    const GumboVector& children = node->v.element.children;
    for (unsigned i = 0; i < children.length; ++i) {
      const auto* child = static_cast<const GumboNode*>(children.data[i]);
      if (child->type == GUMBO_NODE_TEXT || child->type == GUMBO_NODE_WHITESPACE) {
        sheet += child->v.text.text;
      }
    }
    if (!SafeCss(sheet)) {
      ++blocked_;
      return;
    }
    style_sheets_.push_back(std::move(sheet));
  }

  const InlineImages& images_;
  std::string body_;
  std::vector<std::string> style_sheets_;
  size_t blocked_ = 0;
};

}  // namespace

std::string PlainTextDocument(std::string_view text) {
  std::string out =
      "<!doctype html><html><head><meta charset=\"utf-8\"><style>body{margin:8px}"
      "pre{white-space:pre-wrap;overflow-wrap:anywhere;font-family:system-ui,sans-serif}"
      "</style></head><body><pre>";
  AppendEscaped(out, text);
  out += "</pre></body></html>";
  return out;
}

SanitizedHtml SanitizeHtml(std::string_view html, const InlineImages& inline_images) {
  html = html.substr(0, std::min(html.size(), kSanitizeHtmlBytesMax));
  SanitizedHtml result;
  if (static_cast<size_t>(std::count(html.begin(), html.end(), '<')) > kSanitizeTagsMax) {
    result.html = PlainTextDocument(html);
    return result;
  }
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 100;  // we never read them: bound their memory
  std::unique_ptr<GumboOutput, GumboOutputFree> output(
      gumbo_parse_with_options(&options, html.data(), html.size()));
  Rebuilder rebuilder(inline_images);
  if (output != nullptr) rebuilder.Node(output->document, 0);
  result.html = rebuilder.Document();
  result.blocked_resources = rebuilder.blocked();
  return result;
}

}  // namespace lifeboat::webmail
