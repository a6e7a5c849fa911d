#include "writers/hash.h"

#include <cstring>
#include <limits>

#include "errors.h"

namespace ddb::writers {

namespace {

constexpr uint32_t kMix = 0x5bd1e995;

inline uint32_t mixWord(uint32_t h, uint32_t k) {
    k *= kMix;
    k ^= k >> 24;
    k *= kMix;
    h *= kMix;
    return h ^ k;
}

inline uint32_t finalize(uint32_t h) {
    h ^= h >> 13;
    h *= kMix;
    return h ^ (h >> 15);
}

inline uint32_t loadWord(const uint8_t* p) {
    uint32_t k;
    std::memcpy(&k, p, 4);   // little-endian hosts only (x86-64, aarch64): the wire order
    return k;
}

template <class Signed, class Unsigned>
void integral(const Column& c, int64_t begin, int64_t end, uint32_t buckets, int32_t* out) {
    const Signed* v = c.data->as<Signed>();
    const Signed null = std::numeric_limits<Signed>::min();
    for (int64_t i = begin; i < end; ++i) {
        Signed x = v[i];
        out[i - begin] = x == null ? -1 : static_cast<int32_t>(static_cast<Unsigned>(x) % buckets);
    }
}

}   // namespace

uint32_t murmur32(std::string_view bytes) {
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
    size_t len = bytes.size();
    uint32_t h = static_cast<uint32_t>(len);
    for (; len >= 4; len -= 4, p += 4) h = mixWord(h, loadWord(p));
    switch (len) {
        case 3: h ^= static_cast<uint32_t>(p[2]) << 16; [[fallthrough]];
        case 2: h ^= static_cast<uint32_t>(p[1]) << 8; [[fallthrough]];
        case 1: h ^= p[0]; h *= kMix;
    }
    return finalize(h);
}

uint32_t murmur32x16(const uint8_t* p) {
    uint32_t h = 16;
    for (int i = 0; i < 4; ++i) h = mixWord(h, loadWord(p + 4 * i));
    return finalize(h);
}

bool isHashable(Type t) { return typeInfo(t).hashable; }

void hashBuckets(const Column& c, int64_t begin, int64_t end, uint32_t buckets, int32_t* out) {
    const TypeInfo& info = typeInfo(c.type());
    if (!info.hashable) throw ConversionError("Key must be integer, date/time, or string.");
    if (info.elements != Elements::Fixed) {   // STRING, SYMBOL, BLOB
        for (int64_t i = begin; i < end; ++i) {
            std::string_view s = c.stringAt(i);
            out[i - begin] = s.empty() ? 0 : static_cast<int32_t>(murmur32(s) % buckets);
        }
        return;
    }
    switch (info.width) {
        case 1: return integral<int8_t, uint32_t>(c, begin, end, buckets, out);   // sign-extended to 32 bits
        case 2: return integral<int16_t, uint32_t>(c, begin, end, buckets, out);
        case 4: return integral<int32_t, uint32_t>(c, begin, end, buckets, out);
        case 8: return integral<int64_t, uint64_t>(c, begin, end, buckets, out);
        default:   // UUID, INT128, IPADDR
            for (int64_t i = begin; i < end; ++i)
                out[i - begin] = static_cast<int32_t>(murmur32x16(c.data->data() + 16 * i) % buckets);
            return;
    }
}

}   // namespace ddb::writers
