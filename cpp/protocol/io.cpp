#include "protocol/io.h"

#include <algorithm>
#include <bit>

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

namespace {

constexpr size_t kSplitWindow = 256 * 1024;

std::string tooLong(size_t maxLength) { return "string longer than " + std::to_string(maxLength) + " bytes"; }

// Splits up to `count` NUL-terminated strings off the front of `at` into `data` (bytes without
// terminators) and `ends`; returns how many, and in *used the bytes they took. Stops before a
// string that does not end within a window of the bytes at hand. Word at a time: a short string
// costs one 8-byte load, one store and a count of trailing zeros, instead of a memchr and an
// append per string (the cost of a text column's download).
size_t splitStrings(std::string_view at, size_t count, std::string& data, int64_t* ends, size_t maxLength, size_t* used) {
    size_t done = 0;
    *used = 0;
    while (done < count && *used < at.size()) {
        const char* in = at.data() + *used;
        const size_t window = std::min(at.size() - *used, kSplitWindow);
        const size_t base = data.size();
        data.resize(base + window + 8);
        char* out = data.data() + base;
        size_t pos = 0, start = 0, j = 0;   // start: where the current string began in `in`
        auto complete = [&] {
            if (pos - 1 - start > maxLength) throw ProtocolError(tooLong(maxLength));
            ends[done++] = static_cast<int64_t>(base + j);
            start = pos;
        };
        while (done < count && pos + 8 <= window) {
            uint64_t w;
            std::memcpy(&w, in + pos, 8);
            std::memcpy(out + j, &w, 8);
            uint64_t zeros = (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;
            if (!zeros) {
                pos += 8;
                j += 8;
                continue;
            }
            size_t k = static_cast<size_t>(std::countr_zero(zeros)) / 8;   // the first NUL
            j += k;
            pos += k + 1;
            complete();
        }
        while (done < count && pos < window) {
            char c = in[pos++];
            if (c) out[j++] = c;
            else complete();
        }
        j -= pos - start;   // bytes of a string that has not ended yet are read again later
        data.resize(base + j);
        *used += start;
        if (start == 0) break;
    }
    return done;
}

}   // namespace

void Source::readStrings(size_t count, std::string& data, int64_t* ends, size_t maxLength) {
    size_t i = 0;
    while (i < count) {
        // The strings complete in the bytes at hand, split in one pass; then one through
        // readUntil (it spans the end of the buffered bytes, or nothing is buffered).
        size_t used;
        i += splitStrings(peek(), count - i, data, ends + i, maxLength, &used);
        consume(used);
        if (i < count) {
            readUntil('\0', data, maxLength);
            ends[i++] = static_cast<int64_t>(data.size());
        }
    }
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
