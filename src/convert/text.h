// Text forms of DolphinDB values that Python sees as str / Decimal (no Python headers, no GIL):
// UUID, IPADDR, INT128 (16 bytes in wire order) and DECIMAL32/64/128 (integer + scale).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/types.h"

namespace ddbpy::text {

// 36 chars, 8-4-4-4-12 lower-case hex.
std::string uuid(const uint8_t* wire16);
// 32 lower-case hex digits.
std::string int128(const uint8_t* wire16);
// Dotted IPv4 when the upper 96 bits are zero, else 8 hex groups separated by ':'.
std::string ipaddr(const uint8_t* wire16);
bool allZero(const uint8_t* wire16);
// The text of a 16-byte value of type t (UUID, IPADDR or INT128).
std::string wide(ddb::Type t, const uint8_t* wire16);

// Whether bytes are well-formed UTF-8 as Python's strict decoder reads it (no overlong forms,
// no surrogates, nothing above U+10FFFF). Pure ASCII is checked 8 bytes at a time.
bool validUtf8(const uint8_t* p, size_t n);
// Whether every byte is below 0x80 (checked 8 bytes at a time).
bool isAscii(const uint8_t* p, size_t n);

// A little-endian signed integer of type T at p, widened; *null when it is T's smallest value.
template <class T>
__int128 signedValue(const uint8_t* p, bool* null) {
    const T smallest = static_cast<T>(static_cast<unsigned __int128>(1) << (8 * sizeof(T) - 1));
    T v;
    std::memcpy(&v, p, sizeof v);
    *null = v == smallest;
    return v;
}

// Element i of `width`-byte signed integers (1, 2, 4, 8 or 16 bytes: BOOL, integral, temporal and
// DECIMAL values), widened; *null when it is the width's smallest value, DolphinDB's NULL.
inline __int128 signedAt(const uint8_t* data, int width, int64_t i, bool* null) {
    const uint8_t* p = data + static_cast<size_t>(i) * static_cast<size_t>(width);
    switch (width) {
        case 1: return signedValue<int8_t>(p, null);
        case 2: return signedValue<int16_t>(p, null);
        case 4: return signedValue<int32_t>(p, null);
        case 8: return signedValue<int64_t>(p, null);
        default: return signedValue<__int128>(p, null);
    }
}

// Decimal text of raw * 10^-scale, keeping trailing zeros ("1.10" for raw 110, scale 2).
std::string decimal(__int128 raw, int scale);

// Parsers used for forced UUID / IPADDR / INT128 uploads of str values; "" is the null (zeros).
// Return false on malformed input.
bool parseUuid(std::string_view s, uint8_t* wire16);
bool parseInt128(std::string_view s, uint8_t* wire16);
bool parseIpaddr(std::string_view s, uint8_t* wire16);
// The parser of type t (UUID, IPADDR or INT128).
bool parseWide(ddb::Type t, std::string_view s, uint8_t* wire16);

}   // namespace ddbpy::text
