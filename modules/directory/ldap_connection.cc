#include "modules/directory/ldap_connection.h"

#include <ldap.h>
#include <sys/time.h>

#include <cstdlib>
#include <utility>

#include "modules/ascii/ascii_case.h"

namespace lifeboat::directory {
namespace {

timeval ToTimeval(Duration d) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return timeval{static_cast<time_t>(micros / 1'000'000),
                 static_cast<suseconds_t>(micros % 1'000'000)};
}

std::string Diagnostic(LDAP* ld) {
  char* message = nullptr;
  ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &message);
  std::string text = message != nullptr ? message : "";
  if (message != nullptr) ldap_memfree(message);
  return text;
}

// Server unreachable, gone or too slow: worth trying another server (and again later).
bool IsConnectionError(int rc) {
  return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT ||
         rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
}

Status LdapError(LDAP* ld, int rc, const std::string& what) {
  std::string message = what + ": " + ldap_err2string(rc);
  std::string diagnostic = ld != nullptr ? Diagnostic(ld) : "";
  if (!diagnostic.empty()) message += " (" + diagnostic + ")";
  if (IsConnectionError(rc)) return Status::Unavailable(std::move(message));
  return Status::FailedPrecondition(std::move(message));
}

struct AttributeList {
  explicit AttributeList(const std::vector<std::string>& names) {
    for (const std::string& name : names) pointers.push_back(const_cast<char*>(name.c_str()));
    pointers.push_back(nullptr);
  }
  char** get() { return pointers.data(); }
  std::vector<char*> pointers;
};

int ScopeOf(LdapScope scope) {
  return scope == LdapScope::kBase ? LDAP_SCOPE_BASE : LDAP_SCOPE_SUBTREE;
}

// Attribute names longer than this are lower-cased on the heap (AD's longest are ~40 bytes).
constexpr size_t kAttributeNameBytesMax = 64;

// Walks each entry's BER once (ldap_get_values_len would rescan the entry per attribute) and
// appends the entries to `entries` (no per-message vector: a full sync parses one message per
// entry).
void ParseEntries(LDAP* ld, LDAPMessage* result, std::vector<LdapEntry>& entries) {
  for (LDAPMessage* message = ldap_first_entry(ld, result); message != nullptr;
       message = ldap_next_entry(ld, message)) {
    LdapEntry& entry = entries.emplace_back();
    BerElement* ber = nullptr;
    berval dn{0, nullptr};
    if (ldap_get_dn_ber(ld, message, &ber, &dn) != LDAP_SUCCESS) {
      if (ber != nullptr) ber_free(ber, 0);
      entries.pop_back();
      continue;
    }
    entry.dn.assign(dn.bv_val, dn.bv_len);
    berval name{0, nullptr};
    berval* values = nullptr;
    while (ldap_get_attribute_ber(ld, message, ber, &name, &values) == LDAP_SUCCESS &&
           name.bv_val != nullptr) {
      // Lower-cased on the stack: no allocation for a name that is already there.
      char lowered[kAttributeNameBytesMax];
      std::string_view raw(name.bv_val, name.bv_len);
      std::string long_name;
      std::string_view key;
      if (raw.size() <= sizeof lowered) {
        for (size_t i = 0; i < raw.size(); ++i) {
          char c = raw[i];
          lowered[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        }
        key = std::string_view(lowered, raw.size());
      } else {
        long_name = ascii::Lower(raw);
        key = long_name;
      }
      std::vector<std::string>& slot = entry.attributes[key];
      for (int i = 0; values != nullptr && values[i].bv_val != nullptr; ++i) {
        slot.emplace_back(values[i].bv_val, values[i].bv_len);
      }
      if (values != nullptr) ber_memfree(values);
      values = nullptr;
    }
    if (ber != nullptr) ber_free(ber, 0);
  }
}

// The result code of a finished search, with its server message.
Status CheckResult(LDAP* ld, LDAPMessage* result, LDAPControl*** controls,
                   const std::string& what) {
  int code = LDAP_SUCCESS;
  char* error_message = nullptr;
  int rc = ldap_parse_result(ld, result, &code, nullptr, &error_message, nullptr, controls, 0);
  std::string server_message = error_message != nullptr ? error_message : "";
  if (error_message != nullptr) ldap_memfree(error_message);
  if (rc != LDAP_SUCCESS) return LdapError(ld, rc, what);
  if (code != LDAP_SUCCESS) {
    std::string message = what + ": " + ldap_err2string(code);
    if (!server_message.empty()) message += " (" + server_message + ")";
    return IsConnectionError(code) ? Status::Unavailable(message)
                                   : Status::FailedPrecondition(message);
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<LdapConnection>> LdapConnection::Open(const LdapConnectOptions& options) {
  bool ldaps = options.uri.starts_with("ldaps://");
  bool ldap = options.uri.starts_with("ldap://");
  if (!ldaps && !ldap)
    return Status::InvalidArgument("LDAP URI " + options.uri + " is not ldap(s)://");
  if (ldap && !options.start_tls && !options.allow_plaintext) {
    return Status::InvalidArgument("LDAP URI " + options.uri +
                                   ": plaintext refused (use ldaps:// or StartTLS)");
  }
  LDAP* ld = nullptr;
  int rc = ldap_initialize(&ld, options.uri.c_str());
  if (rc != LDAP_SUCCESS)
    return Status::InvalidArgument("LDAP URI " + options.uri + ": " + ldap_err2string(rc));
  std::unique_ptr<LdapConnection> connection(
      new LdapConnection(ld, options.uri, options.operation_timeout));
  int version = LDAP_VERSION3;
  ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  timeval network = ToTimeval(options.network_timeout);
  timeval operation = ToTimeval(options.operation_timeout);
  ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &network);
  ldap_set_option(ld, LDAP_OPT_TIMEOUT, &operation);
  if (ldaps || options.start_tls) {
    int demand = LDAP_OPT_X_TLS_DEMAND;
    ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
    if (!options.ca_file.empty()) {
      ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, options.ca_file.c_str());
    }
    int is_server = 0;  // a fresh client TLS context carrying the options above
    rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server);
    if (rc != LDAP_SUCCESS) return LdapError(ld, rc, options.uri + ": TLS context");
  }
  if (options.start_tls && ldap) {
    rc = ldap_start_tls_s(ld, nullptr, nullptr);
    if (rc != LDAP_SUCCESS) return LdapError(ld, rc, options.uri + ": StartTLS");
  }
  berval credentials{static_cast<ber_len_t>(options.password.size()),
                     const_cast<char*>(options.password.data())};
  rc = ldap_sasl_bind_s(ld, options.bind_dn.c_str(), LDAP_SASL_SIMPLE, &credentials, nullptr,
                        nullptr, nullptr);
  if (rc != LDAP_SUCCESS) return LdapError(ld, rc, options.uri + ": bind as " + options.bind_dn);
  return connection;
}

LdapConnection::~LdapConnection() {
  if (handle_ != nullptr) ldap_unbind_ext_s(handle_, nullptr, nullptr);
}

Result<std::vector<LdapEntry>> LdapConnection::PagedSearch(
    const std::string& base, LdapScope scope, const std::string& filter,
    const std::vector<std::string>& attributes, int page_size) {
  AttributeList attrs(attributes);
  std::vector<LdapEntry> all;
  berval cookie{0, nullptr};
  do {
    LDAPControl* page = nullptr;
    int rc = ldap_create_page_control(handle_, page_size, &cookie, 1, &page);
    if (cookie.bv_val != nullptr) ber_memfree(cookie.bv_val);
    cookie = berval{0, nullptr};
    if (rc != LDAP_SUCCESS) return LdapError(handle_, rc, "paged results control");
    Status status = SearchOnePage(base, scope, filter, attrs.get(), page, all, cookie);
    ldap_control_free(page);
    if (status.ok() && all.size() > kLdapSyncEntriesMax) {
      status = Status::ResourceExhausted("search " + base + ": more than " +
                                         std::to_string(kLdapSyncEntriesMax) + " entries");
    }
    if (!status.ok()) {
      if (cookie.bv_val != nullptr) ber_memfree(cookie.bv_val);
      return status;
    }
  } while (cookie.bv_len > 0);
  if (cookie.bv_val != nullptr) ber_memfree(cookie.bv_val);
  for (LdapEntry& entry : all) LB_RETURN_IF_ERROR(CompleteRanges(entry));
  return all;
}

// One page, read message by message as the server streams it (ldap_result with LDAP_MSG_ONE),
// so parsing overlaps the server's work instead of waiting for the whole page.
Status LdapConnection::SearchOnePage(const std::string& base, LdapScope scope,
                                     const std::string& filter, char** attributes,
                                     LDAPControl* page, std::vector<LdapEntry>& out,
                                     berval& cookie) {
  timeval timeout = ToTimeval(operation_timeout_);
  LDAPControl* extended = nullptr;
  if (extended_dn_) {
    int rc = ldap_create_extended_dn_control(handle_, 1, &extended);
    if (rc != LDAP_SUCCESS) return LdapError(handle_, rc, "extended DN control");
  }
  LDAPControl* controls[] = {page, extended, nullptr};
  int message_id = 0;
  int rc = ldap_search_ext(handle_, base.c_str(), ScopeOf(scope), filter.c_str(), attributes, 0,
                           controls, nullptr, &timeout, LDAP_NO_LIMIT, &message_id);
  if (extended != nullptr) ldap_control_free(extended);
  if (rc != LDAP_SUCCESS) return LdapError(handle_, rc, "search " + base);
  for (;;) {
    LDAPMessage* message = nullptr;
    rc = ldap_result(handle_, message_id, LDAP_MSG_ONE, &timeout, &message);
    if (rc <= 0) {
      if (message != nullptr) ldap_msgfree(message);
      if (rc == 0) {
        ldap_abandon_ext(handle_, message_id, nullptr, nullptr);
        return Status::Unavailable("search " + base + ": no answer within the timeout");
      }
      int error = LDAP_OTHER;
      ldap_get_option(handle_, LDAP_OPT_RESULT_CODE, &error);
      return LdapError(handle_, error, "search " + base);
    }
    if (rc == LDAP_RES_SEARCH_ENTRY) {
      ParseEntries(handle_, message, out);
      ldap_msgfree(message);
      continue;
    }
    if (rc != LDAP_RES_SEARCH_RESULT) {  // referrals and intermediate responses: not followed
      ldap_msgfree(message);
      continue;
    }
    LDAPControl** returned = nullptr;
    Status status = CheckResult(handle_, message, &returned, "search " + base);
    if (status.ok()) {
      LDAPControl* response = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, returned, nullptr);
      ber_int_t estimate = 0;
      if (response != nullptr) {
        ldap_parse_pageresponse_control(handle_, response, &estimate, &cookie);
      }
    }
    if (returned != nullptr) ldap_controls_free(returned);
    ldap_msgfree(message);
    return status;
  }
}

Result<std::optional<LdapEntry>> LdapConnection::Read(const std::string& dn,
                                                      const std::vector<std::string>& attributes) {
  AttributeList attrs(attributes);
  timeval timeout = ToTimeval(operation_timeout_);
  LDAPMessage* result = nullptr;
  LDAPControl* extended = nullptr;
  if (extended_dn_ && !dn.empty()) {
    int rc = ldap_create_extended_dn_control(handle_, 1, &extended);
    if (rc != LDAP_SUCCESS) return LdapError(handle_, rc, "extended DN control");
  }
  LDAPControl* controls[] = {extended, nullptr};
  int rc = ldap_search_ext_s(handle_, dn.c_str(), LDAP_SCOPE_BASE, "(objectClass=*)", attrs.get(),
                             0, controls, nullptr, &timeout, LDAP_NO_LIMIT, &result);
  if (extended != nullptr) ldap_control_free(extended);
  if (result == nullptr) return LdapError(handle_, rc, "read " + dn);
  if (rc == LDAP_NO_SUCH_OBJECT) {
    ldap_msgfree(result);
    return std::optional<LdapEntry>();
  }
  Status status = CheckResult(handle_, result, nullptr, "read " + dn);
  std::optional<LdapEntry> entry;
  if (status.ok()) {
    std::vector<LdapEntry> entries;
    ParseEntries(handle_, result, entries);
    if (!entries.empty()) entry = std::move(entries.front());
  }
  ldap_msgfree(result);
  if (!status.ok()) return status;
  if (entry) LB_RETURN_IF_ERROR(CompleteRanges(*entry));
  return entry;
}

// "member;range=0-1499" -> "member", following with "member;range=1500-*" reads until the
// server answers a range ending in '*' (MS-ADTS 3.1.1.3.1.3.3).
Status LdapConnection::CompleteRanges(LdapEntry& entry) {
  std::vector<std::string> ranged;
  for (const auto& [name, values] : entry.attributes) {
    if (name.find(";range=") != std::string::npos) ranged.push_back(name);
  }
  for (std::string name : ranged) {
    std::string base_name = name.substr(0, name.find(';'));
    for (size_t reads = 0;; ++reads) {
      std::vector<std::string> values = std::move(entry.attributes[name]);
      entry.attributes.erase(name);
      for (std::string& value : values) entry.attributes[base_name].push_back(std::move(value));
      std::string range = name.substr(name.find(";range=") + 7);
      size_t dash = range.find('-');
      if (dash == std::string::npos || range.substr(dash + 1) == "*") break;
      if (reads >= kLdapRangedReadsMax) {
        return Status::ResourceExhausted("ranged read of " + base_name + " on " + entry.dn);
      }
      unsigned long high = std::strtoul(range.substr(dash + 1).c_str(), nullptr, 10);
      std::string next = base_name + ";range=" + std::to_string(high + 1) + "-*";
      Result<std::optional<LdapEntry>> more = Read(entry.dn, {next});
      if (!more.ok()) return more.status();
      if (!more->has_value()) break;
      name.clear();
      for (auto& [more_name, more_values] : (*more)->attributes) {
        if (more_name.starts_with(base_name + ";range=")) {
          name = more_name;
          entry.attributes[name] = std::move(more_values);
        }
      }
      if (name.empty()) break;
    }
  }
  return Status::Ok();
}

Result<DirSyncPage> LdapConnection::DirSync(const std::string& base, const std::string& filter,
                                            const std::vector<std::string>& attributes,
                                            const std::string& cookie) {
  AttributeList attrs(attributes);
  berval request_cookie{static_cast<ber_len_t>(cookie.size()), const_cast<char*>(cookie.data())};
  LDAPControl* control = nullptr;
  int rc =
      ldap_create_dirsync_control(handle_, 0, kDirSyncReplyBytesMax, &request_cookie, &control);
  if (rc != LDAP_SUCCESS) return LdapError(handle_, rc, "DirSync control");
  LDAPControl* controls[] = {control, nullptr};
  timeval timeout = ToTimeval(operation_timeout_);
  LDAPMessage* result = nullptr;
  rc = ldap_search_ext_s(handle_, base.c_str(), LDAP_SCOPE_SUBTREE, filter.c_str(), attrs.get(), 0,
                         controls, nullptr, &timeout, LDAP_NO_LIMIT, &result);
  ldap_control_free(control);
  if (result == nullptr) return LdapError(handle_, rc, "DirSync " + base);
  LDAPControl** returned = nullptr;
  Status status = CheckResult(handle_, result, &returned, "DirSync " + base);
  DirSyncPage page;
  if (status.ok()) {
    ParseEntries(handle_, result, page.entries);
    LDAPControl* response = ldap_control_find(LDAP_CONTROL_X_DIRSYNC, returned, nullptr);
    if (response == nullptr) {
      status = Status::FailedPrecondition("DirSync " + base + ": no DirSync response control");
    } else {
      int more = 0;
      berval next{0, nullptr};
      rc = ldap_parse_dirsync_control(handle_, response, &more, &next);
      if (rc != LDAP_SUCCESS) {
        status = LdapError(handle_, rc, "DirSync response");
      } else {
        page.more = more != 0;
        page.cookie.assign(next.bv_val, next.bv_len);
      }
      if (next.bv_val != nullptr) ber_memfree(next.bv_val);
    }
  }
  if (returned != nullptr) ldap_controls_free(returned);
  ldap_msgfree(result);
  if (!status.ok()) return status;
  return page;
}

}  // namespace lifeboat::directory
