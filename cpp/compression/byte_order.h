// Private to cpp/compression: little-endian loads/stores and zigzag, independent of the host order.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace ddb::compression_detail {

template <class T>
inline T byteSwap(T v) {
    if constexpr (sizeof(T) == 1) return v;
    else if constexpr (sizeof(T) == 2) return static_cast<T>(__builtin_bswap16(static_cast<uint16_t>(v)));
    else if constexpr (sizeof(T) == 4) return static_cast<T>(__builtin_bswap32(static_cast<uint32_t>(v)));
    else return static_cast<T>(__builtin_bswap64(static_cast<uint64_t>(v)));
}

template <class T>
inline T loadLE(const void* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::big) v = byteSwap(v);
    return v;
}

template <class T>
inline void storeLE(void* p, T v) {
    if constexpr (std::endian::native == std::endian::big) v = byteSwap(v);
    std::memcpy(p, &v, sizeof v);
}

inline uint64_t zigzagEncode(int64_t n) { return (static_cast<uint64_t>(n) << 1) ^ static_cast<uint64_t>(n >> 63); }
inline uint64_t zigzagDecode(uint64_t u) { return (u >> 1) ^ (0 - (u & 1)); }

}   // namespace ddb::compression_detail
