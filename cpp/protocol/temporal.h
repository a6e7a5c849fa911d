// Calendar arithmetic for DolphinDB's temporal types, shared by the upload conversions and the
// writers' temporal casts: proleptic Gregorian days, MONTH = year * 12 + month - 1, and an
// instant in nanoseconds floored to any temporal type.
#pragma once

#include <cstdint>

#include "protocol/types.h"

namespace ddb {

constexpr int64_t kNsPerDay = 86400000000000LL;

int64_t floorDiv(__int128 a, int64_t b);
int64_t daysFromCivil(int64_t year, int64_t month, int64_t day);
void civilFromDays(int64_t days, int64_t* year, int64_t* month);
// ns since the epoch -> value of t (floor); TIME/MINUTE/SECOND/NANOTIME take the time of day.
// Throws ConversionError for a non-temporal t.
int64_t temporalFromNanos(__int128 ns, Type t);

}   // namespace ddb
