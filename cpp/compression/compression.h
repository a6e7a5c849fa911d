// Vector compression (PROTOCOL.md §6): raw LZ4 blocks and delta-of-delta, with the 28-byte header.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/io.h"

namespace ddb {

// The 28-byte header that follows the flag word `1a 01` of a compressed vector (§6.2).
struct CompressedHeader {
    int32_t byteSize = 0;   // bytes from offset 8 to the end of the last block
    int32_t colCount = 1;
    int8_t version = 0;
    int8_t flags = 1;   // bit0 little-endian data
    int8_t charCode = -1;
    int8_t method = 1;   // 1 LZ4, 2 delta-of-delta
    int8_t dataType = 0;   // element type of the decompressed vector (may be an array type)
    int8_t unitLength = 0;   // element width, 0 for variable-width
    int16_t reserved = 0;   // decimal scale
    int32_t extra = 0;   // array vectors: total element count
    int32_t elementCount = 0;   // rows
    int32_t checkSum = -1;
};
constexpr size_t kCompressedHeaderSize = 28;
constexpr size_t kCompressionBlockSize = 65536;

// Reads header + blocks from `in` and returns the decompressed payload: the bytes an ordinary
// vector of header.dataType carries after its rows/cols[/scale] fields. Throws ProtocolError.
std::string readCompressedPayload(Source& in, CompressedHeader& header);

// Writes header + blocks for `payload` (the uncompressed vector payload). For Delta the unit
// length must be 2, 4 or 8. Throws ProtocolError if the method cannot encode the data.
void writeCompressed(Sink& out, CompressedHeader header, std::string_view payload);

// Whether delta-of-delta is defined for a wire type: integral, temporal and DECIMAL32/64 values.
bool deltaType(uint8_t raw);

// Building blocks, exposed for tests and the benchmark.
std::string lz4CompressBlock(std::string_view raw);
void lz4DecompressBlock(std::string_view block, std::string& out, size_t maxOutput);
std::string deltaEncodeBlock(std::string_view raw, int unitLength);
// Decodes one delta-of-delta block of at most `maxValues` values, appending them to out.
void deltaDecodeBlock(std::string_view block, int unitLength, size_t maxValues, std::string& out);

}   // namespace ddb
