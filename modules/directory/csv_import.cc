#include <map>
#include <set>

#include "modules/ascii/ascii_case.h"
#include "modules/directory/importer.h"

// CSV import (importer.h): RFC 4180 records, a header row of LDAP attribute names.
namespace lifeboat::directory {
namespace {

const std::set<std::string> kMultiValued = {"objectclass",  "proxyaddresses", "member",
                                            "uniquemember", "othermailbox",   "members"};

// RFC 4180 records: fields separated by ',', quoted with '"', '""' inside quotes is one '"'.
Result<std::vector<std::vector<std::string>>> SplitCsv(std::string_view text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  bool field_started = false;
  size_t line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      ++line;
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
      bool blank = row.size() == 1 && row[0].empty();
      if (!blank) rows.push_back(std::move(row));
      row.clear();
      if (rows.size() > kImportEntriesMax) {
        return Status::ResourceExhausted("import: more than " + std::to_string(kImportEntriesMax) +
                                         " rows");
      }
    } else {
      field.push_back(c);
      field_started = true;
    }
  }
  if (quoted)
    return Status::InvalidArgument("csv: unterminated quote at line " + std::to_string(line));
  if (field_started || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<std::string> SplitValues(std::string_view value) {
  std::vector<std::string> values;
  size_t start = 0;
  while (start <= value.size()) {
    size_t end = value.find(';', start);
    if (end == std::string_view::npos) end = value.size();
    std::string_view part = value.substr(start, end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) values.emplace_back(part);
    start = end + 1;
  }
  return values;
}

std::string ImportName(const LdapEntry& entry) {
  std::string_view name = entry.First("samaccountname");
  if (name.empty()) name = entry.First("mail");
  if (name.empty()) name = entry.First("cn");
  return std::string(name);
}

// Fills the defaults of a CSV row: id, dn, objectClass; resolves "members" later.
Status CompleteCsvEntry(LdapEntry& entry, size_t line) {
  std::string name = ImportName(entry);
  if (!entry.Has("id")) {
    if (name.empty()) {
      return Status::InvalidArgument("csv line " + std::to_string(line) +
                                     ": no id, sAMAccountName, mail or cn");
    }
    entry.Add("id", "import-" + ascii::Lower(name));
  }
  if (entry.dn.empty())
    entry.dn = "cn=" + (name.empty() ? std::string(entry.First("id")) : name) + ",ou=import";
  if (!entry.Has("objectclass")) {
    std::string kind = ascii::Lower(entry.First("kind"));
    if (kind.empty() || kind == "user") {
      entry.Add("objectclass", "user");
    } else if (kind == "group" || kind == "contact") {
      entry.Add("objectclass", kind);
    } else {
      return Status::InvalidArgument("csv line " + std::to_string(line) + ": unknown kind '" +
                                     kind + "'");
    }
  }
  return Status::Ok();
}

// "members" (by account name or address) -> member DNs of entries in the same file.
void ResolveCsvMembers(std::vector<LdapEntry>& entries) {
  std::map<std::string, std::string> dn_by_name;
  for (const LdapEntry& entry : entries) {
    for (std::string_view key : {"samaccountname", "mail", "cn"}) {
      if (entry.Has(key)) dn_by_name.emplace(ascii::Lower(entry.First(key)), entry.dn);
    }
  }
  for (LdapEntry& entry : entries) {
    for (const std::string& name : entry.Values("members")) {
      auto it = dn_by_name.find(ascii::Lower(name));
      // Unknown names stay unresolved: the sync core ignores members outside the scope.
      entry.Add("member", it != dn_by_name.end() ? it->second : "cn=" + name + ",ou=unknown");
    }
  }
}

}  // namespace

Result<std::vector<LdapEntry>> ParseCsv(std::string_view text) {
  if (text.size() > kImportFileBytesMax) return Status::ResourceExhausted("csv: file too large");
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 BOM from spreadsheets
  Result<std::vector<std::vector<std::string>>> rows = SplitCsv(text);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::InvalidArgument("csv: no header row");
  std::vector<std::string> header;
  for (const std::string& name : rows->front()) header.push_back(ascii::Lower(name));
  std::vector<LdapEntry> entries;
  for (size_t r = 1; r < rows->size(); ++r) {
    const std::vector<std::string>& row = (*rows)[r];
    if (row.size() > header.size()) {
      return Status::InvalidArgument("csv row " + std::to_string(r + 1) +
                                     ": more fields than the header");
    }
    LdapEntry entry;
    for (size_t c = 0; c < row.size(); ++c) {
      if (row[c].empty()) continue;
      if (header[c] == "dn") {
        entry.dn = row[c];
      } else if (kMultiValued.count(header[c]) != 0) {
        for (std::string& value : SplitValues(row[c])) entry.Add(header[c], std::move(value));
      } else {
        entry.Add(header[c], row[c]);
      }
    }
    LB_RETURN_IF_ERROR(CompleteCsvEntry(entry, r + 1));
    entries.push_back(std::move(entry));
  }
  ResolveCsvMembers(entries);
  return entries;
}

}  // namespace lifeboat::directory
