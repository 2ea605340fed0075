// The generic model file: λ's tensors placed by the layout and read back bit
// for bit, the layout recorded and checked, the family's content and the
// history's further columns and the first step of a continued run kept;
// layouts that do not cover λ exactly once are refused.

#include <gtest/gtest.h>
#include <hdf5.h>

#include <functional>
#include <string>

#include "natgrad/error.hpp"
#include "natgrad/io/hdf5.hpp"
#include "natgrad/io/model_file.hpp"
#include "test_data.hpp"

namespace natgrad::io {
namespace {

// Two tensors over 10 entries: a [2, 3] at even-spaced places and a [4] in the rest.
Layout two_tensors() { return {{{"a", {2, 3}, 0, {5, 1}}, {"b", {2, 2}, 3, {5, 1}}}, 10}; }

std::string error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(Layout, GatherAndScatterAreInverse) {
  const Layout layout = two_tensors();
  layout.check("test");
  Eigen::VectorXd flat = Eigen::VectorXd::LinSpaced(10, 0, 9);
  EXPECT_EQ(gather(layout["a"], flat), (std::vector<double>{0, 1, 2, 5, 6, 7}));
  EXPECT_EQ(gather(layout["b"], flat), (std::vector<double>{3, 4, 8, 9}));
  Eigen::VectorXd back = Eigen::VectorXd::Zero(10);
  for (const Tensor& t : layout.tensors) scatter(t, gather(t, flat), back);
  EXPECT_TRUE(back == flat);
}

// gather visits a tensor in tiles of its last dimension (64 entries): tensors stored transposed (LDA's
// λ, K × V kept word by word) and of three dimensions, with last dimensions of 1, 2 and 3 tiles and a
// part, come out in row-major order, and scatter puts them back.
TEST(Layout, GatherAndScatterAreInverseAcrossTiles) {
  const std::int64_t k = 3, v = 150;  // 2 tiles and 22 entries
  const Layout layout{{{"transposed", {k, v}, 0, {1, k}}, {"cube", {2, 3, 70}, k * v, {210, 70, 1}},
                       {"row", {64}, k * v + 420, {1}}},
                      k * v + 484};
  layout.check("test");
  const Eigen::VectorXd flat = Eigen::VectorXd::LinSpaced(layout.size, 0, static_cast<double>(layout.size - 1));
  std::vector<double> transposed;
  for (std::int64_t i = 0; i < k; ++i) {
    for (std::int64_t j = 0; j < v; ++j) transposed.push_back(flat[layout["transposed"].at({i, j})]);
  }
  EXPECT_EQ(gather(layout["transposed"], flat), transposed);
  const std::vector<double> cube = gather(layout["cube"], flat);
  ASSERT_EQ(cube.size(), 420u);
  for (std::size_t i = 0; i < cube.size(); ++i) EXPECT_EQ(cube[i], static_cast<double>(k * v) + static_cast<double>(i));
  Eigen::VectorXd back = Eigen::VectorXd::Zero(layout.size);
  for (const Tensor& t : layout.tensors) scatter(t, gather(t, flat), back);
  EXPECT_TRUE(back == flat);
}

TEST(Layout, RefusesLayoutsThatDoNotCoverLambdaOnce) {
  Layout overlap = two_tensors();
  overlap.tensors[1].offset = 2;
  EXPECT_NE(error_of([&] { overlap.check("f.h5"); }).find("overlaps"), std::string::npos);
  Layout beyond = two_tensors();
  beyond.tensors[1].strides = {6, 1};
  EXPECT_NE(error_of([&] { beyond.check("f.h5"); }).find("beyond"), std::string::npos);
  Layout short_of = two_tensors();
  short_of.size = 11;
  EXPECT_NE(error_of([&] { short_of.check("f.h5"); }).find("have 10 entries, λ 11"), std::string::npos);
  Layout negative = two_tensors();
  negative.tensors[0].strides = {-5, 1};
  EXPECT_NE(error_of([&] { negative.check("f.h5"); }).find("negative"), std::string::npos);
  Layout huge = two_tensors();
  huge.tensors[0].shape = {std::int64_t{1} << 40, std::int64_t{1} << 40};
  EXPECT_NE(error_of([&] { huge.check("f.h5"); }).find("more entries than λ"), std::string::npos);
}

ModelFile example() {
  ModelFile c;
  c.type = "example";
  c.model.set("/model", "size", std::int64_t{10});
  c.model.add_group("/model/prior");
  c.model.set("/model/prior", "concentration", 0.5);
  c.model.add("/model/prior/mean", {2}, std::vector<double>{1.5, -2.0});
  const Eigen::VectorXd lambda = Eigen::VectorXd::LinSpaced(10, 0.1, 1.0);
  c.set_lambda(two_tensors(), lambda);
  c.vocab = {"x", "y", "z"};
  c.config = {{"model.type", "example"}};
  c.lambda_offset = lambda;
  c.lambda_offset_block_sum = lambda;
  c.step = 7;
  c.first_step = 3;
  c.heldout_name = "score";
  c.extra_names = {"first", "second"};
  c.history = {{0, 0.0, 0.0, std::nan(""), 1.0, {2.0, 3.0}}, {5, 0.5, 1.0, 0.1, 4.0, {5.0, 6.0}}};
  return c;
}

TEST(ModelFile, KeepsTensorsContentAndHistoryColumns) {
  const std::string path = testing::temp_dir("model_file_round_trip") + "/m.h5";
  const ModelFile written = example();
  write_model_file(path, written);
  const ModelFile back = read_model_file(path);
  EXPECT_EQ(back.schema_version, kModelSchemaVersion);
  EXPECT_EQ(back.type, "example");
  EXPECT_TRUE(back.layout == two_tensors());
  EXPECT_TRUE(back.lambda(two_tensors()) == Eigen::VectorXd::LinSpaced(10, 0.1, 1.0));
  EXPECT_EQ(back.model.attr_int("/model", "size"), 10);
  EXPECT_EQ(back.model.attr_double("/model/prior", "concentration"), 0.5);
  EXPECT_EQ(back.model.numbers("/model/prior/mean", {2}), (std::vector<double>{1.5, -2.0}));
  EXPECT_EQ(back.vocab, written.vocab);
  EXPECT_EQ(back.step, 7);
  EXPECT_EQ(back.first_step, 3);
  EXPECT_EQ(back.extra_names, written.extra_names);
  ASSERT_EQ(back.history.size(), 2u);
  EXPECT_EQ(back.history[1].step, 5);
  EXPECT_EQ(back.history[1].heldout, 4.0);
  EXPECT_EQ(back.history[1].extra, (std::vector<double>{5.0, 6.0}));
  // Another layout than the one recorded is refused.
  Layout other = two_tensors();
  other.tensors[0].strides = {5, 1};
  other.tensors[1].offset = 4;
  EXPECT_NE(error_of([&] { back.lambda(other); }).find("layout of λ in '/layout' is not the one"), std::string::npos);
}

// The fit's model file: λ's tensors written from λ itself, a block of rows at a time. A transposed
// tensor of 11.8 MB (rows of 320 KB in chunks of 2: a block of 26 rows and a last one of 11), one of
// three dimensions and one of none read back as gather makes them, and λ whole, bit for bit.
TEST(ModelFile, WritesTensorsFromLambdaInBlocksOfRows) {
  const std::int64_t k = 37, v = 40000;
  const Layout layout{{{"transposed", {k, v}, 0, {1, k}}, {"cube", {2, 3, 70}, k * v, {210, 70, 1}},
                       {"scalar", {}, k * v + 420, {}}},
                      k * v + 421};
  layout.check("test");
  const Eigen::VectorXd flat = Eigen::VectorXd::LinSpaced(layout.size, 0.5, 7.25);
  ModelFile c = example();  // as a model file, not a checkpoint: no solver's form of λ
  c.model = Group();
  c.layout = layout;
  c.lambda_offset.resize(0);
  c.lambda_offset_block_sum.resize(0);
  const std::string path = testing::temp_dir("model_file_rows") + "/m.h5";
  write_model_file(path, c, flat);
  const ModelFile back = read_model_file(path);
  EXPECT_TRUE(back.layout == layout);
  for (const Tensor& t : layout.tensors) EXPECT_EQ(back.model.numbers("/model/" + t.name, t.dims()), gather(t, flat)) << t.name;
  EXPECT_TRUE(back.lambda(layout) == flat);
}

TEST(ModelFile, RefusesAFirstStepAfterTheStep) {
  const std::string path = testing::temp_dir("model_file_first_step") + "/m.h5";
  ModelFile bad = example();
  bad.first_step = 8;
  write_model_file(path, bad);
  EXPECT_NE(error_of([&] { read_model_file(path); }).find("'/solver' first_step 8 is not in [0, step 7]"),
            std::string::npos);
}

TEST(ModelFile, KeepsATailOfLambdaLongerThanABlock) {
  // Blocks of 3 and a tail of 4 (as long as a block or longer: its length cannot be inferred from n).
  const std::string dir = testing::temp_dir("model_file_tail");
  ModelFile c = example();
  c.lambda_offset_block_sum = Eigen::VectorXd::Ones(3);
  c.lambda_tail_size = 4;
  write_model_file(dir + "/m.h5", c);
  EXPECT_EQ(read_model_file(dir + "/m.h5").lambda_tail_size, 4);
  // A file from before the attribute had a tail shorter than a block: n mod the block.
  const hid_t old = H5Fopen((dir + "/m.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(old, 0);
  EXPECT_GE(H5Adelete_by_name(old, "/solver", "lambda_tail_size", H5P_DEFAULT), 0);
  H5Fclose(old);
  EXPECT_EQ(read_model_file(dir + "/m.h5").lambda_tail_size, 1);
  c.lambda_tail_size = 5;
  write_model_file(dir + "/bad.h5", c);
  const std::string message = error_of([&] { read_model_file(dir + "/bad.h5"); });
  EXPECT_NE(message.find("'/solver' lambda_tail_size 5 does not leave whole blocks of 3 in the 10 values"),
            std::string::npos)
      << message;
}

TEST(ModelFile, RefusesAFileOfANewerSchemaNamingBoth) {
  const std::string path = testing::temp_dir("model_file_newer") + "/m.h5";
  h5::write_file_atomically(path, [](h5::File& file) {
    file.set_attr("/", "format", std::string(kModelFormat));
    file.set_attr("/", "schema_version", std::int64_t{4});
  });
  const std::string message = error_of([&] { read_model_file(path); });
  EXPECT_NE(message.find("schema_version 4"), std::string::npos) << message;
  EXPECT_NE(message.find("reads schema_version 1 to 3"), std::string::npos) << message;
}

}  // namespace
}  // namespace natgrad::io
