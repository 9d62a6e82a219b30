#include "modules/smtp/content_decoder.h"

#include "appliance/env/check.h"

namespace lifeboat::smtp {

ContentSink::ContentSink(size_t text_line_bytes_max, uint64_t message_bytes_max,
                         std::string* content)
    : text_line_bytes_max_(text_line_bytes_max),
      message_bytes_max_(message_bytes_max),
      content_(content) {
  LB_CHECK(content_ != nullptr);
}

void ContentSink::Append(std::string_view text) {
  content_bytes_ += text.size();
  if (too_big_) return;
  if (content_bytes_ > message_bytes_max_) {
    too_big_ = true;
    content_->clear();
    content_->shrink_to_fit();
    return;
  }
  content_->append(text);
}

void ContentSink::CheckLineLength(size_t line_bytes) {
  if (line_bytes + 2 > text_line_bytes_max_) line_too_long_ = true;
}

size_t DataDecoder::Feed(std::string_view input) {
  LB_CHECK(state_ == State::kNeedMore);
  size_t i = 0;
  while (i < input.size()) {
    if (pending_cr_) {
      pending_cr_ = false;
      if (input[i] != '\n') {
        state_ = State::kBareCr;
        return i;
      }
      ++i;
      EndLine();
      if (state_ == State::kEnd) return i;
      continue;
    }
    if (line_start_) {
      line_start_ = false;
      if (input[i] == '.') {
        line_dot_ = true;
        line_bytes_ = 1;
        ++i;
        continue;
      }
    }
    size_t stop = input.find_first_of("\r\n", i);
    if (stop == std::string_view::npos) stop = input.size();
    Append(input.substr(i, stop - i));
    line_bytes_ += stop - i;
    i = stop;
    if (i == input.size()) break;
    if (input[i] == '\n') {
      state_ = State::kBareLf;
      return i;
    }
    pending_cr_ = true;
    ++i;
  }
  return i;
}

void DataDecoder::EndLine() {
  CheckLineLength(line_bytes_);
  if (line_dot_ && line_bytes_ == 1) {
    state_ = State::kEnd;  // CRLF "." CRLF
    return;
  }
  Append("\r\n");
  line_start_ = true;
  line_dot_ = false;
  line_bytes_ = 0;
}

void ChunkDecoder::Feed(std::string_view chunk_bytes) {
  Append(chunk_bytes);
  for (char c : chunk_bytes) {
    if (pending_cr_) {
      pending_cr_ = false;
      if (c != '\n') {
        bare_newline_ = true;
      } else {
        CheckLineLength(line_bytes_);
        line_bytes_ = 0;
        continue;
      }
    }
    if (c == '\r') {
      pending_cr_ = true;
    } else if (c == '\n') {
      bare_newline_ = true;
    } else {
      ++line_bytes_;
    }
  }
}

void ChunkDecoder::Finish() {
  if (pending_cr_) bare_newline_ = true;
  pending_cr_ = false;
  CheckLineLength(line_bytes_);
}

}  // namespace lifeboat::smtp
