// Bit-field address mapping and access-trace reading.
#include "hardy/dram/address_mapping.h"

#include <bit>
#include <charconv>
#include <fstream>
#include <sstream>

#include "hardy/core/error.h"
#include "trace_text.h"

namespace hardy::dram {
using detail::in_quotes;
using detail::trim;

namespace {

int log2_exact(int64_t v) { return std::countr_zero(static_cast<uint64_t>(v)); }

const char* field_name(AddressField f) {
  switch (f) {
    case AddressField::kChannel:
      return "channel";
    case AddressField::kRank:
      return "rank";
    case AddressField::kBank:
      return "bank";
    case AddressField::kRow:
      return "row";
    case AddressField::kColumn:
      return "column";
  }
  return "?";
}

int64_t field_count(const Organisation& org, AddressField f) {
  switch (f) {
    case AddressField::kChannel:
      return org.channels;
    case AddressField::kRank:
      return org.ranks;
    case AddressField::kBank:
      return org.banks;
    case AddressField::kRow:
      return org.rows;
    case AddressField::kColumn:
      return org.bursts_per_row();
  }
  return 1;
}

std::vector<std::string> split_fields(const std::string& line) {
  std::string normalised = line;
  for (char& ch : normalised) {
    if (ch == ',' || ch == '\t') ch = ' ';
  }
  std::istringstream s(normalised);
  std::vector<std::string> out;
  std::string f;
  while (s >> f) out.push_back(f);
  return out;
}

bool parse_u64(const std::string& s, uint64_t& out) {
  const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  const char* begin = s.data() + (hex ? 2 : 0);
  const char* end = s.data() + s.size();
  auto r = std::from_chars(begin, end, out, hex ? 16 : 10);
  return begin != end && r.ec == std::errc() && r.ptr == end;
}

}  // namespace

AddressMapping::AddressMapping(const Organisation& org, std::string_view order) {
  offset_bits_ = log2_exact(org.burst_bytes());
  std::vector<AddressField> seen;
  std::string item;
  std::istringstream in{std::string(order)};
  const std::string quoted = "address mapping '" + std::string(order) + "'";
  while (std::getline(in, item, ',')) {
    item = trim(item);
    bool known = false;
    for (AddressField f : {AddressField::kChannel, AddressField::kRank, AddressField::kBank,
                           AddressField::kRow, AddressField::kColumn}) {
      if (item == field_name(f)) {
        known = true;
        for (AddressField s : seen) {
          if (s == f) throw ConfigError(quoted + ": field '" + item + "' appears twice");
        }
        seen.push_back(f);
      }
    }
    if (!known) {
      throw ConfigError(quoted +
                        ": expected fields among channel, rank, bank, row, column, found '" + item +
                        "'");
    }
  }
  for (AddressField f : {AddressField::kChannel, AddressField::kRank, AddressField::kBank,
                         AddressField::kRow, AddressField::kColumn}) {
    bool present = false;
    for (AddressField s : seen) present = present || s == f;
    if (!present && field_count(org, f) > 1) {
      throw ConfigError(quoted + ": field '" + std::string(field_name(f)) + "' (" +
                        std::to_string(field_count(org, f)) + " values) is missing");
    }
  }
  int shift = offset_bits_;
  for (auto it = seen.rbegin(); it != seen.rend(); ++it) {
    const int bits = log2_exact(field_count(org, *it));
    fields_.insert(fields_.begin(), Field{*it, bits, shift});
    shift += bits;
  }
  total_bits_ = shift;
}

AddressMapping AddressMapping::default_for(const Organisation& org) {
  std::string order = "row";
  if (org.ranks > 1) order += ",rank";
  order += ",bank";
  if (org.channels > 1) order += ",channel";
  order += ",column";
  return AddressMapping(org, order);
}

DramAddress AddressMapping::decode(uint64_t address) const {
  DramAddress a;
  for (const Field& f : fields_) {
    const auto v = static_cast<int64_t>((address >> f.shift) & ((uint64_t{1} << f.bits) - 1));
    switch (f.field) {
      case AddressField::kChannel:
        a.channel = static_cast<int>(v);
        break;
      case AddressField::kRank:
        a.rank = static_cast<int>(v);
        break;
      case AddressField::kBank:
        a.bank = static_cast<int>(v);
        break;
      case AddressField::kRow:
        a.row = v;
        break;
      case AddressField::kColumn:
        a.column = v;
        break;
    }
  }
  return a;
}

uint64_t AddressMapping::encode(const DramAddress& a) const {
  uint64_t address = 0;
  for (const Field& f : fields_) {
    int64_t v = 0;
    switch (f.field) {
      case AddressField::kChannel:
        v = a.channel;
        break;
      case AddressField::kRank:
        v = a.rank;
        break;
      case AddressField::kBank:
        v = a.bank;
        break;
      case AddressField::kRow:
        v = a.row;
        break;
      case AddressField::kColumn:
        v = a.column;
        break;
    }
    address |= static_cast<uint64_t>(v) << f.shift;
  }
  return address;
}

std::string AddressMapping::order() const {
  std::string s;
  for (const Field& f : fields_) {
    if (!s.empty()) s += ',';
    s += field_name(f.field);
  }
  return s;
}

std::vector<Access> read_access_trace(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw FileError(path, "cannot open access trace");
  std::vector<Access> out;
  detail::for_each_data_line(in, [&](const std::string& line, int64_t, const std::string& loc) {
    const auto f = split_fields(line);
    if (f.size() < 2 || f.size() > 3) {
      throw FormatError(path, loc, "<address> <R|W> [<arrival cycle>]", in_quotes(line));
    }
    Access a;
    if (!parse_u64(f[0], a.address)) {
      throw FormatError(path, loc, "an address (decimal or 0x-hex)", in_quotes(f[0]));
    }
    if (f[1] == "R" || f[1] == "r" || f[1] == "READ") {
      a.write = false;
    } else if (f[1] == "W" || f[1] == "w" || f[1] == "WRITE") {
      a.write = true;
    } else {
      throw FormatError(path, loc, "R or W", in_quotes(f[1]));
    }
    if (f.size() == 3) {
      uint64_t cycle = 0;
      if (!parse_u64(f[2], cycle) || cycle > (uint64_t{1} << 62)) {
        throw FormatError(path, loc, "an arrival cycle (integer >= 0)", in_quotes(f[2]));
      }
      a.arrival_cycle = static_cast<int64_t>(cycle);
    }
    out.push_back(a);
  });
  if (in.bad()) throw FileError(path, "read failed");
  return out;
}

bool is_command_trace(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw FileError(path, "cannot open trace");
  std::string text;
  while (std::getline(in, text)) {
    const std::string line = trim(text);
    if (line.empty() || line[0] == '#') continue;
    const auto first = line.find(',');
    if (first == std::string::npos) return false;
    const auto second = line.find(',', first + 1);
    if (second == std::string::npos) return false;
    const std::string name = trim(line.substr(first + 1, second - first - 1));
    return !name.empty() && (name[0] >= 'A' && name[0] <= 'Z') && name != "R" && name != "W" &&
           name != "READ" && name != "WRITE";
  }
  return false;
}

}  // namespace hardy::dram
