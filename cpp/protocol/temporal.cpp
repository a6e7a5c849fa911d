#include "protocol/temporal.h"

#include "errors.h"

namespace ddb {

int64_t floorDiv(__int128 a, int64_t b) {
    __int128 q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return static_cast<int64_t>(q);
}

int64_t daysFromCivil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void civilFromDays(int64_t z, int64_t* y, int64_t* m) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

int64_t temporalFromNanos(__int128 ns, Type t) {
    const TypeInfo& info = typeInfo(t);
    switch (info.temporal) {
        case TemporalKind::Dated: return info.nsPerUnit == 1 ? static_cast<int64_t>(ns) : floorDiv(ns, info.nsPerUnit);
        case TemporalKind::TimeOfDay:
            return floorDiv(ns - static_cast<__int128>(floorDiv(ns, kNsPerDay)) * kNsPerDay, info.nsPerUnit);
        case TemporalKind::Month: {
            int64_t y, m;
            civilFromDays(floorDiv(ns, kNsPerDay), &y, &m);
            return y * 12 + m - 1;
        }
        case TemporalKind::None: break;
    }
    throw ConversionError("Cannot convert a temporal value to " + typeName(static_cast<uint8_t>(t)) + ".");
}

}   // namespace ddb
