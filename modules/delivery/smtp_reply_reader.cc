#include "modules/delivery/smtp_reply_reader.h"

#include "modules/delivery/smtp_client_limits.h"

namespace lifeboat::delivery {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

std::string Printable(std::string_view line) {
  std::string shown;
  for (char c : line.substr(0, 40)) {
    auto byte = static_cast<unsigned char>(c);
    shown += (byte < 0x20 || byte >= 0x7f) ? '?' : c;
  }
  return shown;
}

}  // namespace

std::string ServerReply::Text() const {
  std::string text = std::to_string(code);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i == 0 && lines[i].empty()) continue;  // "354" alone
    text += i == 0 ? " " : " / ";
    text += lines[i];
  }
  return text;
}

Status ReplyReader::Feed(std::string_view bytes) {
  if (!failure_.ok()) return failure_;
  buffer_.append(bytes);
  size_t start = 0;
  while (true) {
    size_t end = buffer_.find('\n', start);
    if (end == std::string::npos) break;
    size_t line_end = end > start && buffer_[end - 1] == '\r' ? end - 1 : end;
    if (end + 1 - start > kReplyLineBytesMax) {
      failure_ = Status::InvalidArgument("reply line longer than " +
                                         std::to_string(kReplyLineBytesMax) + " bytes");
      return failure_;
    }
    failure_ = ParseLine(std::string_view(buffer_).substr(start, line_end - start));
    if (!failure_.ok()) return failure_;
    start = end + 1;
  }
  buffer_.erase(0, start);
  if (buffer_.size() > kReplyLineBytesMax) {
    failure_ = Status::InvalidArgument("reply line longer than " +
                                       std::to_string(kReplyLineBytesMax) + " bytes");
  }
  return failure_;
}

Status ReplyReader::ParseLine(std::string_view line) {
  if (line.size() < 3 || !IsDigit(line[0]) || !IsDigit(line[1]) || !IsDigit(line[2]) ||
      line[0] < '2' || line[0] > '5' || line[1] > '5' ||
      (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
    return Status::InvalidArgument("not an SMTP reply line: \"" + Printable(line) + "\"");
  }
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (!current_.lines.empty() && code != current_.code) {
    return Status::InvalidArgument("multiline reply changes its code: " +
                                   std::to_string(current_.code) + " then " + std::to_string(code));
  }
  if (current_.lines.size() == kReplyLinesMax) {
    return Status::InvalidArgument("reply longer than " + std::to_string(kReplyLinesMax) +
                                   " lines");
  }
  current_.code = code;
  current_.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
  if (line.size() == 3 || line[3] == ' ') {
    complete_.push_back(std::move(current_));
    current_ = ServerReply();
  }
  return Status::Ok();
}

std::optional<ServerReply> ReplyReader::Next() {
  if (complete_.empty()) return std::nullopt;
  ServerReply reply = std::move(complete_.front());
  complete_.pop_front();
  return reply;
}

}  // namespace lifeboat::delivery
