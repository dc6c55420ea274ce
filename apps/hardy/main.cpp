// hardy command-line entry point: parses, dispatches, and turns every error into one line.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

#include "commands.h"
#include "hardy/core/error.h"
#include "hardy/core/isa.h"
#include "json_output.h"

int main(int argc, char** argv) {
  CLI::App app{"hardy: fault resilience of neural-network inference"};
  app.require_subcommand(1);
  app.set_version_flag("--version", HARDY_VERSION);
  hardy::cli::add_eval_command(app);
  hardy::cli::add_demo_command(app);
  hardy::cli::add_inject_command(app);
  hardy::cli::add_nvf_command(app);
  hardy::cli::add_harden_command(app);
  hardy::cli::add_merge_command(app);
  hardy::cli::add_dram_command(app);
  hardy::cli::add_snn_command(app);
  hardy::cli::add_sparkxd_command(app);
  hardy::cli::set_command_line(argc, argv);
  const auto commands = app.get_subcommands([](const CLI::App*) { return true; });
  const bool known_command =
      argc > 1 && std::any_of(commands.begin(), commands.end(),
                              [&](const CLI::App* c) { return c->get_name() == argv[1]; });
  if (argc > 1 && argv[1][0] != '-' && !known_command) {
    std::string known;
    for (const auto* sub : commands) known += (known.empty() ? "" : ", ") + sub->get_name();
    std::fprintf(stderr, "error: unknown command '%s' (expected one of: %s)\n", argv[1],
                 known.c_str());
    return 2;
  }
  try {
    // A bad HARDY_ISA fails every command up front, not after minutes of loading.
    if (known_command) hardy::detect_isa();
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "error: %s (see hardy --help)\n", e.what());
    return 2;
  } catch (const hardy::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const hardy::InternalError& e) {
    std::fprintf(stderr, "internal error: %s\n", e.what());
    return 3;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "error: out of memory\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}
