#include "modules/mailbox/journal.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "modules/ascii/ascii_case.h"
#include "modules/mailbox/gmime_support.h"
#include "modules/mailbox/mailbox_keys.h"
#include "modules/mailbox/message_parser.h"
#include "modules/mailbox/mime_bytes.h"

namespace lifeboat::mailbox {
namespace {

using internal::GObjectPtr;

std::string_view Trim(std::string_view text) {
  while (!text.empty() && g_ascii_isspace(text.front())) text.remove_prefix(1);
  while (!text.empty() && g_ascii_isspace(text.back())) text.remove_suffix(1);
  return text;
}

// "<a@x>" and "a@x" name the same address.
std::string_view StripAngles(std::string_view address) {
  address = Trim(address);
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>') {
    address = Trim(address.substr(1, address.size() - 2));
  }
  return address;
}

// Recipients in order, each address once (compared case-insensitively), at most
// kJournalRecipientsMax.
class RecipientList {
 public:
  explicit RecipientList(JournalIntake& intake) : intake_(intake) {}
  void Add(std::string_view address) {
    address = StripAngles(address);
    if (address.empty()) return;
    if (intake_.recipients.size() == kJournalRecipientsMax) {
      if (!limit_noted_) intake_.problems.push_back("recipient limit reached");
      limit_noted_ = true;
      return;
    }
    if (seen_.insert(ascii::Lower(address)).second) intake_.recipients.emplace_back(address);
  }

 private:
  JournalIntake& intake_;
  std::set<std::string> seen_;
  bool limit_noted_ = false;
};

// The envelope part, one field per line. Folded lines (Exchange 2003 "Recipients:") are joined.
std::vector<std::pair<std::string, std::string>> EnvelopeFields(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> fields;
  size_t at = 0;
  while (at < text.size() && fields.size() < kJournalRecipientsMax) {
    size_t end = text.find('\n', at);
    std::string_view line = text.substr(at, end == std::string_view::npos ? text.npos : end - at);
    at = end == std::string_view::npos ? text.size() : end + 1;
    bool continuation = !line.empty() && (line.front() == ' ' || line.front() == '\t');
    if (continuation && !fields.empty()) {
      fields.back().second += " ";
      fields.back().second += Trim(line);
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    fields.emplace_back(ascii::Lower(Trim(line.substr(0, colon))), Trim(line.substr(colon + 1)));
  }
  return fields;
}

void ReadReportEnvelope(std::string_view text, JournalIntake& intake, RecipientList& recipients) {
  for (const auto& [name, value] : EnvelopeFields(text)) {
    if (name == "sender") {
      if (intake.sender.empty()) intake.sender = std::string(StripAngles(value));
    } else if (name == "to" || name == "cc" || name == "bcc" || name == "recipient") {
      // "member@x, Expanded: dl@x" / "fwd@x, Forwarded: user@x": the first address received it.
      std::string_view first = std::string_view(value).substr(0, value.find(','));
      recipients.Add(first);
    } else if (name == "recipients") {
      std::string_view list = value;
      while (!list.empty()) {
        size_t comma = list.find(',');
        recipients.Add(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      }
    }
  }
  if (intake.sender.empty() && intake.recipients.empty()) {
    intake.problems.push_back("journal report envelope names no sender and no recipient");
  }
}

bool IsIdentityEncoding(const std::optional<std::string>& encoding) {
  if (!encoding) return true;
  std::string lower = ascii::Lower(*encoding);
  return lower.empty() || lower == "7bit" || lower == "8bit" || lower == "binary";
}

// The attached original's bytes exactly as they stand in the report, when they can be cut out.
std::optional<std::string_view> ExactAttachedMessage(std::string_view raw,
                                                     std::string_view boundary, int index) {
  std::optional<size_t> body = BodyOffset(raw);
  if (!body) return std::nullopt;
  std::vector<std::string_view> parts =
      MultipartBodyParts(raw.substr(*body), boundary, kJournalReportPartsMax);
  if (index < 0 || static_cast<size_t>(index) >= parts.size()) return std::nullopt;
  std::string_view part = parts[static_cast<size_t>(index)];
  std::optional<size_t> content = BodyOffset(part);
  if (!content) return std::nullopt;
  std::string_view headers = part.substr(0, *content);
  std::optional<std::string> type = HeaderFieldValue(headers, "Content-Type");
  if (!type || !ascii::Lower(*type).starts_with("message/rfc822")) return std::nullopt;
  if (!IsIdentityEncoding(HeaderFieldValue(headers, "Content-Transfer-Encoding"))) {
    return std::nullopt;  // RFC 2046 5.2.1 forbids it, but it happens: GMime decodes it instead
  }
  return part.substr(*content);
}

bool IsEncodedMessage(GMimeObject* entity) {
  if (!GMIME_IS_PART(entity)) return false;
  GMimeContentType* type = g_mime_object_get_content_type(entity);
  return type != nullptr && g_mime_content_type_is_type(type, "message", "rfc822");
}

// Fills intake from an Exchange envelope report. False when `raw` is not one.
bool TakeExchangeReport(std::string_view raw, JournalIntake& intake, RecipientList& recipients) {
  internal::ParserOptionsPtr options = internal::LenientParserOptions();
  GObjectPtr<GMimeMessage> report = internal::ParseMessage(raw, options.get());
  if (report == nullptr) return false;
  GMimeObject* top = g_mime_message_get_mime_part(report.get());
  if (top == nullptr || !GMIME_IS_MULTIPART(top)) return false;
  GMimeMultipart* multipart = GMIME_MULTIPART(top);
  int count = std::min<int>(g_mime_multipart_get_count(multipart), kJournalReportPartsMax);
  GMimePart* envelope = nullptr;
  int original_index = -1;
  for (int i = 0; i < count; ++i) {
    GMimeObject* child = g_mime_multipart_get_part(multipart, i);
    if (envelope == nullptr && GMIME_IS_PART(child)) {
      GMimeContentType* type = g_mime_object_get_content_type(child);
      if (type != nullptr && g_mime_content_type_is_type(type, "text", "plain")) {
        envelope = GMIME_PART(child);
      }
    }
    // GMime parses an attached message as a GMimeMessagePart, except when it carries a
    // Content-Transfer-Encoding other than 7bit/8bit/binary: then it is a plain leaf part.
    if (original_index < 0 && (GMIME_IS_MESSAGE_PART(child) || IsEncodedMessage(child))) {
      original_index = i;
    }
  }
  if (envelope == nullptr || original_index < 0) return false;

  ReadReportEnvelope(internal::DecodeTextPart(envelope, kJournalEnvelopeBytesMax), intake,
                     recipients);
  const char* boundary = g_mime_multipart_get_boundary(multipart);
  std::optional<std::string_view> exact =
      ExactAttachedMessage(raw, internal::StringOrEmpty(boundary), original_index);
  GMimeObject* attached = g_mime_multipart_get_part(multipart, original_index);
  if (exact) {
    intake.original = std::string(*exact);
  } else if (GMIME_IS_PART(attached)) {
    // Undoing the transfer encoding gives back the attached message's own bytes.
    intake.original = internal::DecodePartBytes(GMIME_PART(attached), raw.size());
    intake.problems.push_back("attached original was transfer-encoded (RFC 2046 5.2.1): decoded");
  } else {
    GMimeMessage* original = g_mime_message_part_get_message(GMIME_MESSAGE_PART(attached));
    char* serialized =
        original == nullptr ? nullptr : g_mime_object_to_string(GMIME_OBJECT(original), nullptr);
    intake.original = internal::StringOrEmpty(serialized);
    g_free(serialized);
    intake.original_exact = false;
    intake.problems.push_back("attached original re-serialized: its bytes could not be cut out");
  }
  intake.format = JournalFormat::kExchangeEnvelopeReport;
  return true;
}

void TakeBccCopy(std::string_view raw, const OriginalEnvelope* envelope, JournalIntake& intake,
                 RecipientList& recipients) {
  intake.format = JournalFormat::kBccCopy;
  intake.original = std::string(raw);
  MessageMetadata metadata = ParseMessageMetadata(raw, 0);
  if (envelope != nullptr && !envelope->mail_from.empty()) {
    intake.sender = std::string(StripAngles(envelope->mail_from));
  } else if (!metadata.from().empty()) {
    intake.sender = metadata.from(0).address();
  }
  for (const Address& address : metadata.to()) recipients.Add(address.address());
  for (const Address& address : metadata.cc()) recipients.Add(address.address());
  if (envelope != nullptr) {
    for (const std::string& address : envelope->rcpt_to) recipients.Add(address);
  }
}

void AddDeliveries(const std::vector<std::string>& mailbox_ids, std::string_view folder,
                   std::set<std::pair<std::string, std::string>>& seen, JournalIntake& intake) {
  for (const std::string& mailbox_id : mailbox_ids) {
    if (mailbox_id.empty() || !seen.emplace(mailbox_id, folder).second) continue;
    events::MailDelivery& delivery = intake.deliveries.emplace_back();
    delivery.set_mailbox_id(mailbox_id);
    delivery.set_folder(std::string(folder));
  }
}

}  // namespace

std::optional<std::string> DecodeJournalRecipient(std::string_view address) {
  address = StripAngles(address);
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view local = address.substr(0, at);
  const size_t plus = local.find('+');
  if (plus == std::string_view::npos) return std::nullopt;
  std::string_view encoded = local.substr(plus + 1);
  const size_t equals = encoded.rfind('=');
  // Both halves must be there: "journal+=x" or "journal+bob=" name nobody.
  if (equals == std::string_view::npos || equals == 0 || equals + 1 == encoded.size()) {
    return std::nullopt;
  }
  return std::string(encoded.substr(0, equals)) + "@" + std::string(encoded.substr(equals + 1));
}

JournalIntake IntakeJournalMessage(std::string_view raw, JournalFormat format,
                                   const AddressResolver& resolver,
                                   const OriginalEnvelope* envelope) {
  JournalIntake intake;
  RecipientList recipients(intake);
  bool taken = false;
  if (format == JournalFormat::kExchangeEnvelopeReport) {
    taken = TakeExchangeReport(raw, intake, recipients);
    if (!taken) {
      intake.problems.push_back("not an Exchange journal report: filed as the message itself");
    }
  }
  if (!taken) TakeBccCopy(raw, envelope, intake, recipients);

  std::set<std::pair<std::string, std::string>> seen;
  if (!intake.sender.empty()) {
    AddressResolution sender = resolver(intake.sender);
    // A list does not send mail: its members' Sent folders are not theirs to fill.
    if (!sender.is_list) AddDeliveries(sender.mailbox_ids, kSentFolder, seen, intake);
  }
  for (const std::string& recipient : intake.recipients) {
    AddDeliveries(resolver(recipient).mailbox_ids, kInboxFolder, seen, intake);
  }
  return intake;
}

}  // namespace lifeboat::mailbox
