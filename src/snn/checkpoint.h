// Internal: training checkpoints (hardy snn train --checkpoint / --resume). A checkpoint holds
// everything a training run carries from one sample to the next, so a run resumed from it ends
// with exactly the network an uninterrupted run would (tests/snn/training_test.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hardy::snn::detail {

struct TrainCheckpoint {
  std::string fingerprint;       ///< JSON naming the run (data, sizes, seed, epochs, parameters)
  int64_t next_sample = 0;       ///< the first sample not yet trained
  int64_t presentations = 0, input_spikes = 0, exc_spikes = 0;  ///< TrainStats so far
  double seconds = 0.0;          ///< training time so far
  double running_accuracy = -1.0;
  std::vector<uint8_t> block_labels;  ///< labels from the last finished block (running accuracy)
  std::vector<float> weights, theta;  ///< the ModelState arrays (simulator layout)
  std::vector<uint8_t> simulator;     ///< Simulator::save_state()
};

/// Writes `c` to `path` atomically (a temporary file renamed over it), so a run killed while
/// writing leaves the previous checkpoint intact. Throws FileError.
void write_checkpoint(const TrainCheckpoint& c, const std::string& path);

/// Reads a checkpoint written by write_checkpoint; magic, version, section tags and lengths and
/// the checksum are checked (FormatError naming `path`), FileError if unreadable.
TrainCheckpoint read_checkpoint(const std::string& path);

}  // namespace hardy::snn::detail
