// Arrays advised to huge pages: the advice changes nothing of their contents,
// whatever their size and alignment (below the 4 MB where it starts, or a
// region that does not begin on a 2 MB boundary).

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "natgrad/memory.hpp"

namespace natgrad {
namespace {

TEST(HugePages, VectorsAreZerosOfTheirSizeLargeOrSmall) {
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{3} << 20}) {
    const std::vector<double> v = huge_vector<double>(n);
    ASSERT_EQ(v.size(), n);
    for (const double x : v) ASSERT_EQ(x, 0.0);
  }
}

TEST(HugePages, ArraysHoldWhatIsWritten) {
  auto a = huge_array<Eigen::MatrixXf>(104, 20000);  // 8.3 MB
  ASSERT_EQ(a.rows(), 104);
  ASSERT_EQ(a.cols(), 20000);
  a.setConstant(2.5f);
  a(103, 19999) = 7.0f;
  EXPECT_EQ(a.cast<double>().sum(), 2.5 * (104 * 20000 - 1) + 7.0);
  // Advice on a region not aligned to 2 MB, and on one of a few bytes, is harmless.
  std::vector<std::uint8_t> bytes((std::size_t{9} << 20) + 3, 1);
  advise_huge_pages(bytes.data() + 1, bytes.size() - 1);
  advise_huge_pages(bytes.data(), 5);
  for (const std::uint8_t b : bytes) ASSERT_EQ(b, 1);
}

}  // namespace
}  // namespace natgrad
