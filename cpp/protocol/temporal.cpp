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
    auto timeOfDay = [&](int64_t unit) {
        return floorDiv(ns - static_cast<__int128>(floorDiv(ns, kNsPerDay)) * kNsPerDay, unit);
    };
    switch (t) {
        case Type::Date: return floorDiv(ns, kNsPerDay);
        case Type::Month: {
            int64_t y, m;
            civilFromDays(floorDiv(ns, kNsPerDay), &y, &m);
            return y * 12 + m - 1;
        }
        case Type::Time: return timeOfDay(1000000);
        case Type::Minute: return timeOfDay(60000000000LL);
        case Type::Second: return timeOfDay(1000000000LL);
        case Type::Nanotime: return timeOfDay(1);
        case Type::Datetime: return floorDiv(ns, 1000000000LL);
        case Type::Timestamp: return floorDiv(ns, 1000000LL);
        case Type::Nanotimestamp: return static_cast<int64_t>(ns);
        case Type::Datehour: return floorDiv(ns, 3600000000000LL);
        case Type::Dateminute: return floorDiv(ns, 60000000000LL);
        default: throw ConversionError("Cannot convert a temporal value to " + typeName(static_cast<uint8_t>(t)) + ".");
    }
}

}   // namespace ddb
