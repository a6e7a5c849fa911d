// Compressed vector framing (PROTOCOL.md §6.2): the 28-byte header and the block loop.
#include "compression/compression.h"

#include <lz4.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "compression/byte_order.h"
#include "protocol/types.h"

namespace ddb {

using compression_detail::loadLE;
using compression_detail::storeLE;

namespace {

constexpr int8_t kMethodLz4 = 1;
constexpr int8_t kMethodDelta = 2;
constexpr int32_t kHeaderTail = 20;   // header bytes counted by byteSize (offset 8 to 28)

// A delta-of-delta value costs at most 70 bits (`111110` + 64); add the first value, first delta
// and the end marker. Blocks larger than this for a 65,536-byte block of values are not sane.
size_t maxDeltaBlockBytes(int unitLength) {
    const size_t values = kCompressionBlockSize / static_cast<size_t>(unitLength);
    const size_t bits = values * 70 + 2 * (1 + 64) + 71;
    return (bits / 64 + 1) * 8;
}
const size_t kMaxLz4BlockBytes = static_cast<size_t>(LZ4_compressBound(static_cast<int>(kCompressionBlockSize)));

std::string methodName(int8_t m) { return m == kMethodLz4 ? "LZ4" : "delta-of-delta"; }

// Element width when the payload is elementCount values of one fixed width, else 0.
int fixedUnit(const CompressedHeader& h) {
    const auto raw = static_cast<uint8_t>(h.dataType);
    if (raw >= kArrayTypeBase) return 0;   // array vectors, extended symbol vectors
    return fixedWidth(static_cast<Type>(raw));
}

// Checks the header fields that do not depend on the direction. Returns the fixed element width
// (0 for variable-width payloads).
int checkHeader(const CompressedHeader& h) {
    if (h.method != kMethodLz4 && h.method != kMethodDelta)
        throw ProtocolError("Invalid compression method " + std::to_string(h.method));
    if (h.elementCount < 0) throw ProtocolError("Invalid compressed vector element count " + std::to_string(h.elementCount));
    // Variable-width payloads carry 0 or, from the official client, -1 here; nobody reads it.
    const int width = fixedUnit(h);
    if (width > 0 && h.unitLength != width)
        throw ProtocolError("Compressed " + typeName(static_cast<uint8_t>(h.dataType)) + " vector has unit length " +
                            std::to_string(h.unitLength) + ", expected " + std::to_string(width));
    if (h.method == kMethodDelta) {
        if (!deltaType(static_cast<uint8_t>(h.dataType)))
            throw ProtocolError("Delta-of-delta compression is not supported for " + typeName(static_cast<uint8_t>(h.dataType)) +
                                " vectors");
    }
    return width;
}

// Smallest payload a variable-width vector of n elements can have (a NUL per string, a length
// per BLOB); used only to reject impossible totals.
int64_t minVariablePayload(const CompressedHeader& h) {
    const auto raw = static_cast<uint8_t>(h.dataType);
    if (raw >= kArrayTypeBase) return 0;
    switch (typeInfo(static_cast<Type>(raw)).elements) {
        case Elements::Blob: return int64_t{4} * h.elementCount;
        case Elements::Text: return h.elementCount;
        default: return 0;
    }
}

// Grows out's capacity ahead of appending `more` bytes without shrinking the doubling policy.
void ensureRoom(std::string& out, size_t more) {
    const size_t need = out.size() + more;
    if (need > out.capacity()) out.reserve(std::max(need, out.capacity() * 2));
}

// Appends the blocks of `payload` (§6.3/§6.4 block sizes) to out.
void writeBlocks(Sink& out, const CompressedHeader& header, int width, std::string_view payload) {
    auto putBlock = [&](const std::string& block) {
        uint8_t* p = out.extend(4 + block.size());
        storeLE<int32_t>(p, static_cast<int32_t>(block.size()));
        std::memcpy(p + 4, block.data(), block.size());
    };

    size_t pos = 0;
    if (header.method == kMethodLz4) {
        const size_t fixedChunk = header.unitLength > 0
            ? kCompressionBlockSize - kCompressionBlockSize % static_cast<size_t>(header.unitLength)
            : kCompressionBlockSize;
        while (pos < payload.size()) {
            size_t chunk = std::min(fixedChunk, payload.size() - pos);
            if (header.unitLength <= 0 && chunk < payload.size() - pos) {
                // Keep whole NUL-terminated strings inside one block where one fits.
                const void* nul = memrchr(payload.data() + pos, '\0', chunk);
                if (nul) chunk = static_cast<size_t>(static_cast<const char*>(nul) - (payload.data() + pos)) + 1;
            }
            putBlock(lz4CompressBlock(payload.substr(pos, chunk)));
            pos += chunk;
        }
    } else {
        const size_t chunk = kCompressionBlockSize / static_cast<size_t>(width) * static_cast<size_t>(width);
        while (pos < payload.size()) {
            const size_t n = std::min(chunk, payload.size() - pos);
            putBlock(deltaEncodeBlock(payload.substr(pos, n), width));
            pos += n;
        }
    }
}

}   // namespace

bool deltaType(uint8_t raw) { return raw < kArrayTypeBase && typeInfo(static_cast<Type>(raw)).deltaOfDelta; }

std::string readCompressedPayload(Source& in, CompressedHeader& h) {
    uint8_t raw[kCompressedHeaderSize];
    in.read(raw, sizeof raw);
    h.byteSize = loadLE<int32_t>(raw + 0);
    h.colCount = loadLE<int32_t>(raw + 4);
    h.version = static_cast<int8_t>(raw[8]);
    h.flags = static_cast<int8_t>(raw[9]);
    h.charCode = static_cast<int8_t>(raw[10]);
    h.method = static_cast<int8_t>(raw[11]);
    h.dataType = static_cast<int8_t>(raw[12]);
    h.unitLength = static_cast<int8_t>(raw[13]);
    h.reserved = loadLE<int16_t>(raw + 14);
    h.extra = loadLE<int32_t>(raw + 16);
    h.elementCount = loadLE<int32_t>(raw + 20);
    h.checkSum = loadLE<int32_t>(raw + 24);

    if (!(h.flags & 1))
        throw ProtocolError("Compressed vector data is big-endian (header flags " + std::to_string(h.flags) +
                            "); only little-endian compressed data is supported");
    if (h.byteSize < kHeaderTail)
        throw ProtocolError("Invalid compressed vector byteSize " + std::to_string(h.byteSize) +
                            " (less than the 20 header bytes it counts)");
    const int width = checkHeader(h);

    int64_t left = int64_t{h.byteSize} - kHeaderTail;   // bytes of blocks still to read
    const int64_t available = in.remaining();
    if (available >= 0 && left > available)
        throw ProtocolError("Compressed vector byteSize " + std::to_string(h.byteSize) + " needs " + std::to_string(left) +
                            " bytes of blocks, only " + std::to_string(available) + " available");

    // What the header promises, and what the blocks could at most produce. LZ4 expands at most
    // ~255:1 and delta-of-delta 64:1, so 256 x the block bytes bounds any honest or lying stream
    // once byteSize was checked against the bytes actually present.
    const int64_t expected = width > 0 ? int64_t{h.elementCount} * width : -1;
    const int64_t producible = available >= 0 ? left * 256 : int64_t{4} << 20;
    std::string out;
    if (expected >= 0) out.reserve(static_cast<size_t>(std::min(expected, producible)) + kCompressionBlockSize);
    else out.reserve(static_cast<size_t>(std::min(left * 4, producible)));

    const size_t maxBlock = h.method == kMethodLz4 ? kMaxLz4BlockBytes : maxDeltaBlockBytes(width);
    std::string block;
    int64_t values = 0;   // delta-of-delta values decoded so far
    while (left > 0) {
        if (left < 4)
            throw ProtocolError("Truncated compressed vector: " + std::to_string(left) +
                                " bytes left of byteSize, too few for a block size");
        uint8_t sizeBytes[4];
        in.read(sizeBytes, 4);
        left -= 4;
        const int32_t blockSize = loadLE<int32_t>(sizeBytes);
        if (blockSize < 0)
            throw ProtocolError("Compressed block size " + std::to_string(blockSize) +
                                " has the LSN flag (bit 31) set; LSN blocks are not supported");
        if (blockSize == 0) throw ProtocolError("Invalid compressed block size 0");
        if (blockSize > left)
            throw ProtocolError("Compressed block of " + std::to_string(blockSize) + " bytes exceeds the " +
                                std::to_string(left) + " bytes left of byteSize " + std::to_string(h.byteSize));
        if (static_cast<size_t>(blockSize) > maxBlock)
            throw ProtocolError("Compressed " + methodName(h.method) + " block of " + std::to_string(blockSize) +
                                " bytes exceeds the maximum of " + std::to_string(maxBlock));
        block.resize(static_cast<size_t>(blockSize));
        in.read(block.data(), block.size());
        left -= blockSize;

        if (h.method == kMethodLz4) {
            ensureRoom(out, kCompressionBlockSize);
            lz4DecompressBlock(block, out, kCompressionBlockSize);
            if (expected >= 0 && static_cast<int64_t>(out.size()) > expected)
                throw ProtocolError("LZ4 data decompresses to more than elementCount x unitLength = " + std::to_string(expected) +
                                    " bytes");
        } else {
            const int64_t remainingValues = h.elementCount - values;
            if (remainingValues == 0)
                throw ProtocolError("Delta-of-delta data has more blocks than its " + std::to_string(h.elementCount) +
                                    " values need");
            const size_t perBlock = kCompressionBlockSize / static_cast<size_t>(width);
            const size_t maxValues = std::min(perBlock, static_cast<size_t>(remainingValues));
            ensureRoom(out, maxValues * static_cast<size_t>(width));
            const size_t before = out.size();
            deltaDecodeBlock(block, width, maxValues, out);
            values += static_cast<int64_t>((out.size() - before) / static_cast<size_t>(width));
        }
    }

    const auto total = static_cast<int64_t>(out.size());
    if (expected >= 0 && total != expected)
        throw ProtocolError("Compressed " + typeName(static_cast<uint8_t>(h.dataType)) + " vector decompressed to " +
                            std::to_string(total) + " bytes, expected elementCount x unitLength = " +
                            std::to_string(h.elementCount) + " x " + std::to_string(width) + " = " + std::to_string(expected));
    if (expected < 0 && total < minVariablePayload(h))
        throw ProtocolError("Compressed " + typeName(static_cast<uint8_t>(h.dataType)) + " vector of " +
                            std::to_string(h.elementCount) + " elements decompressed to only " + std::to_string(total) +
                            " bytes");
    return out;
}

void writeCompressed(Sink& out, CompressedHeader header, std::string_view payload) {
    header.version = 0;
    header.flags = 1;
    header.charCode = -1;
    header.checkSum = -1;
    header.colCount = 1;
    const int width = checkHeader(header);
    const auto rawType = static_cast<uint8_t>(header.dataType);
    if (header.method == kMethodLz4 && (rawType == static_cast<uint8_t>(Type::Symbol) || rawType == kSymbolWithBase))
        throw ProtocolError("LZ4 compression of SYMBOL vectors is not supported");
    if (width > 0 && payload.size() != static_cast<size_t>(header.elementCount) * static_cast<size_t>(width))
        throw ProtocolError("Payload of " + std::to_string(payload.size()) + " bytes does not hold elementCount x " +
                            "unitLength = " + std::to_string(header.elementCount) + " x " + std::to_string(width) + " bytes");

    // Header first with byteSize 0, patched once the blocks are written.
    const Sink::Mark start = out.mark();
    const size_t headerAt = start.written;
    uint8_t* h = out.extend(kCompressedHeaderSize);
    storeLE<int32_t>(h + 0, 0);
    storeLE<int32_t>(h + 4, header.colCount);
    h[8] = static_cast<uint8_t>(header.version);
    h[9] = static_cast<uint8_t>(header.flags);
    h[10] = static_cast<uint8_t>(header.charCode);
    h[11] = static_cast<uint8_t>(header.method);
    h[12] = static_cast<uint8_t>(header.dataType);
    h[13] = static_cast<uint8_t>(header.unitLength);
    storeLE<int16_t>(h + 14, header.reserved);
    storeLE<int32_t>(h + 16, header.extra);
    storeLE<int32_t>(h + 20, header.elementCount);
    storeLE<int32_t>(h + 24, header.checkSum);

    try {
        writeBlocks(out, header, width, payload);
    } catch (...) {
        out.rollback(start);   // leave the sink as it was
        throw;
    }

    const size_t byteSize = out.size() - headerAt - 8;
    if (byteSize > static_cast<size_t>(INT32_MAX)) {
        out.rollback(start);
        throw ProtocolError("Compressed vector of " + std::to_string(byteSize) + " bytes is too large");
    }
    storeLE<int32_t>(out.data() + headerAt, static_cast<int32_t>(byteSize));
}

}   // namespace ddb
