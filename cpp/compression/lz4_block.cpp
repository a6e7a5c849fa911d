// Raw LZ4 blocks (PROTOCOL.md §6.3): no frame header, no checksum, liblz4's block API.
#include <lz4.h>

#include <climits>
#include <string>

#include "compression/compression.h"

namespace ddb {

std::string lz4CompressBlock(std::string_view raw) {
    if (raw.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE))
        throw ProtocolError("LZ4 block input of " + std::to_string(raw.size()) + " bytes is too large");
    const int n = static_cast<int>(raw.size());
    std::string out(static_cast<size_t>(LZ4_compressBound(n)), '\0');
    const int written = LZ4_compress_default(raw.data(), out.data(), n, static_cast<int>(out.size()));
    if (written <= 0) throw ProtocolError("LZ4 compression failed");
    out.resize(static_cast<size_t>(written));
    return out;
}

void lz4DecompressBlock(std::string_view block, std::string& out, size_t maxOutput) {
    if (block.empty()) throw ProtocolError("Corrupt LZ4 block: empty");
    if (block.size() > static_cast<size_t>(INT_MAX) || maxOutput > static_cast<size_t>(INT_MAX))
        throw ProtocolError("LZ4 block of " + std::to_string(block.size()) + " bytes is too large");
    const size_t at = out.size();
    // Decompress straight into the output; the grown tail is cut back to what LZ4 produced.
    out.resize(at + maxOutput);
    const int n = LZ4_decompress_safe(block.data(), out.data() + at, static_cast<int>(block.size()), static_cast<int>(maxOutput));
    if (n < 0) {
        out.resize(at);
        throw ProtocolError("Corrupt LZ4 block of " + std::to_string(block.size()) +
                            " bytes (malformed, or it decompresses to more than " + std::to_string(maxOutput) + " bytes)");
    }
    out.resize(at + static_cast<size_t>(n));
}

}   // namespace ddb
