#include "modules/smtp/mail_parameters.h"

#include <cctype>
#include <string>
#include <vector>

#include "modules/ascii/ascii_case.h"

namespace lifeboat::smtp {
namespace {

// RFC 1870 3: size-value ::= 1*20DIGIT.
constexpr size_t kSizeValueDigitsMax = 20;

struct Parameter {
  std::string keyword;  // upper-cased: keywords are case-insensitive (RFC 5321 2.4)
  std::optional<std::string_view> value;
};

bool IsKeywordChar(unsigned char c, bool first) {
  return std::isalnum(c) || (!first && c == '-');
}

bool IsValueChar(unsigned char c) {
  return (c >= 33 && c <= 60) || (c >= 62 && c <= 126);
}

// Splits " A=1 B" into parameters; false on a malformed keyword or value.
bool SplitParameters(std::string_view text, std::vector<Parameter>* out) {
  if (!text.empty() && text[0] != ' ') return false;  // the path must be followed by SP
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view token = text.substr(i, end - i);
    i = end;
    size_t equals = token.find('=');
    std::string_view keyword = token.substr(0, equals);
    if (keyword.empty()) return false;
    Parameter parameter;
    for (size_t k = 0; k < keyword.size(); ++k) {
      unsigned char c = static_cast<unsigned char>(keyword[k]);
      if (!IsKeywordChar(c, k == 0)) return false;
      parameter.keyword += static_cast<char>(std::toupper(c));
    }
    if (equals != std::string_view::npos) {
      std::string_view value = token.substr(equals + 1);
      if (value.empty()) return false;
      for (unsigned char c : value) {
        if (!IsValueChar(c)) return false;
      }
      parameter.value = value;
    }
    out->push_back(std::move(parameter));
  }
  return true;
}

Reply Unsupported(std::string_view keyword) {
  return MakeReply(555, "5.5.4", "Unsupported option: " + std::string(keyword));
}

}  // namespace

bool ParseMailParameters(std::string_view text, bool esmtp, MailParameters* params, Reply* error) {
  std::vector<Parameter> parsed;
  if (!SplitParameters(text, &parsed)) {
    *error = MakeReply(501, "5.5.4", "Syntax: MAIL FROM:<address> [parameters]");
    return false;
  }
  bool seen_size = false, seen_body = false, seen_utf8 = false;
  for (const Parameter& parameter : parsed) {
    if (!esmtp) {
      *error = Unsupported(parameter.keyword);
      return false;
    }
    if (parameter.keyword == "SIZE") {
      std::string_view value = parameter.value.value_or("");
      bool digits = !value.empty() && value.size() <= kSizeValueDigitsMax;
      uint64_t size = 0;
      for (unsigned char c : value) {
        digits = digits && std::isdigit(c);
        // 20 digits can exceed 2^64: saturate, it is over any limit anyway.
        uint64_t next = size * 10 + (c - '0');
        size = (next / 10 == size) ? next : UINT64_MAX;
      }
      if (!digits || seen_size) {
        *error = MakeReply(501, "5.5.4", "Bad SIZE parameter syntax");
        return false;
      }
      seen_size = true;
      params->declared_size = size;
    } else if (parameter.keyword == "BODY") {
      std::string_view value = parameter.value.value_or("");
      if (seen_body ||
          !(ascii::EqualsIgnoreCase(value, "7BIT") || ascii::EqualsIgnoreCase(value, "8BITMIME"))) {
        // BINARYMIME (RFC 3030 3) is not advertised.
        *error = MakeReply(501, "5.5.4", "Bad BODY parameter: use 7BIT or 8BITMIME");
        return false;
      }
      seen_body = true;
      params->body_8bitmime = ascii::EqualsIgnoreCase(value, "8BITMIME");
    } else if (parameter.keyword == "SMTPUTF8") {
      if (parameter.value.has_value() || seen_utf8) {  // RFC 6531 3.4: no value
        *error = MakeReply(501, "5.5.4", "Bad SMTPUTF8 parameter syntax");
        return false;
      }
      seen_utf8 = true;
      params->smtputf8 = true;
    } else {
      *error = Unsupported(parameter.keyword);
      return false;
    }
  }
  return true;
}

bool ParseRcptParameters(std::string_view text, Reply* error) {
  std::vector<Parameter> parsed;
  if (!SplitParameters(text, &parsed)) {
    *error = MakeReply(501, "5.5.4", "Syntax: RCPT TO:<address>");
    return false;
  }
  if (!parsed.empty()) {
    *error = Unsupported(parsed.front().keyword);
    return false;
  }
  return true;
}

}  // namespace lifeboat::smtp
