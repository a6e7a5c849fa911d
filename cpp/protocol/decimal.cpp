#include "protocol/decimal.h"

#include <array>
#include <cmath>
#include <cstdint>

namespace ddb {

namespace {

using U128 = unsigned __int128;

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool equalsIgnoringCase(std::string_view s, std::string_view lowerWord) {
    if (s.size() != lowerWord.size()) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != lowerWord[i]) return false;
    }
    return true;
}

__int128 withSign(U128 magnitude, bool negative) {
    auto v = static_cast<__int128>(magnitude);
    return negative ? -v : v;
}

// A 256-bit unsigned integer, four little-endian 64-bit limbs: wide enough for a double's 53-bit
// significand times 10^38.
struct Wide {
    std::array<uint64_t, 4> limb{};

    void timesTen() {
        U128 carry = 0;
        for (auto& l : limb) {
            U128 p = static_cast<U128>(l) * 10 + carry;
            l = static_cast<uint64_t>(p);
            carry = p >> 64;
        }
    }
    int bitLength() const {
        for (int i = 3; i >= 0; --i)
            if (limb[i]) return 64 * i + (64 - __builtin_clzll(limb[i]));
        return 0;
    }
    void shift(int bits) {   // left when bits > 0; bits within (-256, 256)
        std::array<uint64_t, 4> out{};
        for (int i = 0; i < 256; ++i) {
            int from = i - bits;
            if (from >= 0 && from < 256 && ((limb[from / 64] >> (from % 64)) & 1)) out[i / 64] |= uint64_t{1} << (i % 64);
        }
        limb = out;
    }
};

}   // namespace

U128 decimalMaxMagnitude(Type t) { return (static_cast<U128>(1) << (8 * fixedWidth(t) - 1)) - 1; }

DecimalResult decimalFromText(std::string_view text, Type t, int scale, __int128* raw) {
    while (!text.empty() && isBlank(text.front())) text.remove_prefix(1);
    while (!text.empty() && isBlank(text.back())) text.remove_suffix(1);
    if (text.empty()) return DecimalResult::Null;
    bool negative = text.front() == '-';
    if (text.front() == '-' || text.front() == '+') text.remove_prefix(1);
    if (equalsIgnoringCase(text, "nan") || equalsIgnoringCase(text, "inf") || equalsIgnoringCase(text, "infinity"))
        return DecimalResult::Null;
    const U128 limit = decimalMaxMagnitude(t);
    U128 magnitude = 0;
    bool digits = false, dot = false, overflow = false, roundUp = false;
    int places = 0;   // fraction digits kept
    bool rounded = false;   // the first digit past `scale` has been seen
    for (char c : text) {
        if (c == '.' && !dot) {
            dot = true;
            continue;
        }
        if (c < '0' || c > '9') return DecimalResult::Invalid;
        digits = true;
        int d = c - '0';
        if (dot && places == scale) {
            if (!rounded) roundUp = d >= 5;
            rounded = true;
            continue;
        }
        if (dot) ++places;
        if (magnitude > (limit - static_cast<U128>(d)) / 10) overflow = true;
        else magnitude = magnitude * 10 + static_cast<U128>(d);
    }
    if (!digits) return DecimalResult::Invalid;
    if (overflow) return DecimalResult::Overflow;
    for (; places < scale; ++places) {
        if (magnitude > limit / 10) return DecimalResult::Overflow;
        magnitude *= 10;
    }
    if (roundUp) {
        if (magnitude == limit) return DecimalResult::Overflow;
        ++magnitude;
    }
    *raw = withSign(magnitude, negative);
    return DecimalResult::Value;
}

DecimalResult decimalFromDouble(double x, Type t, int scale, __int128* raw) {
    if (!std::isfinite(x)) return DecimalResult::Null;
    const U128 limit = decimalMaxMagnitude(t);
    if (t != Type::Decimal128) {
        static constexpr double kPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                                  1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
        double product = x * kPowersOfTen[scale];
        // limit + 1 is a power of two, exact as a double: |trunc(product)| <= limit iff below it.
        if (!(std::fabs(product) < static_cast<double>(limit + 1))) return DecimalResult::Overflow;
        *raw = static_cast<int64_t>(product);
        return DecimalResult::Value;
    }
    int exponent = 0;
    double fraction = std::frexp(std::fabs(x), &exponent);   // |x| = fraction * 2^exponent
    Wide v;
    v.limb[0] = static_cast<uint64_t>(std::ldexp(fraction, 53));   // |x| = significand * 2^(exponent - 53)
    exponent -= 53;
    for (int i = 0; i < scale; ++i) v.timesTen();
    if (exponent > 0) {
        if (v.bitLength() != 0 && v.bitLength() + exponent > 127) return DecimalResult::Overflow;
        v.shift(exponent);
    } else if (exponent < 0) {
        if (-exponent >= 256) v = Wide{};
        else v.shift(exponent);
    }
    if (v.limb[2] || v.limb[3]) return DecimalResult::Overflow;
    U128 magnitude = (static_cast<U128>(v.limb[1]) << 64) | v.limb[0];
    if (magnitude > limit) return DecimalResult::Overflow;
    *raw = withSign(magnitude, std::signbit(x));
    return DecimalResult::Value;
}

}   // namespace ddb
