// Text forms of DolphinDB values that Python sees as str / Decimal (no Python headers, no GIL):
// UUID, IPADDR, INT128 (16 bytes in wire order) and DECIMAL32/64/128 (integer + scale).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ddbpy::text {

// 36 chars, 8-4-4-4-12 lower-case hex.
std::string uuid(const uint8_t* wire16);
// 32 lower-case hex digits.
std::string int128(const uint8_t* wire16);
// Dotted IPv4 when the upper 96 bits are zero, else 8 hex groups separated by ':'.
std::string ipaddr(const uint8_t* wire16);
bool allZero(const uint8_t* wire16);

// Whether bytes are well-formed UTF-8 as Python's strict decoder reads it (no overlong forms,
// no surrogates, nothing above U+10FFFF). Pure ASCII is checked 8 bytes at a time.
bool validUtf8(const uint8_t* p, size_t n);
// Whether every byte is below 0x80 (checked 8 bytes at a time).
bool isAscii(const uint8_t* p, size_t n);

// Decimal text of raw * 10^-scale, keeping trailing zeros ("1.10" for raw 110, scale 2).
std::string decimal(__int128 raw, int scale);

// Parsers used for forced UUID / IPADDR / INT128 uploads of str values; "" is the null (zeros).
// Return false on malformed input.
bool parseUuid(std::string_view s, uint8_t* wire16);
bool parseInt128(std::string_view s, uint8_t* wire16);
bool parseIpaddr(std::string_view s, uint8_t* wire16);

}   // namespace ddbpy::text
