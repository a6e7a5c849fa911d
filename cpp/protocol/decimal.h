// DECIMAL32/64/128 raw values (value * 10^scale) from text and from a DOUBLE, as uploads take
// them when a DECIMAL type is forced on str / bytes / float values.
#pragma once

#include <string_view>

#include "protocol/types.h"

namespace ddb {

enum class DecimalResult {
    Value,   // *raw holds the value
    Null,   // the value is DolphinDB's NULL
    Invalid,   // text that is not a decimal number
    Overflow,   // beyond the type's range at this scale
};

// The largest magnitude type t (DECIMAL32/64/128) stores; -(max + 1) is its NULL.
unsigned __int128 decimalMaxMagnitude(Type t);

// Decimal text: optional blanks, an optional sign, digits with at most one '.', optional blanks
// ("3.14", "-.5", "+7.", " 1 "). Places beyond `scale` round half away from zero, as the
// server's decimal32("1.345", 2) and the official client do. "", blanks only and
// NaN / Inf / Infinity (any case, signed or not) are NULL, as float NaN and +-inf are. Anything
// else (exponents, thousands separators, trailing text) is Invalid: the official client reads
// such text up to its first odd character ("1e2" as 1, "1,000" as 1), which would be silent loss.
DecimalResult decimalFromText(std::string_view text, Type t, int scale, __int128* raw);

// A DOUBLE times 10^scale truncated toward zero, as the server's decimal32(x, s) / decimal64(x, s)
// and the official client take a float: the product is rounded to a double first, so 0.29 is
// 0.290 at scale 3 but 0.57 is 0.56 at scale 2 (0.57 * 100 is 56.999999999999993 as a double).
// DECIMAL128 (scales past a double's 17 digits) truncates the double's exact binary value
// instead, which is what the official client's extended-precision product approximates (0.57 is
// 0.569 at scale 3). NaN and +-inf are NULL.
DecimalResult decimalFromDouble(double x, Type t, int scale, __int128* raw);

}   // namespace ddb
