// The float network as imported: a DAG of operators over per-image tensors (batch dimension
// dropped), with BatchNormalization folded and activations fused into their producers.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "hardy/core/shape.h"

namespace hardy::qnn {

enum class OpKind {
  kConv,               ///< 2-D convolution, NCHW, weights [OC, IC/groups, KH, KW]
  kDense,              ///< fully connected, weights [OUT, IN]
  kRelu,               ///< max(x, 0) (standalone; usually fused)
  kClip,               ///< clamp(x, lo, hi) (standalone; usually fused)
  kMaxPool,            ///< max over a window; padding never wins
  kAveragePool,        ///< mean over a window (padding excluded unless count_include_pad)
  kGlobalAveragePool,  ///< mean over H×W per channel
  kFlatten,            ///< (C, H, W) → (C·H·W), row-major; no data movement
  kAdd,                ///< element-wise sum of two tensors of one shape (residual)
  kMinimum,            ///< element-wise minimum of two or more tensors of one shape
  kMaximum,            ///< element-wise maximum of two or more tensors of one shape
  /// channels [slice_start, slice_end) of the first per-image axis (fp32 only: an int8 model
  /// expresses copied channels with Correction nodes)
  kSlice,
  kConcat,  ///< two or more tensors joined along their first per-image axis (channels / features)
  /// int8 only (built by the harden passes, DESIGN §5): each output channel combines one, two or
  /// three channels of its input (a layer's output with duplicated channels) by a CorrectionRule.
  kCorrection,
};

const char* op_name(OpKind op);

/// Inputs an operator takes: exactly `min_inputs` unless `variadic` (then at least that many).
struct OpArity {
  int min_inputs = 1;
  bool variadic = false;
};
OpArity op_arity(OpKind op);

/// Activation applied to a Conv/Dense/Add result before it is stored.
enum class Activation { kNone, kRelu, kClip };

struct WindowParams {
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int groups = 1;                  ///< Conv only
  bool count_include_pad = false;  ///< AveragePool only
};

/// Where a node came from. The importer expresses what PyTorch's exporter writes around the layers
/// with the existing operators: a per-channel affine map y = a·x + b (constant Mul/Add/Sub/Div)
/// and a zero Pad become depthwise 1×1 Convs (weight a or 1, bias b or 0, the Pad's padding), and
/// are folded into a neighbouring layer wherever that is exact (docs/onnx-import.md).
enum class NodeOrigin {
  kModel,   ///< an operator of the model itself
  kAffine,  ///< depthwise 1×1 Conv built from constant Mul/Add/Sub/Div
  kPad,     ///< depthwise 1×1 identity Conv carrying a constant-zero Pad's padding
};

/// What the model applies to its output after the last layer; hardy drops it (both are
/// monotone per row, so top-1 is unchanged) and outputs the logits. apply_output_activation()
/// recomputes it in fp32 to compare with the model's own outputs.
enum class OutputActivation { kNone, kSoftmax, kLogSoftmax };

struct Node {
  OpKind op = OpKind::kRelu;
  NodeOrigin origin = NodeOrigin::kModel;
  std::string name;
  std::vector<int> inputs;  ///< value indices
  int output = -1;          ///< value index
  WindowParams window;      ///< Conv, MaxPool, AveragePool
  Activation activation = Activation::kNone;
  float clip_min = 0.0f, clip_max = 0.0f;  ///< kClip, or a fused Clip activation
  Tensor<float> weight;                    ///< Conv / Dense
  int64_t slice_start = 0, slice_end = 0;  ///< kSlice
  std::vector<float> bias;                 ///< Conv / Dense, one per output channel
};

/// A tensor flowing between nodes: per-image shape (C, H, W) or (F).
struct Value {
  std::string name;
  Shape shape;
};

struct Graph {
  std::string source;  ///< file it was imported from
  std::vector<Value> values;
  std::vector<Node> nodes;  ///< topological order
  int input = -1, output = -1;
  OutputActivation output_activation = OutputActivation::kNone;

  /// Total multiply-accumulates of one inference (Conv + Dense).
  int64_t macs() const;
  /// Total weights and biases.
  int64_t parameters() const;
};

/// Throws UnsupportedError unless the graph's per-image input holds exactly rows × cols values
/// (one channel), i.e. it can consume the dataset's images.
void check_input_matches(const Graph& graph, int rows, int cols, const std::string& dataset);

/// Removes nodes whose output nothing reads (except the graph output), repeatedly, then every value
/// no remaining node reads or writes (except the input and output), renumbering values in their
/// original order. After activation fusion this drops the producers' pre-activation values, so
/// every remaining value is a tensor the network really computes.
void remove_dead_values(Graph& graph);

/// Applies `activation` to one row of logits in place (softmax: exp(x − max) / Σ; log-softmax:
/// x − max − log Σ exp(x − max), in double).
void apply_output_activation(OutputActivation activation, std::span<float> logits);

/// Output spatial size of a window op: (in + pads − kernel) / stride + 1 (floor).
int window_output(int in, int pad_a, int pad_b, int kernel, int stride);

}  // namespace hardy::qnn
