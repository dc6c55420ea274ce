// Selective hardening passes on the int8 model (DESIGN §5). Each selected output channel of a
// Conv/Dense node is computed again as extra output channels of the same node, by the unchanged
// kernels; a Correction node inserted after it rebuilds the node's original output value from the
// copies, so every later node, the fault sites of the unprotected neurons and the model output are
// as before. The hardened model is an ordinary QModel: fault injection treats each copy as its own
// sites.
#pragma once

#include <string>

#include "hardy/harden/selection.h"
#include "hardy/qnn/graph.h"
#include "hardy/qnn/qmodel.h"

namespace hardy::harden {

enum class Scheme {
  kSplit,      ///< two copies, the LCU passes the minimum (CorrectionRule::kMinimum)
  kSplitHalf,  ///< two halves of the weights and bias, summed (CorrectionRule::kHalfSum)
  kTmr,        ///< three copies and a bitwise majority vote (CorrectionRule::kMajority)
};

/// Where a pass puts the Correction of a layer whose output only a pooling node reads: right after
/// the layer (the pool reads the corrected value; the pooled outputs stay unprotected), or after
/// the pool, which then pools every copy, so that faults in the pooled copies are corrected too.
/// Fault-free both give the same outputs. split-half always corrects right after the layer (its
/// halves are summed before pooling).
enum class Placement { kAfterLayer, kAfterPool };

/// Whether `scheme` with `placement` corrects after the pools (false for split-half).
bool corrects_after_pool(Scheme scheme, Placement placement);

/// "split", "split-half", "tmr"; anything else is a ConfigError listing them.
Scheme parse_scheme(const std::string& name);
const char* scheme_name(Scheme scheme);
/// Extra copies of each selected channel: 1 (split, split-half) or 2 (TMR).
int extra_copies(Scheme scheme);

/// split + LCU: the selected channels duplicated; fault-free, both copies are equal and the
/// hardened model's outputs are bit-identical to the original's.
qnn::QModel split_lcu(const qnn::QModel& model, const Selection& selection,
                      Placement placement = Placement::kAfterLayer);

/// split-half: channel c keeps w − trunc(w/2), b − trunc(b/2) and its copy gets trunc(w/2),
/// trunc(b/2) (the accumulators sum to the original exactly); each half is requantized and clamped
/// on the layer's output scale and the Correction adds them. Not bit-identical in general: the
/// two roundings and the activation clamp of each half can differ from the original's by one or
/// more steps (docs/hardening.md measures it).
qnn::QModel split_half(const qnn::QModel& model, const Selection& selection);

/// Selective TMR: the selected channels triplicated, bitwise majority; bit-identical fault-free.
qnn::QModel selective_tmr(const qnn::QModel& model, const Selection& selection,
                          Placement placement = Placement::kAfterLayer);

/// The pass of `scheme`.
qnn::QModel harden_model(const qnn::QModel& model, const Selection& selection, Scheme scheme,
                         Placement placement = Placement::kAfterLayer);

/// The float counterpart of harden_model, for export as standard ONNX: the graph's node i is the
/// int8 model's node i (quantize keeps the order), so the same selection applies. The selected
/// channels are appended to the node as in the int8 passes (split-half: both halves w/2, b/2,
/// exact in float); a protected channel is rebuilt from single-channel Slices of the widened
/// output by Min (split), Add (split-half) or the median of three Max(Min(a, b), Min(Max(a, b), c))
/// (TMR; equal to the majority whenever two copies agree), and Concat joins the protected and
/// unprotected channels back into the original value; split-half's Add applies the layer's
/// activation again (a clamp that saturates, ReLU6, would otherwise pass twice its bound). Fault-
/// free the result equals the original graph's exactly (halving is exact in binary floating point;
/// split-half needs an activation whose lower bound is at most 0: none, ReLU, ReLU6). Throws
/// ConfigError as the int8 passes do.
/// With Placement::kAfterPool the pool that alone reads a protected layer runs on the widened
/// value and the channels are rebuilt after it, as in the int8 passes.
qnn::Graph harden_graph(const qnn::Graph& graph, const Selection& selection, Scheme scheme,
                        Placement placement = Placement::kAfterLayer);

}  // namespace hardy::harden
