// The bucket hash DolphinDB uses for HASH partitions, VALUE-domain keys and `hashBucket`
// (BULK_WRITERS.md §2.4): integers and temporals reinterpreted as unsigned of their width,
// strings through 32-bit MurmurHash2 seeded with their length, 128-bit values through the
// 16-byte variant. Pure functions over column buffers: no locks, no Python.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/value.h"

namespace ddb::writers {

uint32_t murmur32(std::string_view bytes);
uint32_t murmur32x16(const uint8_t* sixteenBytes);

// Whether `hashBuckets` accepts a column of this type (integral, temporal, literal, 128-bit).
bool isHashable(Type t);

// out[i] = bucket of row i in [0, buckets), or -1 for a NULL integral/temporal value. The empty
// string hashes to 0 (never -1), as the official client's does. Throws ConversionError
// ("Key must be integer, date/time, or string.") for a type that cannot be hashed.
void hashBuckets(const Column& column, int64_t begin, int64_t end, uint32_t buckets, int32_t* out);

}   // namespace ddb::writers
