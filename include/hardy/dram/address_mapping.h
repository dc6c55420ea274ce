// Physical byte address ↔ DRAM coordinates (channel, rank, bank, row, column burst) by a
// configurable bit order, and access traces of byte addresses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hardy/dram/memspec.h"

namespace hardy::dram {

/// Where a burst lives. `column` counts bursts within the row (0 … bursts_per_row − 1).
struct DramAddress {
  int channel = 0, rank = 0, bank = 0;
  int64_t row = 0, column = 0;

  /// Subarray of the row within its bank (row / rows_per_subarray).
  int64_t subarray(const Organisation& org) const { return row / org.rows_per_subarray(); }
  bool operator==(const DramAddress&) const = default;
};

enum class AddressField { kChannel, kRank, kBank, kRow, kColumn };

/// A byte address is, from the most significant bit down: the fields in the given order, then
/// log2(burst_bytes) offset bits within a burst. Each field takes log2(count) bits (channels,
/// ranks, banks, rows, bursts per row). E.g. "row,bank,column" (the default for one channel and
/// rank) fills a row's columns first, then the same row of the next bank: consecutive addresses
/// are row-buffer hits, and every row_bytes the bank changes.
class AddressMapping {
 public:
  /// `order`: comma-separated field names from most to least significant, each of channel, rank,
  /// bank, row, column at most once; a field may be left out only when its count is 1. Throws
  /// ConfigError naming the order and what is wrong.
  AddressMapping(const Organisation& org, std::string_view order);
  /// "row,rank,bank,channel,column" without the fields of count 1.
  static AddressMapping default_for(const Organisation& org);

  /// Precondition: address < capacity_bytes().
  DramAddress decode(uint64_t address) const;
  /// The address of the first byte of the burst at `a` (fields in range).
  uint64_t encode(const DramAddress& a) const;

  uint64_t capacity_bytes() const { return uint64_t{1} << total_bits_; }
  int offset_bits() const { return offset_bits_; }
  /// The order as given, normalised ("row,bank,column").
  std::string order() const;

 private:
  struct Field {
    AddressField field;
    int bits;
    int shift;
  };
  std::vector<Field> fields_;  // most significant first
  int offset_bits_ = 0, total_bits_ = 0;
};

/// One memory access of an access trace.
struct Access {
  uint64_t address = 0;
  bool write = false;
  int64_t arrival_cycle = 0;  ///< earliest cycle its first command may issue (0: at once)
};

/// Parses an access trace: one access per line, `<address> <R|W> [<arrival cycle>]`, fields
/// separated by spaces, tabs or a comma; addresses decimal or 0x-hex; '#' starts a comment line.
/// Throws FormatError naming `source`, the line and what was expected.
std::vector<Access> read_access_trace(const std::string& path);

/// True when the first data line of the file looks like a DRAMPower command trace
/// (`<cycle>,<command>,<bank>` with a command name) rather than an access trace.
bool is_command_trace(const std::string& path);

}  // namespace hardy::dram
