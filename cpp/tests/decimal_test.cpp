#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "protocol/decimal.h"

using namespace ddb;

namespace {

// The raw value as text ("-314"), or the result's name when there is none.
std::string rendered(DecimalResult result, __int128 raw) {
    switch (result) {
        case DecimalResult::Null: return "NULL";
        case DecimalResult::Invalid: return "invalid";
        case DecimalResult::Overflow: return "overflow";
        case DecimalResult::Value: break;
    }
    bool negative = raw < 0;
    auto magnitude = static_cast<unsigned __int128>(negative ? -raw : raw);
    std::string digits;
    do {
        digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
        magnitude /= 10;
    } while (magnitude);
    return negative ? "-" + digits : digits;
}

std::string text(Type t, int scale, std::string_view s) {
    __int128 raw = 0;
    DecimalResult r = decimalFromText(s, t, scale, &raw);
    return rendered(r, raw);
}

std::string fromDouble(Type t, int scale, double x) {
    __int128 raw = 0;
    DecimalResult r = decimalFromDouble(x, t, scale, &raw);
    return rendered(r, raw);
}

}   // namespace

TEST(DecimalText, ScalesAndRoundsHalfAwayFromZero) {
    EXPECT_EQ(text(Type::Decimal32, 3, "3.14"), "3140");
    EXPECT_EQ(text(Type::Decimal32, 3, "3.14159"), "3142");
    EXPECT_EQ(text(Type::Decimal32, 3, "0.0005"), "1");
    EXPECT_EQ(text(Type::Decimal32, 3, "-0.0005"), "-1");
    EXPECT_EQ(text(Type::Decimal32, 3, "2.6654999"), "2665");
    EXPECT_EQ(text(Type::Decimal64, 0, "-2.5"), "-3");
    EXPECT_EQ(text(Type::Decimal64, 2, " +.5 "), "50");
    EXPECT_EQ(text(Type::Decimal64, 2, "5."), "500");
    EXPECT_EQ(text(Type::Decimal64, 2, "007"), "700");
    EXPECT_EQ(text(Type::Decimal128, 38, "1.00000000000000000000000000000000000000000001"),
              "100000000000000000000000000000000000000");
}

TEST(DecimalText, NullWords) {
    for (const char* s : {"", "  ", "nan", "NaN", "inf", "-inf", "+Infinity", "INF"})
        EXPECT_EQ(text(Type::Decimal32, 2, s), "NULL") << s;
}

TEST(DecimalText, RefusesWhatIsNotADecimalNumber) {
    for (const char* s : {"abc", "1e2", "1,000", "3.14abc", "0x10", "--1", "1.2.3", ".", "-", "+", "1 2", "nanx"})
        EXPECT_EQ(text(Type::Decimal64, 2, s), "invalid") << s;
}

TEST(DecimalText, OverflowAtTheTypesRange) {
    EXPECT_EQ(text(Type::Decimal32, 0, "2147483647"), "2147483647");
    EXPECT_EQ(text(Type::Decimal32, 0, "-2147483647"), "-2147483647");
    EXPECT_EQ(text(Type::Decimal32, 0, "2147483648"), "overflow");
    EXPECT_EQ(text(Type::Decimal32, 3, "2147483.6475"), "overflow");   // rounds past the range
    EXPECT_EQ(text(Type::Decimal32, 3, "99999999999"), "overflow");
    EXPECT_EQ(text(Type::Decimal64, 3, "99999999999"), "99999999999000");
    EXPECT_EQ(text(Type::Decimal128, 0, "170141183460469231731687303715884105727"), "170141183460469231731687303715884105727");
    EXPECT_EQ(text(Type::Decimal128, 0, "170141183460469231731687303715884105728"), "overflow");
}

TEST(DecimalFromDouble, TruncatesTheDoubleProduct) {
    EXPECT_EQ(fromDouble(Type::Decimal32, 3, 3.14159), "3141");
    EXPECT_EQ(fromDouble(Type::Decimal32, 3, -3.14159), "-3141");
    EXPECT_EQ(fromDouble(Type::Decimal64, 3, 0.29), "290");   // 0.29 * 1000 is 290.0 as a double
    EXPECT_EQ(fromDouble(Type::Decimal64, 2, 0.57), "56");   // 56.999999999999993
    EXPECT_EQ(fromDouble(Type::Decimal32, 2, -4.35), "-434");
    EXPECT_EQ(fromDouble(Type::Decimal64, 3, static_cast<double>(0.29f)), "289");
    EXPECT_EQ(fromDouble(Type::Decimal32, 0, 2147483647.0), "2147483647");
    EXPECT_EQ(fromDouble(Type::Decimal32, 0, 2147483648.0), "overflow");
    EXPECT_EQ(fromDouble(Type::Decimal32, 0, -2147483648.0), "overflow");
    EXPECT_EQ(fromDouble(Type::Decimal64, 0, 9.2e18), "9200000000000000000");
    EXPECT_EQ(fromDouble(Type::Decimal64, 0, 9.3e18), "overflow");
    EXPECT_EQ(fromDouble(Type::Decimal32, 2, std::nan("")), "NULL");
    EXPECT_EQ(fromDouble(Type::Decimal64, 2, -std::numeric_limits<double>::infinity()), "NULL");
}

TEST(DecimalFromDouble, Decimal128TruncatesTheExactBinaryValue) {
    EXPECT_EQ(fromDouble(Type::Decimal128, 3, 0.57), "569");   // 0.56999999999999995115...
    EXPECT_EQ(fromDouble(Type::Decimal128, 1, 8.2), "81");
    EXPECT_EQ(fromDouble(Type::Decimal128, 20, 0.1), "10000000000000000555");
    EXPECT_EQ(fromDouble(Type::Decimal128, 2, 1e20), "10000000000000000000000");
    EXPECT_EQ(fromDouble(Type::Decimal128, 3, -2.5), "-2500");
    EXPECT_EQ(fromDouble(Type::Decimal128, 10, 0.0), "0");
    EXPECT_EQ(fromDouble(Type::Decimal128, 35, 1e-300), "0");
    EXPECT_EQ(fromDouble(Type::Decimal128, 0, 1e38), "99999999999999997748809823456034029568");
    EXPECT_EQ(fromDouble(Type::Decimal128, 0, 1e39), "overflow");
    EXPECT_EQ(fromDouble(Type::Decimal128, 38, 2.0), "overflow");
}
