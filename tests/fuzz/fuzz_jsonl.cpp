// libFuzzer target: the JSON of JSON lines. Each line of the input is checked
// and replaced as UTF-8 (both ways, as --errors strict and replace read it),
// then parsed as one JSON object whose members "text" and "id" are taken.
// Checks that the members taken are of the kinds said, strings valid UTF-8.
#include <string>

#include "natgrad/error.hpp"
#include "natgrad/io/json.hpp"
#include "natgrad/io/tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace natgrad::io;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> names = {"text", "id"};
  for (std::size_t start = 0; start <= input.size();) {
    const std::size_t end = std::min(input.find('\n', start), input.size());
    const std::string_view line = input.substr(start, end - start);
    for (const bool replace : {false, true}) {
      if (!replace && find_invalid_utf8(line) != std::string_view::npos) continue;
      const std::string text = replace ? replace_invalid_utf8(line) : std::string(line);
      try {
        for (const auto& member : json_members(text, names, replace)) {
          if (!member) continue;
          if (member->kind == JsonValue::Kind::kString && find_invalid_utf8(member->text) != std::string_view::npos) {
            __builtin_trap();
          }
          if (member->kind == JsonValue::Kind::kNumber && member->text.empty()) __builtin_trap();
        }
      } catch (const JsonError& e) {
        if (e.offset() > text.size()) __builtin_trap();
      }
    }
    start = end + 1;
  }
  return 0;
}
