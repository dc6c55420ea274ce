// The cost of a hardened model against the original (DESIGN §5, docs/hardening.md): extra MACs,
// parameters and neurons counted exactly, and the correction logic in two-input gate equivalents
// from the structural counts below.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "hardy/harden/passes.h"
#include "hardy/harden/selection.h"
#include "hardy/qnn/qmodel.h"

namespace hardy::harden {

// Two-input gates (AND2/OR2/XOR2/XNOR2/INV each 1) of the building blocks, derived in
// docs/hardening.md.
inline constexpr int64_t kFullAdderGates = 5;  ///< 2 XOR + 2 AND + 1 OR
inline constexpr int64_t kHalfAdderGates = 2;  ///< XOR + AND
/// 8-bit 2:1 mux: per bit (a·s) + (b·¬s), one shared inverter.
inline constexpr int64_t kMux8Gates = 8 * 3 + 1;
/// 8-bit a < b, ripple borrow chain: per bit ¬a, ¬a·b, XNOR, XNOR·borrow, OR.
inline constexpr int64_t kComparator8Gates = 8 * 5;
/// LCU of split: comparator + mux selecting the smaller copy.
inline constexpr int64_t kLcuGates = kComparator8Gates + kMux8Gates;
/// TMR voter: per bit a·b + c·(a + b).
inline constexpr int64_t kVoterGates = 8 * 4;
/// split-half unit: 8-bit ripple adder, saturation (carry OR into 8 bits), MSB check (XOR), a mux
/// choosing the other half and a mux choosing between the sum and twice the other half (a shift).
inline constexpr int64_t kHalfSumGates = 8 * kFullAdderGates + 8 + 1 + 2 * kMux8Gates;
/// split-half on a layer with zero point ≥ 2: each half is checked as bit 7 of half − ⌊zp/2⌋
/// (qnn::half_check_tripped), a subtraction of a constant: 8 half adders per half.
inline constexpr int64_t kHalfCheckOffsetGates = 2 * 8 * kHalfAdderGates;
/// One pooled output computed again (a pool on a copy, Placement::kAfterPool), per window element
/// after the first: an average pool adds it (10-bit ripple adder: the sum of 4 bytes; wider
/// windows are rare here and counted the same), a max pool compares and selects.
inline constexpr int64_t kAveragePoolStepGates = 10 * kFullAdderGates;
inline constexpr int64_t kMaxPoolStepGates = kComparator8Gates + kMux8Gates;

/// One int8 multiply-accumulate: 8×8 array multiplier (64 AND, 48 FA, 8 HA) and a 32-bit ripple
/// accumulator adder (32 FA).
inline constexpr int64_t kMacGates =
    64 + 48 * kFullAdderGates + 8 * kHalfAdderGates + 32 * kFullAdderGates;

/// Gates of the correction unit one protected neuron of `scheme` passes through, in a layer whose
/// output has zero point `zero_point`.
int64_t correction_unit_gates(Scheme scheme, int32_t zero_point);

struct Overhead {
  int64_t macs = 0, extra_macs = 0;        ///< per inference: Conv + Dense
  int64_t params = 0, extra_params = 0;    ///< weights + biases
  int64_t neurons = 0, extra_neurons = 0;  ///< outputs of running nodes (fault sites)
  int64_t protected_channels = 0, protected_neurons = 0;
  int64_t correction_gates = 0;  ///< gate evaluations per inference: corrected neurons × unit
  int64_t pool_copy_gates = 0;   ///< gate evaluations per inference of the pools on copies

  double mac_overhead() const;    ///< extra_macs / macs
  double param_overhead() const;  ///< extra_params / params
  double neuron_overhead() const;
  /// (correction_gates + pool_copy_gates) / (macs · kMacGates): the correction logic and the
  /// pooling of copies against the MAC datapath's gate evaluations of one inference.
  double gate_overhead() const;
  nlohmann::json to_json() const;
};

/// The overhead of hardening `model` with `selection` by `scheme` and `placement` (counted on the
/// original model and the selection; no hardened model needed). After a pool, the copies' pooled
/// outputs are extra neurons and the Correction runs on the pooled outputs.
Overhead hardening_overhead(const qnn::QModel& model, const Selection& selection, Scheme scheme,
                            Placement placement = Placement::kAfterLayer);

}  // namespace hardy::harden
