// `hardy demo`: evaluates the shipped model zoo and prints one table.
#include <fmt/core.h>

#include <filesystem>

#include "commands.h"
#include "json_output.h"
#include "model_options.h"

namespace hardy::cli {

namespace {

struct ZooEntry {
  const char* file;
  const char* dataset;
};
constexpr ZooEntry kZoo[] = {{"lenet5_fmnist.onnx", "fashion-mnist"},
                             {"mlp_fmnist.onnx", "fashion-mnist"},
                             {"vgg_fmnist.onnx", "fashion-mnist"},
                             {"resnet_fmnist.onnx", "fashion-mnist"},
                             {"lenet5_mnist.onnx", "mnist"}};

}  // namespace

void add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "evaluate the shipped model zoo (fp32 vs int8)");
  auto threads = std::make_shared<int>(1);
  auto images = std::make_shared<int64_t>(0);
  auto models_dir = std::make_shared<std::string>(std::string(HARDY_SOURCE_DIR) + "/models");
  auto json_path = std::make_shared<std::string>();
  cmd->add_option("--threads", *threads, "worker threads")->check(CLI::Range(1, 256));
  cmd->add_option("--images", *images, "test images per model (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--models-dir", *models_dir, "directory of the zoo's .onnx files");
  cmd->add_option("--json", *json_path, "write all results as JSON");
  cmd->callback([=] {
    nlohmann::json all = nlohmann::json::array();
    std::vector<std::string> inputs;
    fmt::print("| model | dataset | images | fp32 acc | int8 acc | agreement | int8 images/s |\n");
    fmt::print("|---|---|---:|---:|---:|---:|---:|\n");
    for (const ZooEntry& z : kZoo) {
      ModelOptions o;
      o.model = *models_dir + "/" + z.file;
      o.dataset = z.dataset;
      o.threads = *threads;
      o.images = *images;
      nlohmann::json r = evaluate_model(o);
      fmt::print("| {} | {} | {} | {:.2f}% | {:.2f}% | {:.2f}% | {:.0f} |\n", z.file, z.dataset,
                 r["images"].get<int64_t>(), 100 * r["fp32_accuracy"].get<double>(),
                 100 * r["int8_accuracy"].get<double>(), 100 * r["agreement"].get<double>(),
                 r["int8_images_per_second"].get<double>());
      std::fflush(stdout);
      inputs.push_back(o.model);
      all.push_back(std::move(r));
    }
    if (!json_path->empty()) {
      write_json_file(*json_path, {{"results", all}, {"provenance", provenance(inputs)}});
    }
  });
}

}  // namespace hardy::cli
