// A Diehl & Cook network's learned state (input weights, adaptive thresholds, neuron labels) and
// its versioned, validated file format (.snn, docs/snn.md "File format").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hardy/snn/params.h"

namespace hardy::snn {

/// Label of a neuron that never answered during label assignment; it takes no part in voting.
inline constexpr uint8_t kUnassigned = 255;

/// What training produces and inference needs.
struct Network {
  SnnParams params;
  int inputs = 784;
  int neurons = 0;
  std::vector<float> weights;  ///< inputs × neurons, input-major: w[i·neurons + j], in [0, w_max]
  std::vector<float> theta_mv;  ///< neurons: adaptive threshold θ (the threshold is
                                ///< v_thresh + θ − θ_offset)
  std::vector<uint8_t> labels;  ///< neurons: class 0..9 or kUnassigned (empty: not labelled)
  /// 10 × neurons, class-major: mean spike count of neuron j over the labelling samples of class
  /// c (from the same pass that assigned the labels). Empty when not labelled or read from a
  /// version-1 file.
  std::vector<float> class_responses;

  // Provenance, stored in the file header.
  std::string dataset;
  uint64_t seed = 0;
  int64_t trained_samples = 0;  ///< samples presented during training (epochs × images)

  /// A fresh network: w = (U(0,1) + init_w_offset) · init_w_scale from
  /// RngStream(seed, "snn.init_weights", 0), θ = theta_init_mv, no labels.
  static Network fresh(const SnnParams& params, int inputs, int neurons, uint64_t seed);

  /// Weight of input i onto neuron j.
  float weight(int i, int j) const { return weights[static_cast<size_t>(i) * neurons + j]; }
  /// Throws FormatError(source, ...) unless sizes agree, weights are finite and in [0, w_max],
  /// θ is finite, labels are 0..9 or kUnassigned and class responses finite and ≥ 0 (and only
  /// present with labels).
  void check(const std::string& source) const;
};

/// Current file format version written by save_network (version 1 files are still read).
inline constexpr uint32_t kNetworkFileVersion = 2;

/// Writes `net` to `path` (format below) atomically (binio::write_file_atomic: a process killed
/// meanwhile leaves the previous file or none, never a partial one). Throws FileError.
///
/// Layout (include/hardy/core/binary_io.h; all integers little-endian):
///   "HARDYSNN" magic (8 bytes) · u32 version · u32 reserved (0) · u64 header length H ·
///   H bytes JSON header {"params": {key: value-string}, "inputs", "neurons", "dataset", "seed",
///   "trained_samples", "labelled", "responses" (version 2)} ·
///   sections, each a 4-byte tag, u64 payload length, payload:
///     "WGHT" inputs·neurons float32 (input-major), "THTA" neurons float32 (mV),
///     "LABL" neurons u8 (only when labelled),
///     "RESP" 10·neurons float32, class-major (only when "responses"; version 2) ·
///   "END!" u64 8 · FNV-1a 64 of every preceding byte.
void save_network(const Network& net, const std::string& path);

/// Reads and validates a file written by save_network: magic, version, header JSON, parameters
/// (unknown keys and out-of-range values rejected), section tags and sizes, checksum, value
/// ranges. Any problem throws FileError / FormatError / ConfigError naming `path` and what was
/// expected and found; never crashes on malformed input.
Network load_network(const std::string& path);

/// Same as load_network on bytes already in memory (`source` names them in errors).
Network parse_network(std::span<const uint8_t> bytes, const std::string& source);

}  // namespace hardy::snn
