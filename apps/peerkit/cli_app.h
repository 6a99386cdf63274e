// What both command lines do with CLI11 once their options are declared.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

namespace peerkit::app {

struct CliExit {
  int code;  // 0 after --help, 2 for a usage error
  std::string message;
};

// Parses `args` (args[0] the program name); nullopt to go on, else how to exit.
inline std::optional<CliExit> parse_args(CLI::App& app, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp&) {
    return CliExit{0, app.help()};
  } catch (const CLI::ParseError& e) {
    return CliExit{2, e.what()};
  }
  return std::nullopt;
}

}  // namespace peerkit::app
