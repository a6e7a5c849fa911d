#include "protocol/io.h"

#include <algorithm>

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
    size_t i = 0;
    while (i < count) {
        // The strings complete in the bytes at hand, in one scan; then one through readUntil
        // (it spans the end of the buffered bytes, or nothing is buffered).
        std::string_view at = peek();
        size_t used = 0;
        while (i < count && used < at.size()) {
            const void* hit = std::memchr(at.data() + used, 0, at.size() - used);
            if (!hit) break;
            size_t n = static_cast<size_t>(static_cast<const char*>(hit) - (at.data() + used));
            if (n > maxLength) {
                consume(used);
                throw ProtocolError("string longer than " + std::to_string(maxLength) + " bytes");
            }
            data.append(at.data() + used, n);
            ends[i++] = static_cast<int64_t>(data.size());
            used += n + 1;
        }
        consume(used);
        if (i < count) {
            readUntil('\0', data, maxLength);
            ends[i++] = static_cast<int64_t>(data.size());
        }
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
    if (static_cast<size_t>(end_ - p_) < n)
        throw ProtocolError("truncated object: needed " + std::to_string(n) + " bytes, " + std::to_string(end_ - p_) + " left");
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

void Sink::grow(size_t more) {
    size_t need = size_ + more;
    size_t capacity = std::max<size_t>({need, capacity_ * 2, 256});
    if (!storage_) {
        storage_ = Buffer::allocate(capacity);
    } else {
        storage_->resize(size_);   // only the written bytes move
        storage_->resize(capacity);
    }
    data_ = storage_->data();
    capacity_ = capacity;
}

std::vector<ByteRange> Sink::ranges() const {
    std::vector<ByteRange> out;
    out.reserve(2 * refs_.size() + 1);
    size_t from = 0;
    for (const Ref& r : refs_) {
        if (r.at > from) out.push_back({data_ + from, r.at - from});
        out.push_back({r.data, r.size});
        from = r.at;
    }
    if (size_ > from) out.push_back({data_ + from, size_ - from});
    return out;
}

std::string Sink::str() const {
    std::string out;
    out.reserve(totalSize());
    for (const ByteRange& r : ranges()) out.append(reinterpret_cast<const char*>(r.data), r.size);
    return out;
}

void Sink::rollback(Mark m) {
    size_ = std::min(size_, m.written);
    while (refs_.size() > m.refs) {
        referencedBytes_ -= refs_.back().size;
        refs_.pop_back();
    }
}

std::shared_ptr<Buffer> Sink::takeWritten() {
    std::shared_ptr<Buffer> out = storage_ ? std::move(storage_) : Buffer::allocate(0);
    out->resize(size_);
    storage_.reset();
    data_ = nullptr;
    size_ = capacity_ = 0;
    refs_.clear();
    referencedBytes_ = 0;
    return out;
}

void Sink::clear(size_t keepBytes) {
    size_ = 0;
    refs_.clear();
    referencedBytes_ = 0;
    if (capacity_ > keepBytes) {
        storage_.reset();
        data_ = nullptr;
        capacity_ = 0;
    }
}

}   // namespace ddb
