// Registration of the CLI's subcommands; each lives in its own <name>_command.cpp.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace hardy::cli {

void add_eval_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_inject_command(CLI::App& app);
void add_merge_command(CLI::App& app);
void add_nvf_command(CLI::App& app);
void add_harden_command(CLI::App& app);
void add_dram_command(CLI::App& app);
void add_snn_command(CLI::App& app);
void add_sparkxd_command(CLI::App& app);

/// `hardy demo`'s SparkXD step: the pipeline on an int8 model's weights (first 1,000 Fashion-MNIST
/// test images, vendor B's median DIMM, two error maps per BER on 1e-6 … 1e-3); stage files go to
/// `work_dir`. Prints the table; returns the network's row (the `hardy sparkxd` JSON schema).
nlohmann::json sparkxd_int8_demo(const std::string& model, const std::string& work_dir,
                                 int threads);

}  // namespace hardy::cli
