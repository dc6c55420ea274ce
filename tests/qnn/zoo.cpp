// Zoo loading for tests.
#include "zoo.h"

#include <cstdlib>
#include <map>
#include <mutex>

#include "hardy/qnn/onnx_import.h"
#include "hardy/qnn/quantize.h"

namespace hardy::qnn::testing {

std::string zoo_dataset(const std::string& name) {
  return name.ends_with("_mnist") && !name.ends_with("_fmnist") ? "mnist" : "fashion-mnist";
}

std::string zoo_directory() {
  const char* dir = std::getenv("HARDY_MODELS_DIR");
  return dir ? dir : std::string(HARDY_SOURCE_DIR) + "/models";
}

const ZooModel& zoo_model(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<ZooModel>> cache;
  std::lock_guard lock(mutex);
  auto& slot = cache[name];
  if (!slot) {
    slot = std::make_unique<ZooModel>();
    slot->name = name;
    slot->dataset = zoo_dataset(name);
    slot->graph = import_onnx(zoo_directory() + "/" + name + ".onnx");
    const data::Dataset train = data::load_dataset(slot->dataset, data::Split::kTrain);
    ThreadPool pool(2);
    slot->model = quantize(slot->graph, train, CalibrationOptions{}, pool);
    slot->test = data::load_dataset(slot->dataset, data::Split::kTest);
  }
  return *slot;
}

}  // namespace hardy::qnn::testing
