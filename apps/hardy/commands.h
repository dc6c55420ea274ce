// Registration of the CLI's subcommands; each lives in its own <name>_command.cpp.
#pragma once

#include <CLI/CLI.hpp>

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

}  // namespace hardy::cli
