// Test helper: the shipped model zoo, imported and quantized once per process.
#pragma once

#include <memory>
#include <string>

#include "hardy/data/dataset.h"
#include "hardy/qnn/graph.h"
#include "hardy/qnn/qmodel.h"

namespace hardy::qnn::testing {

struct ZooModel {
  std::string name, dataset;
  Graph graph;
  QModel model;  ///< default PTQ (1000 calibration images, min/max)
  data::Dataset test;
};

inline const char* const kZooModels[] = {"lenet5_fmnist", "mlp_fmnist", "vgg_fmnist",
                                         "resnet_fmnist", "lenet5_mnist"};

std::string zoo_dataset(const std::string& name);
/// $HARDY_MODELS_DIR if set, else <source>/models.
std::string zoo_directory();
/// Loads models/<name>.onnx, its dataset and quantizes it (cached).
const ZooModel& zoo_model(const std::string& name);

}  // namespace hardy::qnn::testing
