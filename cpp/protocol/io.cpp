#include "protocol/io.h"

namespace ddb {

void Source::readUntil(char terminator, std::string& out, size_t maxLength) {
    char c;
    const size_t start = out.size();   // maxLength bounds the appended bytes, not out's total size
    for (;;) {
        read(&c, 1);
        if (c == terminator) return;
        if (out.size() - start >= maxLength) throw ProtocolError("string longer than " + std::to_string(maxLength) + " bytes");
        out.push_back(c);
    }
}

void Source::readStrings(size_t count, std::string& data, int64_t* ends, size_t maxLength) {
    for (size_t i = 0; i < count; ++i) {
        readUntil('\0', data, maxLength);
        ends[i] = static_cast<int64_t>(data.size());
    }
}

void MemorySource::readStrings(size_t count, std::string& data, int64_t* ends, size_t maxLength) {
    const uint8_t* p = p_;
    for (size_t i = 0; i < count; ++i) {
        const void* hit = std::memchr(p, 0, end_ - p);
        if (!hit) {
            p_ = p;
            throw ProtocolError("truncated object: unterminated string");
        }
        size_t n = static_cast<const uint8_t*>(hit) - p;
        if (n > maxLength) {
            p_ = p;
            throw ProtocolError("string longer than " + std::to_string(maxLength) + " bytes");
        }
        data.append(reinterpret_cast<const char*>(p), n);
        ends[i] = static_cast<int64_t>(data.size());
        p += n + 1;
    }
    p_ = p;
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
