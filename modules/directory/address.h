#pragma once
// Mail addresses as the directory holds them (mail, proxyAddresses, CSV columns).
//
// We accept the dot-atom form of RFC 5321 4.1.2 Mailbox ("local@domain") only: quoted local
// parts and address literals are legal SMTP but are never provisioned as mailboxes here, so a
// directory value using them is reported as malformed rather than half-supported.

#include <optional>
#include <string>
#include <string_view>

namespace lifeboat::directory {

// RFC 5321 4.5.3.1.1 and 4.5.3.1.2.
inline constexpr size_t kAddressLocalPartBytesMax = 64;
inline constexpr size_t kAddressDomainBytesMax = 255;

// The address with its domain lower-cased and surrounding blanks trimmed (the local part keeps
// its case as written), or nullopt when it is not a dot-atom Mailbox.
std::optional<std::string> NormalizeAddress(std::string_view raw);

// The key an address is indexed under: all lower-case. The local part is case-insensitive for
// the domains we host (RFC 5321 2.4 leaves that choice to the receiving domain).
std::string AddressKey(std::string_view address);

// The domain of a normalized address, lower-cased ("" when there is no '@').
std::string_view AddressDomain(std::string_view address);

}  // namespace lifeboat::directory
