// Partition domains (BULK_WRITERS.md §2.3): which partition key a row's partitioning value
// belongs to, computed over a whole column without locks or Python. One Domain per level; the
// writers group rows by key (PartitionedTableAppender) or route them to a thread (the
// multithreaded writer), so two connections never write one partition at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocol/value.h"

namespace ddb::writers {

enum class PartitionType : int { Seq = 0, Value = 1, Range = 2, List = 3, Compo = 4, Hash = 5 };

class Domain {
public:
    // `schemeType`: the schema's partitionColumnType; `scheme`: its partitionSchema for this level
    // (VALUE / RANGE: a vector; LIST: a tuple of scalars and vectors, or a vector; HASH: the INT
    // bucket count). Throws ConversionError with the official texts for SEQ, COMPO and LONG
    // VALUE domains.
    Domain(int partitionType, Type schemeType, const Value& scheme);

    PartitionType type() const { return type_; }
    Type schemeType() const { return schemeType_; }

    // keys[i] for rows [0, column.length): a non-negative key, or -1 for a NULL value, a value
    // below/above every RANGE boundary, or one no LIST partition holds. A temporal column of
    // another unit is cast to the scheme's type first; another category than the scheme's is
    // ConversionError("Data category incompatible.").
    std::vector<int32_t> keys(const Column& column) const;

private:
    void rangeKeys(const Column& c, int32_t* out) const;
    void listKeys(const Column& c, int32_t* out) const;

    PartitionType type_;
    Type schemeType_;
    uint32_t buckets_ = 0;   // VALUE: 1048576; HASH: the bucket count
    std::vector<int64_t> intBounds_;   // RANGE over integral / temporal values
    std::vector<std::string> textBounds_;   // RANGE over literal values
    std::unordered_map<int64_t, int32_t> intLists_;   // LIST: value -> partition
    std::unordered_map<std::string, int32_t> textLists_;
};

}   // namespace ddb::writers
