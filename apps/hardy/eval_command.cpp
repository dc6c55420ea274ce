// `hardy eval`: fp32 vs int8 accuracy, agreement and throughput of one ONNX model.
#include <fmt/core.h>

#include "commands.h"
#include "hardy/core/isa.h"
#include "hardy/data/dataset.h"
#include "hardy/qnn/evaluation.h"
#include "hardy/qnn/onnx_import.h"
#include "hardy/qnn/optimized_kernels.h"
#include "json_output.h"
#include "model_options.h"

namespace hardy::cli {

nlohmann::json evaluate_model(const ModelOptions& o) {
  const qnn::Graph graph = qnn::import_onnx(o.model);
  const data::Dataset train = data::load_dataset(o.dataset, data::Split::kTrain);
  const data::Dataset test = data::load_dataset(o.dataset, data::Split::kTest);
  const int64_t n = o.images == 0 ? test.size() : std::min(o.images, test.size());
  ThreadPool pool(o.threads);
  const qnn::QModel model = qnn::quantize(graph, train, o.calibration_options(), pool);
  const qnn::Int8Executor int8(model, o.kernel_set());
  const qnn::EvalResult r = qnn::evaluate(graph, int8, test, n, pool);
  const bool optimized = o.kernel_set() == qnn::KernelSet::kOptimized;
  const char* isa = optimized ? isa_name(qnn::gemm_isa(detect_isa())) : "scalar-reference";
  return {{"model", o.model},
          {"dataset", o.dataset},
          {"images", r.images},
          {"threads", r.threads},
          {"fp32_accuracy", r.fp32_accuracy},
          {"int8_accuracy", r.int8_accuracy},
          {"agreement", r.agreement},
          {"fp32_images_per_second", r.fp32_images_per_second},
          {"int8_images_per_second", r.int8_images_per_second},
          {"kernels", o.kernels},
          {"isa", isa},
          {"macs_per_image", graph.macs()},
          {"parameters", graph.parameters()},
          {"calibration",
           {{"method", o.calibration},
            {"images", o.calibration_images},
            {"percentile", o.percentile}}}};
}

void add_eval_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "fp32 vs int8 accuracy, agreement and throughput");
  auto o = std::make_shared<ModelOptions>();
  auto json_path = std::make_shared<std::string>();
  o->add_to(*cmd, true);
  cmd->add_option("--json", *json_path, "write the result as JSON");
  cmd->callback([o, json_path] {
    nlohmann::json r = evaluate_model(*o);
    fmt::print("model            {}\ndataset          {} ({} test images, {} threads)\n", o->model,
               o->dataset, r["images"].get<int64_t>(), o->threads);
    fmt::print("fp32 accuracy    {:.2f}%\nint8 accuracy    {:.2f}%\nagreement        {:.2f}%\n",
               100 * r["fp32_accuracy"].get<double>(), 100 * r["int8_accuracy"].get<double>(),
               100 * r["agreement"].get<double>());
    fmt::print("int8 throughput  {:.0f} images/s ({} kernels, {})\n",
               r["int8_images_per_second"].get<double>(), o->kernels, r["isa"].get<std::string>());
    if (!json_path->empty()) {
      r["provenance"] = provenance({o->model});
      write_json_file(*json_path, r);
    }
  });
}

}  // namespace hardy::cli
