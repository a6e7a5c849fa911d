// Byte sources and sinks for the codec. A Source reads exactly the bytes asked for, straight
// into the caller's memory, or throws; the decoder never reads ahead of what it needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <memory>
#include <string_view>
#include <vector>

#include "errors.h"
#include "protocol/value.h"

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

// Contiguous bytes, one of the ranges a gathered write sends in order.
struct ByteRange {
    const uint8_t* data;
    size_t size;
};

// Growable output buffer. A referencing sink (the request builders') does not copy the large
// spans handed to writeStable(): it records where they go, and its output is the written bytes
// interleaved with those spans (ranges()), sent by one gathered write without an intermediate copy.
class Sink {
public:
    // From this size on a stable span is referenced: a smaller one costs less to copy than to send
    // as one more range.
    static constexpr size_t kReferencedSpan = 32 * 1024;

    Sink() = default;
    explicit Sink(bool referencing) : referencing_(referencing) {}
    Sink(const Sink&) = delete;
    Sink& operator=(const Sink&) = delete;

    void write(const void* p, size_t n) {
        if (n) std::memcpy(extend(n), p, n);
    }
    // Bytes that stay alive and unchanged until this sink's output has been sent (a column's
    // buffer): referenced when the sink references and the span is large, else copied.
    void writeStable(const void* p, size_t n) {
        if (!referencing_ || n < kReferencedSpan) return write(p, n);
        refs_.push_back({size_, static_cast<const uint8_t*>(p), n});
        referencedBytes_ += n;
    }
    template <class T>
    void put(T v) {
        std::memcpy(extend(sizeof v), &v, sizeof v);
    }
    void putCString(std::string_view s) {
        uint8_t* p = extend(s.size() + 1);
        if (!s.empty()) std::memcpy(p, s.data(), s.size());
        p[s.size()] = 0;
    }
    // Reserves n bytes at the end of the written bytes and returns where to write them.
    uint8_t* extend(size_t n) {
        if (capacity_ - size_ < n) grow(n);
        uint8_t* at = data_ + size_;
        size_ += n;
        return at;
    }

    // The written (copied) bytes; referenced spans are not among them.
    uint8_t* data() { return data_; }
    size_t size() const { return size_; }
    std::string_view written() const { return std::string_view(reinterpret_cast<const char*>(data_), size_); }
    // The whole output: written bytes and referenced spans.
    size_t totalSize() const { return size_ + referencedBytes_; }
    std::vector<ByteRange> ranges() const;
    std::string str() const;   // the whole output as one string

    // A point in the output to roll back to (undoing what was added since).
    struct Mark {
        size_t written;
        size_t refs;
    };
    Mark mark() const { return {size_, refs_.size()}; }
    void rollback(Mark m);
    // Empties the output; keeps the memory for the next use unless it holds more than keepBytes.
    void clear(size_t keepBytes = SIZE_MAX);
    // Room for `more` written bytes without growing again.
    void reserve(size_t more) {
        if (capacity_ - size_ < more) grow(more);
    }
    // The written bytes as a Buffer of their size (no copy); the sink is left empty.
    std::shared_ptr<Buffer> takeWritten();

private:
    struct Ref {
        size_t at;   // offset in the written bytes the span comes before
        const uint8_t* data;
        size_t size;
    };
    void grow(size_t more);

    bool referencing_ = false;
    std::shared_ptr<Buffer> storage_;   // large blocks come from and go back to Buffer's reuse
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
    size_t capacity_ = 0;
    std::vector<Ref> refs_;
    size_t referencedBytes_ = 0;
};

}   // namespace ddb
