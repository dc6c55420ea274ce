// Dataset loading and location.
#include "hardy/data/dataset.h"

#include <cstdlib>
#include <filesystem>

#include "hardy/core/error.h"
#include "hardy/data/idx.h"

namespace hardy::data {

Dataset Dataset::slice(int64_t first, int64_t n) const {
  HARDY_CHECK(first >= 0 && n >= 0 && first + n <= size());
  Dataset d;
  d.name = name;
  d.rows = rows;
  d.cols = cols;
  d.classes = classes;
  d.pixels.assign(pixels.begin() + first * image_bytes(),
                  pixels.begin() + (first + n) * image_bytes());
  d.labels.assign(labels.begin() + first, labels.begin() + first + n);
  return d;
}

Dataset load_idx_pair(const std::string& name, const std::string& images_path,
                      const std::string& labels_path) {
  IdxArray images = read_idx(images_path);
  IdxArray labels = read_idx(labels_path);
  if (images.dims.size() != 3) {
    throw FormatError(images_path, "header", "rank-3 image array (N, rows, cols)",
                      "rank " + std::to_string(images.dims.size()));
  }
  if (labels.dims.size() != 1) {
    throw FormatError(labels_path, "header", "rank-1 label array",
                      "rank " + std::to_string(labels.dims.size()));
  }
  if (images.dims[0] != labels.dims[0]) {
    throw FormatError(
        labels_path, "header",
        std::to_string(images.dims[0]) + " labels (as many as images in " + images_path + ")",
        std::to_string(labels.dims[0]));
  }
  Dataset d;
  d.name = name;
  d.rows = static_cast<int>(images.dims[1]);
  d.cols = static_cast<int>(images.dims[2]);
  for (size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] >= d.classes) {
      throw FormatError(labels_path, "label " + std::to_string(i), "class in 0..9",
                        std::to_string(labels.data[i]));
    }
  }
  d.pixels = std::move(images.data);
  d.labels = std::move(labels.data);
  return d;
}

std::string dataset_directory(const std::string& name) {
  if (name != "fashion-mnist" && name != "mnist") {
    throw ConfigError("unknown dataset '" + name + "' (expected fashion-mnist or mnist)");
  }
  if (const char* root = std::getenv("HARDY_DATA_DIR")) return std::string(root) + "/" + name;
  if (name == "fashion-mnist") return "/usr/share/datasets/fashion-mnist";
  return std::string(HARDY_SOURCE_DIR) + "/data/mnist";
}

Dataset load_dataset(const std::string& name, Split split, const std::string& dir) {
  const std::string root = dir.empty() ? dataset_directory(name) : dir;
  const std::string prefix = split == Split::kTrain ? "train" : "t10k";
  auto pick = [&](const std::string& stem) {
    const std::string raw = root + "/" + prefix + stem;
    if (std::filesystem::exists(raw + ".gz")) return raw + ".gz";
    if (std::filesystem::exists(raw)) return raw;
    throw FileError(raw + ".gz",
                    "dataset file not found" +
                        std::string(name == "mnist" ? " (run scripts/fetch_mnist.sh)" : ""));
  };
  return load_idx_pair(name, pick("-images-idx3-ubyte"), pick("-labels-idx1-ubyte"));
}

}  // namespace hardy::data
