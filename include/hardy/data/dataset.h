// Labelled image datasets (Fashion-MNIST, the MNIST subset) loaded from IDX files.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace hardy::data {

enum class Split { kTrain, kTest };

/// N grey images of rows × cols bytes with labels in [0, classes).
struct Dataset {
  std::string name;
  int rows = 0, cols = 0, classes = 10;
  std::vector<uint8_t> pixels;  ///< N · rows · cols, image-major
  std::vector<uint8_t> labels;  ///< N

  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  int64_t image_bytes() const { return int64_t{rows} * cols; }
  std::span<const uint8_t> image(int64_t i) const {
    return {pixels.data() + i * image_bytes(), static_cast<size_t>(image_bytes())};
  }
  /// The first n images (n ≤ size()).
  Dataset head(int64_t n) const { return slice(0, n); }
  /// Images [first, first + n) (within size()).
  Dataset slice(int64_t first, int64_t n) const;
};

/// Loads an images/labels IDX pair; checks ranks, matching counts and label range.
/// Throws FileError / FormatError naming the offending file.
Dataset load_idx_pair(const std::string& name, const std::string& images_path,
                      const std::string& labels_path);

/// Directory holding a named dataset's IDX files: $HARDY_DATA_DIR/<name> if set, otherwise
/// /usr/share/datasets/fashion-mnist for "fashion-mnist" and <source>/data/mnist for "mnist".
/// Throws ConfigError for an unknown name.
std::string dataset_directory(const std::string& name);

/// Loads a split of "fashion-mnist" or "mnist" (standard file names, .gz or raw) from `dir`
/// (default: dataset_directory(name)).
Dataset load_dataset(const std::string& name, Split split, const std::string& dir = "");

}  // namespace hardy::data
