#pragma once
// Journal intake (sans-I/O): mail from a configured journal source is history, not a new
// delivery. This decides which original message to file and where: Inbox of every local
// recipient, Sent of a local sender. The result goes into MailReceived (raw = original,
// source = MAIL_SOURCE_JOURNAL, deliveries), so the mailbox projection stays a pure function of
// the event.
//
// Formats:
//  (a) Exchange envelope journal reports. The report is multipart/mixed: a text part holding the
//      envelope, one field per line, and the original message attached unaltered as
//      message/rfc822 (Microsoft, "Journal reports in Exchange Server" / "Understanding Journal
//      Reports", Exchange 2007-2019 and Exchange Online). The envelope lines, per Microsoft's
//      ABNF for the Exchange 2007+ report body:
//          Sender: <smtp-address>
//          Subject: <subject>              (ignored: the original carries it)
//          Message-ID: <message-id>        (ignored: the original carries it)
//          On-Behalf-Of: <smtp-address>    (ignored: Sender is the mailbox that sent)
//          To: | Cc: | Bcc: | Recipient: <smtp-address>[, Expanded: <dl>][, Forwarded: <addr>]
//      "Expanded:" names the distribution group the recipient came through and "Forwarded:" the
//      address that was redirected to it: the recipient before the comma is who received it.
//      Exchange 2003 envelope reports list "Recipients: a@x, b@y" (comma separated, possibly
//      folded), accepted too. The ORIGINAL is filed, byte for byte, never the report.
//  (b) Postfix always_bcc / sender_bcc_maps / recipient_bcc_maps copies (postconf(5)): the
//      message itself, unchanged. Recipients come from its To and Cc headers plus the original
//      envelope recipients when the caller knows them (Bcc recipients appear only there); the
//      sender is the original envelope sender when given, else the From header.
//  A source configured as (a) that sends something without an attached message (a bounce, a
//  test mail) is handled as (b), with a problem noted: mail is never dropped.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/events.pb.h"

namespace lifeboat::mailbox {

// Envelope lines read from a journal report, and recipients considered per journal message.
inline constexpr size_t kJournalRecipientsMax = 10000;
// Decoded bytes of a report's envelope part that are read.
inline constexpr size_t kJournalEnvelopeBytesMax = 1024 * 1024;
// Top-level parts of a report examined.
inline constexpr size_t kJournalReportPartsMax = 16;

enum class JournalFormat {
  kExchangeEnvelopeReport,
  kBccCopy,
};

// What the directory says about one address.
struct AddressResolution {
  bool is_list = false;
  // One id for a mailbox; the members' mailbox ids for a list (expanded, nested lists included);
  // empty when the address is not local.
  std::vector<std::string> mailbox_ids;
};
using AddressResolver = std::function<AddressResolution(std::string_view address)>;

// The envelope a bcc copy was sent with, when the journal source passes it on (for example in
// a policy service or a header the operator configured).
struct OriginalEnvelope {
  std::string mail_from;
  std::vector<std::string> rcpt_to;
};

struct JournalIntake {
  JournalFormat format = JournalFormat::kBccCopy;  // the format actually applied
  std::string original;                            // the message to file (MailReceived.raw)
  // False when the attached original could not be cut out of the report and GMime re-serialized
  // it (the bytes, and so the SHA-256, may differ from the original).
  bool original_exact = true;
  std::string sender;                   // "" when none was found
  std::vector<std::string> recipients;  // addresses considered, in order, duplicates dropped
  std::vector<events::MailDelivery> deliveries;  // unique by (mailbox_id, folder)
  std::vector<std::string> problems;
};

// The original recipient a journal copy was addressed for, read from the copy's own envelope
// recipient, or nullopt. Postfix's always_bcc copy loses the original envelope recipients, so a
// recipient only in Bcc would be missing from the history; recipient_bcc_maps can keep them,
// one journal address per original recipient, encoded the way Postfix encodes VERP addresses
// (postconf(5) default_verp_delimiters "+="):
//     recipient_bcc_maps = regexp:/etc/postfix/lifeboat_journal
//     /^(.+)@(.+)$/  journal+${1}=${2}@lifeboat.example
// so "journal+bob=example.com@lifeboat.example" names bob@example.com: the local part after its
// first '+', with its last '=' read as '@'.
std::optional<std::string> DecodeJournalRecipient(std::string_view envelope_recipient);

// Never fails: what cannot be read is listed in problems and the message is still filed (with no
// deliveries when nobody local is involved). `envelope` may be null.
JournalIntake IntakeJournalMessage(std::string_view raw, JournalFormat format,
                                   const AddressResolver& resolver,
                                   const OriginalEnvelope* envelope = nullptr);

}  // namespace lifeboat::mailbox
