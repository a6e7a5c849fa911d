// Serialization of DolphinDB objects (PROTOCOL.md §5, §6): flag word + body.
#pragma once

#include <map>
#include <string>

#include "protocol/io.h"
#include "protocol/value.h"

namespace ddb {

enum class CompressMethod : uint8_t { None = 0, Lz4 = 1, Delta = 2 };

struct DecodeOptions {
    bool swapBytes = false;   // the stream's byte order differs from ours (big-endian peer)
};

struct EncodeOptions {
    // Table columns: compress them (table type byte 8) with a per-column method. Columns not
    // named use `defaultMethod`; SYMBOL columns are never compressed.
    bool compressTables = false;
    CompressMethod defaultMethod = CompressMethod::Lz4;
    std::map<std::string, CompressMethod> columnMethods;
};

// Reads one object (flag word first). Throws ProtocolError on malformed input.
Value decodeObject(Source& in, const DecodeOptions& options = {});
// Reads the body of an object whose flag word was already read.
Value decodeObjectBody(Source& in, Form form, uint8_t rawType, const DecodeOptions& options = {});

void encodeObject(const Value& v, Sink& out, const EncodeOptions& options = {});

inline std::string serialize(const Value& v, const EncodeOptions& options = {}) {
    Sink s;
    encodeObject(v, s, options);
    return std::move(s.bytes());
}
inline Value deserialize(std::string_view bytes) {
    MemorySource src(bytes);
    Value v = decodeObject(src);
    if (src.remaining() != 0) throw ProtocolError("trailing bytes after a serialized object");
    return v;
}

}  // namespace ddb
