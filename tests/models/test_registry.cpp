// The registry of model families: every family's declarations are usable
// together (one type per shared key, no family key that is a generic one,
// unique type names), and the README's table of job keys is the one the
// declarations make.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "natgrad/config/config.hpp"
#include "natgrad/models/registry.hpp"
#include "test_data.hpp"

namespace natgrad::models {
namespace {

TEST(Registry, FamiliesHaveDistinctTypesAndTheirKeysOneTypeEach) {
  std::set<std::string> types;
  std::map<std::string, config::Type> key_types;
  for (const Family* f : families()) {
    EXPECT_TRUE(types.insert(f->type()).second) << f->type() << " registered twice";
    EXPECT_EQ(find_family(f->type()), f);
    for (const config::Option& o : f->options()) {
      EXPECT_NE(o.key.find('.'), std::string::npos) << f->type() << " declares " << o.key << " outside a section";
      const auto [it, added] = key_types.emplace(o.key, o.type);
      EXPECT_TRUE(added || it->second == o.type) << o.key << " is declared with two types";
    }
  }
  EXPECT_EQ(find_family("hmm"), nullptr);
  EXPECT_EQ(catalog().size(), families().size());
  // The key table lists model.type, the families' keys (each once) and the generic ones: a family key that is
  // also a generic key would be listed twice.
  std::istringstream table(config::key_table(catalog()));
  std::map<std::string, int> rows;
  for (std::string line; std::getline(table, line);) {
    if (line.starts_with("| `")) ++rows[line.substr(3, line.find('`', 3) - 3)];
  }
  for (const auto& [key, n] : rows) EXPECT_EQ(n, 1) << key << " is both a family's key and a generic one";
}

TEST(Registry, ReadmeKeyTableIsTheDeclarations) {
  std::ifstream in(testing::repo_file("README.md"));
  ASSERT_TRUE(in) << "README.md not found";
  std::string line, table;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line == "| key | default | rule | meaning |") inside = true;
    if (inside && !line.starts_with("|")) break;
    if (inside) table += line + "\n";
  }
  const std::string expected = config::key_table(catalog());
  EXPECT_EQ(table, expected) << "The README's table of job keys differs from the declarations; it should read:\n"
                             << expected;
}

}  // namespace
}  // namespace natgrad::models
