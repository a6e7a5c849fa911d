#include "protocol/io.h"

namespace ddb {

void Source::readUntil(char terminator, std::string& out, size_t maxLength) {
    char c;
    for (;;) {
        read(&c, 1);
        if (c == terminator) return;
        if (out.size() >= maxLength) throw ProtocolError("string longer than " + std::to_string(maxLength) + " bytes");
        out.push_back(c);
    }
}

void MemorySource::read(void* dst, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) throw ProtocolError("truncated object: needed " + std::to_string(n) +
                                                                " bytes, " + std::to_string(end_ - p_) + " left");
    if (n) std::memcpy(dst, p_, n);
    p_ += n;
}

void MemorySource::readUntil(char terminator, std::string& out, size_t maxLength) {
    const void* hit = std::memchr(p_, terminator, end_ - p_);
    if (!hit) throw ProtocolError("truncated object: unterminated string");
    size_t n = static_cast<const uint8_t*>(hit) - p_;
    if (n > maxLength) throw ProtocolError("string longer than " + std::to_string(maxLength) + " bytes");
    out.append(reinterpret_cast<const char*>(p_), n);
    p_ += n + 1;
}

}  // namespace ddb
