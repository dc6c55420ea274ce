// hardy command-line entry point.
#include <CLI/CLI.hpp>
int main(int argc, char** argv) {
  CLI::App app{"hardy"};
  CLI11_PARSE(app, argc, argv);
  return 0;
}
