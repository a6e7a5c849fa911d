#include "protocol/arrow_stream.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "errors.h"
#include "protocol/value.h"

namespace ddb {

namespace {

[[noreturn]] void fail(const std::string& msg) { throw ProtocolError("invalid Arrow IPC stream: " + msg); }

constexpr int64_t kMaxMetadata = 64LL * 1024 * 1024;
constexpr int64_t kMaxBody = int64_t{1} << 40;
constexpr size_t kChunk = 1 << 20;
// From a socket a body's announced size is reserved (address space, not yet touched memory) up
// to this much; larger bodies grow as their bytes arrive.
constexpr int64_t kMaxReserveAhead = 256LL * 1024 * 1024;

template <class T>
T loadLE(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::big) {
        uint8_t b[sizeof v];
        std::memcpy(b, &v, sizeof v);
        std::reverse(b, b + sizeof v);
        std::memcpy(&v, b, sizeof v);
    }
    return v;
}

// The stream's bytes, in one buffer that grows as they arrive.
class Collector {
public:
    // Everything left in a memory source fits in one allocation; a socket starts small.
    explicit Collector(Source& in)
        : in_(in), buf_(Buffer::allocate(in.remaining() >= 0 ? static_cast<size_t>(in.remaining()) + 8 : 64 * 1024)) {}

    uint8_t* read(size_t n) {
        reserve(n);
        uint8_t* at = buf_->data() + used_;
        in_.read(at, n);
        used_ += n;
        return at;
    }
    // Bytes whose count came from the peer: checked against what is left when that is known,
    // else read in chunks so the buffer never runs far ahead of the bytes received.
    void readCounted(int64_t n, const char* what) {
        int64_t left = in_.remaining();
        if (left >= 0 && n > left)
            fail(std::string(what) + " of " + std::to_string(n) + " bytes, only " + std::to_string(left) + " left");
        reserve(static_cast<size_t>(left >= 0 ? n : std::min(n, kMaxReserveAhead)));
        while (n > 0) {
            size_t take = static_cast<size_t>(std::min<int64_t>(n, kChunk));
            read(take);
            n -= static_cast<int64_t>(take);
        }
    }
    void push(const uint8_t* p, size_t n) {
        reserve(n);
        std::memcpy(buf_->data() + used_, p, n);
        used_ += n;
    }
    size_t used() const { return used_; }
    const uint8_t* at(size_t offset) const { return buf_->data() + offset; }
    std::shared_ptr<Buffer> finish() {
        buf_->resize(used_);
        return std::move(buf_);
    }

private:
    void reserve(size_t n) {
        if (used_ + n > buf_->size()) buf_->resize(std::max(used_ + n, buf_->size() * 2));   // amortized
    }
    Source& in_;
    std::shared_ptr<Buffer> buf_;
    size_t used_ = 0;
};

// Message.bodyLength (field 3 of the root table) of a flatbuffer Message, bounds-checked.
int64_t bodyLength(const uint8_t* p, size_t n) {
    if (n < 8) fail("message metadata of " + std::to_string(n) + " bytes is too short");
    uint32_t table = loadLE<uint32_t>(p);
    if (static_cast<uint64_t>(table) + 4 > n) fail("message root table outside its metadata");
    int32_t toVtable = loadLE<int32_t>(p + table);
    int64_t vtable = static_cast<int64_t>(table) - toVtable;
    if (vtable < 0 || vtable + 4 > static_cast<int64_t>(n)) fail("message vtable outside its metadata");
    uint16_t vtableSize = loadLE<uint16_t>(p + vtable);
    if (vtableSize < 4 || vtableSize % 2 || vtable + vtableSize > static_cast<int64_t>(n))
        fail("message vtable of " + std::to_string(vtableSize) + " bytes is malformed");
    auto field = [&](int id) -> uint16_t {
        size_t at = 4 + 2 * static_cast<size_t>(id);
        return at + 2 <= vtableSize ? loadLE<uint16_t>(p + vtable + at) : 0;
    };
    uint16_t headerType = field(1);
    if (headerType) {
        if (table + headerType + 1 > n) fail("message header type outside its metadata");
        uint8_t kind = p[table + headerType];
        if (kind < 1 || kind > 5) fail("unknown message header type " + std::to_string(kind));
    }
    uint16_t at = field(3);
    if (!at) return 0;
    if (static_cast<uint64_t>(table) + at + 8 > n) fail("message bodyLength outside its metadata");
    int64_t body = loadLE<int64_t>(p + table + at);
    if (body < 0 || body > kMaxBody) fail("message body length " + std::to_string(body) + " is invalid");
    return body;
}

}   // namespace

std::shared_ptr<Buffer> readArrowStream(Source& in, uint8_t firstByte) {
    Collector out(in);
    bool first = true;
    for (;;) {
        uint8_t word[4];
        if (first) {
            word[0] = firstByte;
            in.read(word + 1, 3);
            out.push(word, 4);
            first = false;
        } else {
            std::memcpy(word, out.read(4), 4);
        }
        int32_t size = loadLE<int32_t>(word);
        if (size == -1) size = loadLE<int32_t>(out.read(4));   // continuation marker, then the size
        if (size == 0) break;   // end of stream
        if (size < 0 || size > kMaxMetadata) fail("message metadata size " + std::to_string(size) + " is invalid");
        size_t metaAt = out.used();
        out.readCounted(size, "message metadata");
        int64_t body = bodyLength(out.at(metaAt), static_cast<size_t>(size));
        out.readCounted(body, "message body");
    }
    return out.finish();
}

}   // namespace ddb
