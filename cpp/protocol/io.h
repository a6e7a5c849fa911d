// Byte sources and sinks for the codec. A Source reads exactly the bytes asked for, straight
// into the caller's memory, or throws; the decoder never reads ahead of what it needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "errors.h"

namespace ddb {

class Source {
public:
    virtual ~Source() = default;
    // Reads exactly n bytes into dst, or throws ProtocolError (truncated) / NetworkError.
    virtual void read(void* dst, size_t n) = 0;
    // Bytes certainly still available, or -1 when unknown (a socket). The decoder checks counts
    // against it before allocating; with -1 it grows buffers as bytes actually arrive.
    virtual int64_t remaining() const { return -1; }
    // Reads bytes up to and excluding `terminator` (which is consumed) and appends them to out.
    virtual void readUntil(char terminator, std::string& out, size_t maxLength);
    // Reads `count` NUL-terminated strings: appends each one's bytes (no terminator) to `data` and
    // stores data.size() after it in ends[i]. One virtual call per batch instead of per string;
    // the default scans the bytes peek() offers, then falls back to readUntil per string.
    virtual void readStrings(size_t count, std::string& data, int64_t* ends, size_t maxLength);
    // Bytes already at hand that the next reads return first (possibly none): lets a decoder
    // scan many small records without a call per record. consume(n) skips n of them.
    virtual std::string_view peek() { return {}; }
    virtual void consume(size_t n) {}
};

class MemorySource final : public Source {
public:
    MemorySource(const void* data, size_t size) : p_(static_cast<const uint8_t*>(data)), end_(p_ + size) {}
    explicit MemorySource(std::string_view bytes) : MemorySource(bytes.data(), bytes.size()) {}
    void read(void* dst, size_t n) override;
    int64_t remaining() const override { return end_ - p_; }
    void readUntil(char terminator, std::string& out, size_t maxLength) override;
    size_t consumed(const void* start) const { return p_ - static_cast<const uint8_t*>(start); }
    std::string_view peek() override { return std::string_view(reinterpret_cast<const char*>(p_), end_ - p_); }
    void consume(size_t n) override { p_ += n; }

private:
    const uint8_t* p_;
    const uint8_t* end_;
};

// Growable output buffer.
class Sink {
public:
    void write(const void* p, size_t n) { bytes_.append(static_cast<const char*>(p), n); }
    template <class T>
    void put(T v) {
        write(&v, sizeof v);
    }
    void putCString(std::string_view s) {
        write(s.data(), s.size());
        bytes_.push_back('\0');
    }
    // Reserves n bytes at the end and returns where to write them.
    uint8_t* extend(size_t n) {
        size_t at = bytes_.size();
        bytes_.resize(at + n);
        return reinterpret_cast<uint8_t*>(bytes_.data() + at);
    }
    std::string& bytes() { return bytes_; }
    const std::string& bytes() const { return bytes_; }
    size_t size() const { return bytes_.size(); }

private:
    std::string bytes_;
};

}   // namespace ddb
