// An exact sum of doubles: every addend is added as an integer multiple of
// 2^-1152 into 32-bit digits held in 64-bit words, so the sum does not
// depend on the order of the additions or on how they are grouped. The
// digits of several partial sums (one per MPI rank) add up by integer sums,
// and the result is rounded once. This is what makes the global totals
// (plasma coupling, time series) identical for any rank count.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

namespace cyto {

class ExactSum {
  __extension__ typedef unsigned __int128 Wide;  // GCC and Clang: 128-bit shifts and conversion

 public:
  // Digit d holds bits [32 d, 32 d + 32) of the fixed-point value; doubles
  // reach bit 1024 + 1152, and the top words leave room for carries.
  static constexpr int kWords = 72;
  static constexpr int kOffset = 1152;  // bit position of 2^0
  // Integer words exchanged between ranks: the digits, then the counts of
  // +inf, -inf and NaN addends.
  static constexpr int kPackedWords = kWords + 3;

  void add(double x) {
    if (x == 0) return;
    if (!std::isfinite(x)) {
      ++special_[x != x ? 2 : (x > 0 ? 0 : 1)];
      return;
    }
    int exponent = 0;
    const double fraction = std::frexp(std::fabs(x), &exponent);    // |x| = fraction 2^exponent
    const auto mantissa = std::uint64_t(std::ldexp(fraction, 53));  // exact: 53 bits
    const int bit = exponent - 53 + kOffset;                        // >= 26 for every double
    const int word = bit / 32, shift = bit % 32;
    const Wide shifted = Wide(mantissa) << shift;
    const std::int64_t sign = x < 0 ? -1 : 1;
    digits_[word] += sign * std::int64_t(std::uint32_t(shifted));
    digits_[word + 1] += sign * std::int64_t(std::uint32_t(shifted >> 32));
    digits_[word + 2] += sign * std::int64_t(std::uint32_t(shifted >> 64));
    // A word moves by < 2^32 per addend: carry long before 2^63 could be reached.
    if (++pending_ == (1 << 29)) normalise();
  }

  // The words to sum across ranks (digits normalised: each < 2^32 in magnitude
  // except the top one), and the sum rebuilt from summed words.
  std::array<std::int64_t, kPackedWords> packed() {
    normalise();
    std::array<std::int64_t, kPackedWords> p{};
    for (int w = 0; w < kWords; ++w) p[std::size_t(w)] = digits_[w];
    for (int s = 0; s < 3; ++s) p[std::size_t(kWords + s)] = special_[s];
    return p;
  }
  static ExactSum from_packed(const std::int64_t* p) {
    ExactSum e;
    for (int w = 0; w < kWords; ++w) e.digits_[w] = p[w];
    for (int s = 0; s < 3; ++s) e.special_[s] = p[kWords + s];
    return e;
  }

  // The exact sum rounded to the nearest double (ties to even).
  double value() {
    if (special_[2] > 0 || (special_[0] > 0 && special_[1] > 0))
      return std::numeric_limits<double>::quiet_NaN();
    if (special_[0] > 0) return std::numeric_limits<double>::infinity();
    if (special_[1] > 0) return -std::numeric_limits<double>::infinity();
    normalise();
    // The value is sum digits_[w] 2^(32 w) with 0 <= digits_[w] < 2^32 below
    // the top word; its sign is the top word's.
    std::int64_t magnitude[kWords];
    const bool negative = digits_[kWords - 1] < 0;
    if (negative) {  // two's complement negation, digit by digit
      std::int64_t borrow = 0;
      for (int w = 0; w < kWords; ++w) {
        std::int64_t d = -digits_[w] - borrow;
        borrow = 0;
        if (d < 0 && w + 1 < kWords) {
          d += std::int64_t(1) << 32;
          borrow = 1;
        }
        magnitude[w] = d;
      }
    } else {
      for (int w = 0; w < kWords; ++w) magnitude[w] = digits_[w];
    }
    int top = kWords - 1;
    while (top >= 0 && magnitude[top] == 0) --top;
    if (top < 0) return 0.0;
    // The top 128 bits, with a sticky bit for anything below them: enough for
    // a correctly rounded conversion to 53 bits.
    Wide head = 0;
    bool sticky = false;
    for (int w = top; w > top - 4; --w) head = (head << 32) | std::uint64_t(w >= 0 ? magnitude[w] : 0);
    for (int w = top - 4; w >= 0; --w) sticky = sticky || magnitude[w] != 0;
    if (sticky) head |= 1;
    const double rounded = std::ldexp(double(head), 32 * (top - 3) - kOffset);
    return negative ? -rounded : rounded;
  }

 private:
  void normalise() {
    std::int64_t carry = 0;
    for (int w = 0; w + 1 < kWords; ++w) {
      const std::int64_t d = digits_[w] + carry;
      carry = d >> 32;  // arithmetic shift: floor division
      digits_[w] = d - (carry << 32);
    }
    digits_[kWords - 1] += carry;
    pending_ = 0;
  }

  std::int64_t digits_[kWords] = {};
  std::int64_t special_[3] = {};  // +inf, -inf, NaN
  std::int64_t pending_ = 0;
};

}  // namespace cyto
