// Delta-of-delta blocks (PROTOCOL.md §6.4): a bit stream in 64-bit words, MSB first.
//
// Decoding is the download hot path. The reader keeps the block as an array of host-order words
// followed by zero padding, so a 64-bit window at any bit position is two loads and two shifts
// with no bounds checks; the bit position is checked against the block's length once per value.
// A run of `0` bits (repeated delta, the common case for regular timestamps) is decoded with one
// count-leading-zeros for up to 64 values at a time.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "compression/byte_order.h"
#include "compression/compression.h"

namespace ddb {

using compression_detail::loadLE;
using compression_detail::storeLE;
using compression_detail::zigzagDecode;
using compression_detail::zigzagEncode;

namespace {

constexpr size_t kPadWords = 3;   // a peek at pos < nbits plus up to 70 bits ahead stays inside

// ---------------------------------------------------------------- reading

class BitReader {
public:
    BitReader(const uint64_t* words, size_t nbits) : w_(words), nbits_(nbits) {}
    // The 64 bits starting at bit position p (zeros past the end of the block).
    uint64_t peek(size_t p) const {
        const size_t i = p >> 6;
        const unsigned o = static_cast<unsigned>(p & 63);
        return (w_[i] << o) | ((w_[i + 1] >> 1) >> (63 - o));
    }
    size_t nbits() const { return nbits_; }
    // True when bits [p, p+69) are `11110` followed by 64 ones: the end marker as seen after its
    // first `1` was taken as a "value present" bit.
    bool endMarkerAt(size_t p) const { return p + 69 <= nbits_ && (peek(p) >> 59) == 0x1E && peek(p + 5) == ~uint64_t{0}; }

private:
    const uint64_t* w_;
    size_t nbits_;
};

[[noreturn]] void truncated(size_t nbits) {
    throw ProtocolError("Truncated delta-of-delta block: the bit stream of " + std::to_string(nbits / 8) +
                        " bytes ends inside a value (no end marker)");
}

template <class T>
inline void put(char* dst, size_t index, uint64_t v) {
    storeLE<T>(dst + index * sizeof(T), static_cast<T>(v));
}

// Decodes leading `0` bits as nulls until a `1`, the block end, or maxValues. Returns false when
// maxValues was reached.
template <class T>
bool readNullRun(const BitReader& in, size_t& pos, size_t& count, size_t maxValues, char* dst) {
    constexpr T kNull = std::numeric_limits<T>::min();
    for (;;) {
        if (count == maxValues) return false;
        if (pos >= in.nbits()) truncated(in.nbits());
        const uint64_t win = in.peek(pos);
        if (win >> 63) return true;
        size_t z = static_cast<size_t>(std::countl_zero(win));
        z = std::min({z, in.nbits() - pos, maxValues - count});
        for (size_t k = 0; k < z; ++k) put<T>(dst, count + k, static_cast<uint64_t>(static_cast<int64_t>(kNull)));
        count += z;
        pos += z;
    }
}

template <class T>
size_t decodeBlock(const BitReader& in, size_t maxValues, char* dst) {
    constexpr unsigned W = 8 * sizeof(T);
    constexpr T kNull = std::numeric_limits<T>::min();
    const uint64_t nullBits = static_cast<uint64_t>(static_cast<int64_t>(kNull));
    const size_t nbits = in.nbits();
    size_t pos = 0, count = 0;

    // First value, after leading nulls.
    if (!readNullRun<T>(in, pos, count, maxValues, dst)) return count;
    pos += 1;
    if (in.endMarkerAt(pos)) return count;
    uint64_t prev = zigzagDecode(in.peek(pos) >> (64 - W));
    pos += W;
    if (pos > nbits) truncated(nbits);
    put<T>(dst, count++, prev);

    // First delta, after nulls.
    if (!readNullRun<T>(in, pos, count, maxValues, dst)) return count;
    pos += 1;
    if (in.endMarkerAt(pos)) return count;
    uint64_t delta = zigzagDecode(in.peek(pos) >> (64 - W));
    pos += W;
    if (pos > nbits) truncated(nbits);
    prev += delta;
    put<T>(dst, count++, prev);

    // Delta-of-delta codes. All arithmetic is modulo 2^64; stores truncate to the width.
    static constexpr std::array<unsigned, 6> kWidth = {0, 7, 9, 16, 32, 64};
    while (count < maxValues) {
        if (pos >= nbits) truncated(nbits);
        const uint64_t win = in.peek(pos);
        if (!(win >> 63)) {   // a run of `0`: the delta repeats
            size_t z = static_cast<size_t>(std::countl_zero(win));
            z = std::min({z, nbits - pos, maxValues - count});
            // prev + (k+1)·delta has no loop-carried dependency, so the compiler vectorizes it.
            for (size_t k = 0; k < z; ++k) put<T>(dst, count + k, prev + (k + 1) * delta);
            prev += z * delta;
            count += z;
            pos += z;
            continue;
        }
        const unsigned ones = static_cast<unsigned>(std::countl_one(win));
        if (ones >= 6) {   // `111111`: null, state unchanged
            pos += 6;
            if (pos > nbits) truncated(nbits);
            put<T>(dst, count++, nullBits);
            continue;
        }
        const unsigned prefix = ones + 1, width = kWidth[ones];
        uint64_t c;
        if (ones < 5) {
            c = (win << prefix) >> (64 - width);
        } else {
            c = in.peek(pos + 6);
            if (c == ~uint64_t{0}) {   // end marker
                if (pos + 70 > nbits) truncated(nbits);
                return count;
            }
        }
        pos += prefix + width;
        if (pos > nbits) truncated(nbits);
        delta += zigzagDecode(c + 1);
        prev += delta;
        put<T>(dst, count++, prev);
    }
    return count;
}

// ---------------------------------------------------------------- writing

class BitWriter {
public:
    // Appends the low n bits of v (1 <= n <= 64), most significant first.
    void put(uint64_t v, unsigned n) {
        if (n < 64) v &= (uint64_t{1} << n) - 1;
        const unsigned free = 64 - used_;
        if (n < free) {
            acc_ |= v << (free - n);
            used_ += n;
        } else if (n == free) {
            acc_ |= v;
            flush();
        } else {
            const unsigned rest = n - free;
            acc_ |= v >> rest;
            flush();
            acc_ = v << (64 - rest);
            used_ = rest;
        }
    }
    size_t bitPosition() const { return words_.size() * 64 + used_; }
    // The started word always counts, even if nothing was written into it (matches the C++ writer).
    std::vector<uint64_t>& finish() {
        flush();
        return words_;
    }

private:
    void flush() {
        words_.push_back(acc_);
        acc_ = 0;
        used_ = 0;
    }
    std::vector<uint64_t> words_;
    uint64_t acc_ = 0;
    unsigned used_ = 0;
};

[[noreturn]] void deltaOutOfRange() { throw ProtocolError("Delta out of range"); }

template <class T>
std::string encodeBlock(std::string_view raw) {
    constexpr unsigned W = 8 * sizeof(T);
    constexpr T kNull = std::numeric_limits<T>::min();
    const size_t n = raw.size() / sizeof(T);
    auto at = [&](size_t i) { return loadLE<T>(raw.data() + i * sizeof(T)); };

    BitWriter out;
    size_t i = 0;
    size_t presentBits[2] = {SIZE_MAX, SIZE_MAX};
    auto finish = [&]() -> std::string {
        out.put(62, 6);   // end marker: 111110, 64 ones, 0
        out.put(~uint64_t{0}, 64);
        out.put(0, 1);
        auto& words = out.finish();
        // The decoder takes `1 11110 <64 ones>` after a present bit as the end of the block. The
        // first value and first delta are raw W-bit fields, so rare data can spell that pattern;
        // refuse rather than write a block that decodes short.
        words.resize(words.size() + kPadWords, 0);
        BitReader check(words.data(), (words.size() - kPadWords) * 64);
        for (size_t p : presentBits)
            if (p != SIZE_MAX && check.endMarkerAt(p + 1))
                throw ProtocolError(
                    "Delta-of-delta cannot encode this data: a value collides with the "
                    "block end marker (use LZ4)");
        words.resize(words.size() - kPadWords);
        std::string bytes(words.size() * 8, '\0');
        for (size_t k = 0; k < words.size(); ++k) storeLE<uint64_t>(bytes.data() + k * 8, words[k]);
        return bytes;
    };

    while (i < n && at(i) == kNull) {
        out.put(0, 1);
        ++i;
    }
    if (i == n) return finish();
    int64_t prev = at(i++);
    presentBits[0] = out.bitPosition();
    out.put(1, 1);
    out.put(zigzagEncode(prev), W);

    while (i < n && at(i) == kNull) {
        out.put(0, 1);
        ++i;
    }
    if (i == n) return finish();
    int64_t x = at(i++);
    int64_t delta;
    if constexpr (W < 64) {
        // Store the first delta modulo 2^W so that it always fits its W-bit field; decoders add it
        // in 64-bit arithmetic and truncate to the width, which yields the exact value.
        delta = static_cast<T>(static_cast<uint64_t>(x) - static_cast<uint64_t>(prev));
    } else if (__builtin_sub_overflow(x, prev, &delta)) {
        deltaOutOfRange();
    }
    presentBits[1] = out.bitPosition();
    out.put(1, 1);
    out.put(zigzagEncode(delta), W);
    prev = x;

    for (; i < n; ++i) {
        x = at(i);
        if (x == kNull) {
            out.put(63, 6);
            continue;
        }
        int64_t d, dd;
        if (__builtin_sub_overflow(x, prev, &d) || __builtin_sub_overflow(d, delta, &dd)) deltaOutOfRange();
        if (dd == 0) {
            out.put(0, 1);
        } else {
            const uint64_t c = zigzagEncode(dd) - 1;
            if (c < (uint64_t{1} << 7)) {
                out.put(0b10, 2);
                out.put(c, 7);
            } else if (c < (uint64_t{1} << 9)) {
                out.put(0b110, 3);
                out.put(c, 9);
            } else if (c < (uint64_t{1} << 16)) {
                out.put(0b1110, 4);
                out.put(c, 16);
            } else if (c < (uint64_t{1} << 32)) {
                out.put(0b11110, 5);
                out.put(c, 32);
            } else {
                out.put(0b111110, 6);
                out.put(c, 64);
            }
        }
        prev = x;
        delta = d;
    }
    return finish();
}

void checkUnit(int unitLength) {
    if (unitLength != 2 && unitLength != 4 && unitLength != 8)
        throw ProtocolError("Delta-of-delta compression needs a unit length of 2, 4 or 8 bytes, got " +
                            std::to_string(unitLength));
}

}   // namespace

std::string deltaEncodeBlock(std::string_view raw, int unitLength) {
    checkUnit(unitLength);
    if (raw.size() % static_cast<size_t>(unitLength) != 0)
        throw ProtocolError("Delta-of-delta input of " + std::to_string(raw.size()) + " bytes is not a whole number of " +
                            std::to_string(unitLength) + "-byte values");
    switch (unitLength) {
        case 2: return encodeBlock<int16_t>(raw);
        case 4: return encodeBlock<int32_t>(raw);
        default: return encodeBlock<int64_t>(raw);
    }
}

void deltaDecodeBlock(std::string_view block, int unitLength, size_t maxValues, std::string& out) {
    checkUnit(unitLength);
    if (block.empty() || block.size() % 8 != 0)
        throw ProtocolError("Invalid delta-of-delta block size " + std::to_string(block.size()) +
                            " (must be a positive multiple of 8)");
    const size_t nwords = block.size() / 8;
    thread_local std::vector<uint64_t> words;
    words.resize(nwords + kPadWords);
    for (size_t k = 0; k < nwords; ++k) words[k] = loadLE<uint64_t>(block.data() + k * 8);
    std::fill(words.begin() + static_cast<ptrdiff_t>(nwords), words.end(), 0);
    const BitReader in(words.data(), nwords * 64);

    // Every value takes at least one bit, so the block bounds the output whatever maxValues says.
    const size_t cap = std::min(maxValues, nwords * 64);
    const size_t at = out.size();
    out.resize(at + cap * static_cast<size_t>(unitLength));
    size_t count = 0;
    try {
        char* dst = out.data() + at;
        switch (unitLength) {
            case 2: count = decodeBlock<int16_t>(in, cap, dst); break;
            case 4: count = decodeBlock<int32_t>(in, cap, dst); break;
            default: count = decodeBlock<int64_t>(in, cap, dst); break;
        }
    } catch (...) {
        out.resize(at);
        throw;
    }
    out.resize(at + count * static_cast<size_t>(unitLength));
}

}   // namespace ddb
