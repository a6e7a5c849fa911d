// Serialization of DolphinDB objects (PROTOCOL.md §5, §6): flag word + body.
#pragma once

#include <map>
#include <string>

#include "protocol/io.h"
#include "protocol/value.h"

namespace ddb {

struct DecodeOptions {
    bool swapBytes = false;   // the stream's byte order differs from ours (big-endian peer)
};

struct EncodeOptions {
    // Table columns: compress them (table type byte 8). A column's method comes from
    // `columnMethods` (by name), else from the table's own Value::compressMethods, else
    // `defaultMethod`. Auto picks LZ4, or delta-of-delta for integral and temporal columns
    // when a sample of the column encodes smaller that way; SYMBOL columns are never compressed.
    bool compressTables = false;
    CompressMethod defaultMethod = CompressMethod::Auto;
    std::map<std::string, CompressMethod> columnMethods;
};

// Whether delta-of-delta can encode a column: SHORT/INT/LONG, temporal types, DECIMAL32/64
// (§6.1), not array vectors.
bool deltaCompressible(const Column& c);

// Reads one object (flag word first). Throws ProtocolError on malformed input. A form byte with
// 0x20 added introduces a PICKLE or ARROW result (§7): the payload is told apart by its first
// byte (0xFF: an Arrow IPC continuation marker; a pickle never starts with 0xFF) and read
// completely (pickle.h, arrow_stream.h); a pickle naming a global outside the allow-list is
// refused with ConversionError after it was read.
Value decodeObject(Source& in, const DecodeOptions& options = {});
// Reads the body of an object whose flag word was already read.
Value decodeObjectBody(Source& in, Form form, uint8_t rawType, const DecodeOptions& options = {});

void encodeObject(const Value& v, Sink& out, const EncodeOptions& options = {});

inline std::string serialize(const Value& v, const EncodeOptions& options = {}) {
    Sink s;
    encodeObject(v, s, options);
    return std::string(s.written());
}
inline Value deserialize(std::string_view bytes) {
    MemorySource src(bytes);
    Value v = decodeObject(src);
    if (src.remaining() != 0) throw ProtocolError("trailing bytes after a serialized object");
    return v;
}

}   // namespace ddb
