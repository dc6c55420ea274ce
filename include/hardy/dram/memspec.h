// DRAM organisation, timing and currents from a memspec JSON file with DRAMPower's (legacy
// branch `develop`) field names, validated: unknown keys and out-of-range values are errors.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hardy::dram {

/// The DRAMPower memory types hardy models. LPDDR3 has two supply rails (VDD1, VDD2), DDR3
/// (and DDR3L, a DDR3 at 1.35 V) one.
enum class MemoryType { kDdr3, kLpddr3 };

std::string memory_type_name(MemoryType type);

/// Sizes of the device (or module) as one channel sees it. Rows, columns, banks and subarrays
/// are powers of two so addresses split into bit fields.
struct Organisation {
  int channels = 1;      ///< hardy extension (`nbrOfChannels`)
  int ranks = 1;         ///< `nbrOfRanks`
  int banks = 8;         ///< `nbrOfBanks` per rank
  int subarrays = 1;     ///< hardy extension (`nbrOfSubarrays`): per bank, dividing the rows
  int64_t rows = 0;      ///< `nbrOfRows` per bank
  int64_t columns = 0;   ///< `nbrOfColumns` per row, each `width_bits` wide
  int width_bits = 8;    ///< `width`: data bus width (DQ pins)
  int data_rate = 2;     ///< `dataRate`: transfers per clock
  int burst_length = 8;  ///< `burstLength`: transfers per column command

  /// Bytes one RD/WR moves: width · BL / 8.
  int64_t burst_bytes() const { return int64_t{width_bits} * burst_length / 8; }
  /// Clock cycles the data bus is busy per burst: BL / dataRate (validated to divide).
  int64_t burst_cycles() const { return burst_length / data_rate; }
  /// Column bursts in one row: columns / BL.
  int64_t bursts_per_row() const { return columns / burst_length; }
  /// Bytes in one row (the row buffer of one bank): columns · width / 8.
  int64_t row_bytes() const { return columns * width_bits / 8; }
  int64_t rows_per_subarray() const { return rows / subarrays; }
  /// Total bytes: channels · ranks · banks · rows · row_bytes.
  int64_t capacity_bytes() const { return int64_t{channels} * ranks * banks * rows * row_bytes(); }
};

/// Timing parameters in clock cycles (DRAMPower's unit) and the clock.
struct Timing {
  double clk_mhz = 0;
  int64_t rcd = 0, rp = 0, ras = 0, rc = 0;  ///< ACT→RD/WR, PRE→ACT, ACT→PRE, ACT→ACT (bank)
  int64_t rfc = 0, refi = 0;                 ///< REF duration, average REF interval
  int64_t rl = 0, wl = 0, cl = 0, al = 0;    ///< read / write latency, CAS, additive latency
  int64_t ccd = 0, rrd = 0, faw = 0;         ///< column→column, ACT→ACT (rank), 4-ACT window
  int64_t rtp = 0, wr = 0, wtr = 0;          ///< RD→PRE, write recovery, WR data→RD
  int64_t dqsck = 0;                         ///< DQS output access time (LPDDR)
  int64_t xp = 0, xpdll = 0, xs = 0, xsdll = 0, cke = 0, ckesr = 0;  ///< power-down; unused

  /// Clock period tCK in seconds.
  double tck_s() const { return 1e-6 / clk_mhz; }
};

/// One supply rail and the datasheet currents drawn from it (SI: volts, amperes). DRAMPower's
/// idd01/idd02 … idd61/idd62 are the same currents on rail 1 / rail 2.
struct Rail {
  std::string name;  ///< "VDD1", "VDD2"
  double vdd_v = 0;
  double idd0_a = 0;   ///< one-bank ACT-PRE cycling
  double idd2n_a = 0;  ///< precharge standby (all banks closed)
  double idd3n_a = 0;  ///< active standby (a bank open)
  double idd4r_a = 0;  ///< burst read
  double idd4w_a = 0;  ///< burst write
  double idd5_a = 0;   ///< auto-refresh (burst)
  double idd2p0_a = 0, idd2p1_a = 0, idd3p0_a = 0, idd3p1_a = 0, idd6_a = 0;  ///< power-down
};

struct MemSpec {
  std::string id;      ///< `memoryId`
  std::string source;  ///< file it was read from (for messages)
  MemoryType type = MemoryType::kDdr3;
  Organisation org;
  Timing timing;
  std::vector<Rail> rails;  ///< 1 (DDR3) or 2 (LPDDR3)
  /// Keys (section.key) whose values are assumptions, with the reason (hardy's `assumptions`).
  std::map<std::string, std::string> assumptions;

  /// The first rail's supply: for a loaded memspec its nominal voltage, for one from at_voltage
  /// the reduced one.
  double vdd1_v() const { return rails.front().vdd_v; }
  /// Organisation, timing and rails as JSON (SI units, names carry units).
  nlohmann::json to_json() const;
};

/// Reads a memspec file. Throws FileError if unreadable, FormatError naming the file and key
/// for malformed JSON, unknown keys, missing required keys, non-integers where DRAMPower
/// expects integers and values out of range (see docs/dram.md "Memspec").
MemSpec load_memspec(const std::string& path);

/// Same on an already parsed document; `source` names it in errors.
MemSpec parse_memspec(const nlohmann::json& doc, const std::string& source);

}  // namespace hardy::dram
