#pragma once
// Mail HTML made safe to show (issue 12 item 5): parsed by a real HTML5 parser (Debian's libgumbo,
// the WHATWG tree construction, so the tree we walk is the tree a browser would build) and
// rebuilt from an allow-list. Nothing from the mail is copied through as markup: every element,
// attribute and URL we emit was chosen here, and every text is escaped again.
//
// What the output can never hold (each class has mails in tests/integration/webmail/hostile/):
//   - script of any kind: <script>, event handler attributes, javascript:/vbscript:/data: links,
//     SVG and MathML (foreign content: <svg><animate>, <use>, <foreignObject>, <maction>),
//     <template>, <noscript> mutation tricks, <iframe>/<object>/<embed>/<applet>/<frame>;
//   - a request to another host: remote <img> (tracking pixels), srcset, background=, <link>
//     (prefetch, preconnect, stylesheets), <meta> (refresh), <base href>, CSS url(), @import,
//     image-set(), CSS escapes that would spell them, <form> actions, <video>/<audio> posters;
//   - a way out of the frame: form controls, <textarea>/<title>/<style> breakouts (gumbo parses
//     them as browsers do; we re-escape text).
// Images survive only as data: URIs of raster types (png, gif, jpeg, webp) or as cid: references
// to the message's own parts, rewritten to data: URIs (the frame's CSP allows img-src data:
// only). Links keep http, https and mailto targets and open in a new tab without a referrer.
//
// Pure function of its input; thread-safe (runs on a worker, off the loop).

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace lifeboat::webmail {

// HTML bytes sanitized at most; a longer body is cut (the cut tail is lost, the head is shown).
inline constexpr size_t kSanitizeHtmlBytesMax = 2 * 1024 * 1024;
// Markup openings ('<') in a body we parse as HTML. gumbo frees its tree recursively: a body of
// nothing but nested tags would recurse as deep as it nests. Past this, the body is shown as
// plain text (its tags escaped), which is still readable and bounded.
inline constexpr size_t kSanitizeTagsMax = 50'000;
// Element nesting we rebuild; deeper content is dropped (our own walk is recursive too).
inline constexpr int kSanitizeDepthMax = 256;
// Bytes of one style attribute or <style> element we keep; longer ones are dropped.
inline constexpr size_t kSanitizeCssBytesMax = 64 * 1024;

// cid: (RFC 2392, without "cid:" and angle brackets) -> a ready "data:image/png;base64,..." URI.
using InlineImages = std::map<std::string, std::string>;

struct SanitizedHtml {
  std::string html;              // a complete document: <!doctype html><html>...</html>
  size_t blocked_resources = 0;  // remote images, stylesheets, url() dropped (the UI says so)
};

// `html` is UTF-8 (the MIME layer converts charsets); invalid bytes are replaced by gumbo.
SanitizedHtml SanitizeHtml(std::string_view html, const InlineImages& inline_images);

// A plain text body as a document for the same frame: escaped, in <pre>.
std::string PlainTextDocument(std::string_view text);

}  // namespace lifeboat::webmail
