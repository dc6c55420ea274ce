// Bit error rate vs supply voltage from the per-DIMM measurements of Chang et al. (SIGMETRICS
// 2017, github CMU-SAFARI/DRAM-Voltage-Study): per-DIMM curves, vendor median and worst DIMM.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hardy::dram {

/// Bits in one 64-byte cache line, the study's unit.
inline constexpr int kBitsPerCacheLine = 512;
/// Lines the study tests per DIMM (2 GB / 64 B = 2^25): one faulty line is its resolution.
inline constexpr double kStudyCacheLines = 33554432.0;
/// Line fractions in [0.49, 0.5001] are flagged saturated: vendor C's DIMMs sit on a plateau at
/// 50.0% (C2, C5, C6, C8, C9 read 50.0 or 49.2–49.9 over several voltages) while other DIMMs
/// measure more (A7 89.6%, B7 56.4%), so a reading at the plateau is taken as the test's ceiling
/// and its BER as a lower bound.
inline constexpr double kSaturatedLineFractionLow = 0.49;
inline constexpr double kSaturatedLineFractionHigh = 0.5001;

/// Per-bit BER from the fraction f of lines with at least one bit error, assuming the bits of a
/// line fail independently: BER = 1 − (1 − f)^(1/bits_per_line). Precondition 0 ≤ f < 1.
double line_fraction_to_ber(double f, int bits_per_line = kBitsPerCacheLine);

/// The BER hardy uses for "no error seen": one faulty line in 2^25,
/// line_fraction_to_ber(2^-25) ≈ 5.8e-11, the largest rate consistent with the measurement.
double no_error_floor_ber();

struct StudyPoint {
  double vdd_v = 0;
  double faulty_line_percent = 0;  ///< as published (vendor curves: of the chosen DIMM statistic)
  double ber = 0;                  ///< converted; the floor where no error was seen
  bool no_error_seen = false;
  bool saturated = false;
  int dimms = 1;  ///< DIMMs measured at this voltage (vendor curves)
};

/// BER(V) of one DIMM or a vendor statistic, from measured points (ascending voltage).
/// Between points log(BER) is linear in V; above the highest point its value holds; below the
/// lowest there is no curve (the study stopped lowering a DIMM's voltage when it stopped working).
struct BerCurve {
  std::string name;    ///< "B7", "B-median", "B-worst"
  std::string vendor;  ///< "A", "B", "C"
  std::vector<StudyPoint> points;

  double min_vdd_v() const { return points.front().vdd_v; }
  double max_vdd_v() const { return points.back().vdd_v; }
  /// Throws ConfigError naming the curve when vdd_v < min_vdd_v() (or not finite).
  double ber_at(double vdd_v) const;
  /// True when vdd_v lies in an interval that touches a saturated point (BER a lower bound).
  bool saturated_at(double vdd_v) const;
  nlohmann::json to_json() const;
};

enum class VendorStatistic { kMedian, kWorst };

/// The study's CSV, validated: header `dimm_name,vdd,vendor,error_cacheline_percent`, voltages in
/// (0, 2] V, percentages in [0, 100], one vendor per DIMM, no repeated (DIMM, voltage).
class VoltageStudy {
 public:
  /// Throws FileError / FormatError naming the file, line and field.
  static VoltageStudy load(const std::string& csv_path);

  const std::string& source() const { return source_; }
  const std::vector<BerCurve>& dimms() const { return dimms_; }
  std::vector<std::string> vendors() const;
  /// Throws ConfigError naming the known DIMMs when `name` is not one.
  const BerCurve& dimm(const std::string& name) const;
  /// Vendor curve: at each voltage where any of its DIMMs was measured, the median (mean of the
  /// two middle values for an even count) or the maximum of the BERs of the DIMMs measured
  /// there. At low voltages only the DIMMs that still worked were measured (vendor B at
  /// 1.025 V: 4 of 11), so the median there describes the survivors. Throws ConfigError for an
  /// unknown vendor.
  BerCurve vendor_curve(const std::string& vendor, VendorStatistic statistic) const;

 private:
  std::string source_;
  std::vector<BerCurve> dimms_;
};

}  // namespace hardy::dram
