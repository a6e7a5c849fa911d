// Compression (PROTOCOL.md §6): the spec's byte examples, round trips, malformed input, throughput.
#include <gtest/gtest.h>
#include <lz4.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "codec_helpers.h"
#include "compression/compression.h"
#include "protocol/io.h"
#include "protocol/types.h"

using namespace ddb;
using ddbtest::hex;
using ddbtest::unhex;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

template <class T>
std::string pack(const std::vector<T>& values) {
    std::string out(values.size() * sizeof(T), '\0');
    if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
    return out;
}

template <class T>
std::vector<T> unpack(const std::string& bytes) {
    std::vector<T> out(bytes.size() / sizeof(T));
    if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
    return out;
}

CompressedHeader header(int8_t method, Type type, int8_t unit, int32_t count) {
    CompressedHeader h;
    h.method = method;
    h.dataType = static_cast<int8_t>(type);
    h.unitLength = unit;
    h.elementCount = count;
    return h;
}

std::string compress(CompressedHeader h, std::string_view payload) {
    Sink sink;
    writeCompressed(sink, h, payload);
    return sink.str();
}

std::string decompress(std::string_view stream, CompressedHeader* out = nullptr) {
    MemorySource src(stream);
    CompressedHeader h;
    std::string payload = readCompressedPayload(src, h);
    EXPECT_EQ(src.remaining(), 0) << "decoder left bytes of the stream unread";
    if (out) *out = h;
    return payload;
}

// A source that does not know how much is left (a socket).
class StreamSource final : public Source {
public:
    explicit StreamSource(std::string_view bytes) : inner_(bytes) {}
    void read(void* dst, size_t n) override { inner_.read(dst, n); }

private:
    MemorySource inner_;
};

// Walks the block sizes of a stream written by writeCompressed.
std::vector<int32_t> blockSizes(const std::string& stream) {
    std::vector<int32_t> sizes;
    size_t pos = kCompressedHeaderSize;
    while (pos + 4 <= stream.size()) {
        int32_t n;
        std::memcpy(&n, stream.data() + pos, 4);
        sizes.push_back(n);
        pos += 4 + static_cast<size_t>(n);
    }
    EXPECT_EQ(pos, stream.size());
    return sizes;
}

template <class T>
void expectRoundTrip(Type type, const std::vector<T>& values, int8_t method) {
    const std::string payload = pack(values);
    const auto h = header(method, type, sizeof(T), static_cast<int32_t>(values.size()));
    const std::string stream = compress(h, payload);
    CompressedHeader got;
    const std::string back = decompress(stream, &got);
    ASSERT_EQ(back.size(), payload.size());
    EXPECT_TRUE(back == payload) << "method " << int(method) << ", " << values.size() << " values";
    EXPECT_EQ(got.elementCount, static_cast<int32_t>(values.size()));
    EXPECT_EQ(got.method, method);
    EXPECT_EQ(got.dataType, static_cast<int8_t>(type));
    EXPECT_EQ(got.unitLength, static_cast<int8_t>(sizeof(T)));
    // Independently of the framing, the byteSize field is 20 + sum(4 + block).
    int32_t byteSize;
    std::memcpy(&byteSize, stream.data(), 4);
    EXPECT_EQ(static_cast<size_t>(byteSize), stream.size() - 8);
    // The socket path (remaining unknown) decodes the same bytes.
    StreamSource sock(stream);
    CompressedHeader h2;
    EXPECT_TRUE(readCompressedPayload(sock, h2) == payload);
}

template <class T>
void expectRoundTripBoth(Type type, const std::vector<T>& values) {
    expectRoundTrip<T>(type, values, 1);
    expectRoundTrip<T>(type, values, 2);
}

constexpr int8_t kLz4 = 1, kDelta = 2;

// §6.3 / §6.4 examples, without the `1a 01` flag word (the codec's part).
const char* kLz4Int123 =
    "25 00 00 00 01 00 00 00 00 01 ff 01 04 04 00 00 00 00 00 00 03 00 00 00 ff ff ff ff "
    "0d 00 00 00 c0 01 00 00 00 02 00 00 00 03 00 00 00";
const char* kDeltaInt123 =
    "30 00 00 00 01 00 00 00 00 01 ff 02 04 04 00 00 00 00 00 00 03 00 00 00 ff ff ff ff "
    "18 00 00 00 "
    "00 00 00 40 01 00 00 80 ff ff ff ff ff ff 7f 9f 00 00 00 00 00 00 80 ff";
const char* kDeltaInt12N45 =
    "30 00 00 00 01 00 00 00 00 01 ff 02 04 04 00 00 00 00 00 00 05 00 00 00 ff ff ff ff "
    "18 00 00 00 "
    "00 00 00 40 01 00 00 80 ff ff ff ff 3e c0 3f a0 00 00 00 00 ff ff ff ff";

}   // namespace

// ---------------------------------------------------------------- spec examples

TEST(CompressionSpec, Lz4Int123DecodesAndEncodesExactly) {
    const std::string stream = unhex(kLz4Int123);
    CompressedHeader h;
    EXPECT_EQ(hex(decompress(stream, &h)), hex(pack<int32_t>({1, 2, 3})));
    EXPECT_EQ(h.byteSize, 37);
    EXPECT_EQ(h.colCount, 1);
    EXPECT_EQ(h.flags, 1);
    EXPECT_EQ(h.charCode, -1);
    EXPECT_EQ(h.method, 1);
    EXPECT_EQ(h.dataType, 4);
    EXPECT_EQ(h.unitLength, 4);
    EXPECT_EQ(h.elementCount, 3);
    EXPECT_EQ(h.checkSum, -1);
    EXPECT_EQ(hex(compress(header(kLz4, Type::Int, 4, 3), pack<int32_t>({1, 2, 3}))), hex(stream));
}

TEST(CompressionSpec, Lz4StringVectorDecodes) {
    const std::string payload("ab\0\0cde\0", 8);
    const std::string stream = compress(header(kLz4, Type::String, 0, 3), payload);
    EXPECT_EQ(decompress(stream), payload);
    // one literal-only block: token 0x80 (8 literals) + the bytes
    EXPECT_EQ(hex(stream.substr(28)), "09 00 00 00 80 61 62 00 00 63 64 65 00");
}

TEST(CompressionSpec, DeltaInt123DecodesAndEncodesExactly) {
    const std::string stream = unhex(kDeltaInt123);
    CompressedHeader h;
    EXPECT_EQ(hex(decompress(stream, &h)), hex(pack<int32_t>({1, 2, 3})));
    EXPECT_EQ(h.method, 2);
    EXPECT_EQ(h.byteSize, 48);
    EXPECT_EQ(hex(compress(header(kDelta, Type::Int, 4, 3), pack<int32_t>({1, 2, 3}))), hex(stream));
}

TEST(CompressionSpec, DeltaIntWithNullDecodesAndEncodesExactly) {
    const std::vector<int32_t> values = {1, 2, 4, kNullInt, 5};
    const std::string stream = unhex(kDeltaInt12N45);
    EXPECT_EQ(hex(decompress(stream)), hex(pack(values)));
    EXPECT_EQ(hex(compress(header(kDelta, Type::Int, 4, 5), pack(values))), hex(stream));
}

TEST(CompressionSpec, DeltaBuildingBlocksMatchTheSpecWords) {
    EXPECT_EQ(hex(deltaEncodeBlock(pack<int32_t>({1, 2, 3}), 4)),
              "00 00 00 40 01 00 00 80 ff ff ff ff ff ff 7f 9f 00 00 00 00 00 00 80 ff");
    std::string out = "xy";   // appends
    deltaDecodeBlock(unhex("00 00 00 40 01 00 00 80 ff ff ff ff ff ff 7f 9f 00 00 00 00 00 00 80 ff"), 4, 100, out);
    EXPECT_EQ(out, "xy" + pack<int32_t>({1, 2, 3}));
}

TEST(CompressionSpec, DeltaAllNullBlockLayout) {
    // `00` + end marker (111110, 64 ones, 0) = 73 bits = 2 words.
    const std::string block = deltaEncodeBlock(pack<int32_t>({kNullInt, kNullInt}), 4);
    EXPECT_EQ(hex(block), "ff ff ff ff ff ff ff 3e 00 00 00 00 00 00 00 ff");
    std::string out;
    deltaDecodeBlock(block, 4, 2, out);
    EXPECT_EQ(unpack<int32_t>(out), (std::vector<int32_t>{kNullInt, kNullInt}));
    // With more room than values, the end marker stops the block.
    out.clear();
    deltaDecodeBlock(block, 4, 1000, out);
    EXPECT_EQ(unpack<int32_t>(out).size(), 2u);
}

TEST(CompressionSpec, DeltaWordCountIncludesAFreshWordAfterAnExactFill) {
    // 40 leading nulls + `1` + 16-bit first value + 71-bit end marker = exactly 128 bits.
    std::vector<int16_t> values(40, kNullShort);
    values.push_back(7);
    const std::string block = deltaEncodeBlock(pack(values), 2);
    EXPECT_EQ(block.size(), 24u);   // 128 bits used, plus the started (empty) third word
    EXPECT_EQ(hex(block.substr(16)), "00 00 00 00 00 00 00 00");
    std::string out;
    deltaDecodeBlock(block, 2, 1000, out);
    EXPECT_EQ(unpack<int16_t>(out), values);
}

TEST(CompressionSpec, DeltaShortWithNullsAndDecimal64) {
    expectRoundTrip<int16_t>(Type::Short, {5, kNullShort, 7, 9}, kDelta);
    CompressedHeader h = header(kDelta, Type::Decimal64, 8, 3);
    h.reserved = 4;   // scale travels in `reserved`
    const std::string payload = pack<int64_t>({12345, -1, kNullLong});
    CompressedHeader got;
    EXPECT_EQ(decompress(compress(h, payload), &got), payload);
    EXPECT_EQ(got.reserved, 4);
}

// ---------------------------------------------------------------- round trips

TEST(CompressionRoundTrip, EmptyVectors) {
    for (int8_t m : {kLz4, kDelta}) {
        const std::string stream = compress(header(m, Type::Long, 8, 0), "");
        EXPECT_EQ(stream.size(), 28u);
        EXPECT_EQ(decompress(stream), "");
    }
    EXPECT_EQ(decompress(compress(header(kLz4, Type::String, 0, 0), "")), "");
}

TEST(CompressionRoundTrip, SingleValues) {
    expectRoundTripBoth<int16_t>(Type::Short, {-3});
    expectRoundTripBoth<int32_t>(Type::Int, {42});
    expectRoundTripBoth<int64_t>(Type::Long, {-1234567890123});
    expectRoundTripBoth<int32_t>(Type::Int, {kNullInt});
    expectRoundTripBoth<int32_t>(Type::Int, {std::numeric_limits<int32_t>::max()});
    expectRoundTripBoth<int64_t>(Type::Timestamp, {std::numeric_limits<int64_t>::max()});
    expectRoundTripBoth<int64_t>(Type::Long, {std::numeric_limits<int64_t>::min() + 1});
}

TEST(CompressionRoundTrip, NullPatterns) {
    const int32_t N = kNullInt;
    const std::vector<std::vector<int32_t>> cases = {
        {N},
        {N, N, N},
        {N, 1},
        {N, N, 1, 2, 3},
        {1, N},
        {1, N, N, N, 2},
        {1, 2, N},
        {1, 2, N, N, N},
        {N, 1, N, 2, N, 3, N},
        {1, 2, 3, N, 4, N, N, 5, 6, N},
        std::vector<int32_t>(1000, N),
    };
    for (const auto& c : cases) expectRoundTripBoth<int32_t>(Type::Int, c);
    expectRoundTripBoth<int16_t>(Type::Short, {kNullShort, kNullShort, 1, kNullShort, -1, kNullShort});
    expectRoundTripBoth<int64_t>(Type::Nanotimestamp, {kNullLong, 10, kNullLong, 20, 30, kNullLong});
    // A whole block of nulls followed by values in the next block.
    std::vector<int64_t> blocks(8192 + 5, kNullLong);
    blocks[8192 + 1] = 99;
    blocks[8192 + 3] = 101;
    expectRoundTripBoth<int64_t>(Type::Long, blocks);
}

template <class T>
std::vector<T> randomValues(std::mt19937_64& rng, size_t n, int64_t lo, int64_t hi, double nullRate) {
    std::uniform_int_distribution<int64_t> dist(lo, hi);
    std::bernoulli_distribution isNull(nullRate);
    std::vector<T> v(n);
    for (auto& x : v) {
        x = isNull(rng) ? std::numeric_limits<T>::min() : static_cast<T>(dist(rng));
        if (x == std::numeric_limits<T>::min() && !nullRate) x = 0;
    }
    return v;
}

TEST(CompressionRoundTrip, RandomIntegralAndTemporal) {
    std::mt19937_64 rng(20261124);
    for (size_t n : {2u, 3u, 17u, 1000u, 40000u}) {
        expectRoundTripBoth(Type::Short, randomValues<int16_t>(rng, n, -32767, 32767, 0.0));
        expectRoundTripBoth(Type::Short, randomValues<int16_t>(rng, n, -32767, 32767, 0.1));
        expectRoundTripBoth(Type::Int, randomValues<int32_t>(rng, n, -2147483647, 2147483647, 0.0));
        expectRoundTripBoth(Type::Date, randomValues<int32_t>(rng, n, 0, 30000, 0.05));
        expectRoundTripBoth(Type::Second, randomValues<int32_t>(rng, n, 0, 86399, 0.0));
        expectRoundTripBoth(Type::Long, randomValues<int64_t>(rng, n, -(int64_t{1} << 60), int64_t{1} << 60, 0.1));
        expectRoundTripBoth(Type::Long, randomValues<int64_t>(rng, n, -100, 100, 0.3));
        expectRoundTripBoth(Type::Nanotime, randomValues<int64_t>(rng, n, 0, 86400000000000, 0.0));
    }
}

TEST(CompressionRoundTrip, MonotoneTimestampsCompressWell) {
    std::mt19937_64 rng(7);
    std::vector<int64_t> regular(100000), jitter(100000);
    for (size_t i = 0; i < regular.size(); ++i) {
        regular[i] = 1700000000000 + static_cast<int64_t>(i) * 1000;
        jitter[i] = 1700000000000 + static_cast<int64_t>(i) * 1000 + static_cast<int64_t>(rng() % 7) - 3;
    }
    expectRoundTripBoth<int64_t>(Type::Timestamp, regular);
    expectRoundTripBoth<int64_t>(Type::Timestamp, jitter);
    const std::string stream = compress(header(kDelta, Type::Timestamp, 8, 100000), pack(regular));
    EXPECT_LT(stream.size(), 100000u * 8 / 40);   // ~1 bit per value plus per-block overhead
    const auto sizes = blockSizes(stream);
    EXPECT_EQ(sizes.size(), 13u);   // 8192 values per block
}

TEST(CompressionRoundTrip, MultiBlockSplitsOnValueBoundaries) {
    std::mt19937_64 rng(3);
    const auto ints = randomValues<int32_t>(rng, 50000, -1000000, 1000000, 0.01);   // 200,000 bytes
    expectRoundTripBoth<int32_t>(Type::Int, ints);
    const std::string lz4 = compress(header(kLz4, Type::Int, 4, 50000), pack(ints));
    EXPECT_EQ(blockSizes(lz4).size(), 4u);   // 65536 x 3 + 3392
    const std::string delta = compress(header(kDelta, Type::Int, 4, 50000), pack(ints));
    EXPECT_EQ(blockSizes(delta).size(), 4u);   // 16384 values per block
    for (int32_t s : blockSizes(delta)) EXPECT_EQ(s % 8, 0);
}

TEST(CompressionRoundTrip, ExtremeDeltas) {
    using L = std::numeric_limits<int64_t>;
    using I = std::numeric_limits<int32_t>;
    using S = std::numeric_limits<int16_t>;
    // Neighbours of the limits that stay in range.
    expectRoundTripBoth<int64_t>(Type::Long, {L::max(), L::max() - 1, L::max(), 0});   // last dd = INT64_MIN
    expectRoundTripBoth<int64_t>(Type::Long, {L::min() + 1, 0, L::max() - 1});
    expectRoundTripBoth<int64_t>(Type::Long, {0, L::max(), L::max(), L::max()});
    // 32/16-bit extremes: the first delta needs 33/17 bits and is stored modulo 2^W.
    expectRoundTripBoth<int32_t>(Type::Int, {I::max(), I::min() + 1, I::max(), I::min() + 1, 0, I::max()});
    expectRoundTripBoth<int32_t>(Type::Int, {I::min() + 1, I::max(), kNullInt, I::min() + 1});
    expectRoundTripBoth<int16_t>(Type::Short, {S::max(), S::min() + 1, S::max(), kNullShort, S::min() + 1});
}

TEST(CompressionRoundTrip, DeltaOutOfRangeIsRefused) {
    using L = std::numeric_limits<int64_t>;
    const std::vector<std::vector<int64_t>> cases = {
        {L::max(), L::min() + 1},   // first delta overflows
        {L::min() + 1, L::max()},   // first delta overflows the other way
        {0, L::max(), 0},   // delta fits, delta-of-delta does not
        {1, 2, L::min() + 1},   // later delta overflows
        {-1, L::max() - 1, L::min() + 2},
    };
    for (const auto& c : cases) {
        Sink sink;
        sink.write("ab", 2);
        try {
            writeCompressed(sink, header(kDelta, Type::Long, 8, static_cast<int32_t>(c.size())), pack(c));
            ADD_FAILURE() << "no error";
        } catch (const ProtocolError& e) {
            EXPECT_STREQ(e.what(), "Delta out of range");
        }
        EXPECT_EQ(sink.str(), "ab");   // nothing half-written
        EXPECT_THROW(deltaEncodeBlock(pack(c), 8), ProtocolError);
        // LZ4 has no such limit.
        expectRoundTrip<int64_t>(Type::Long, c, kLz4);
    }
}

TEST(CompressionRoundTrip, DeltaRefusesDataThatSpellsTheEndMarker) {
    // First delta -0x7C000000 zigzags to 0xF7FFFFFF = `11110` + 27 ones; six nulls (36 ones) and the
    // end marker's `11111` complete `11110` + 64 ones right after the "present" bit.
    std::vector<int32_t> v = {0x7C000000, 0, kNullInt, kNullInt, kNullInt, kNullInt, kNullInt, kNullInt};
    EXPECT_THROW(deltaEncodeBlock(pack(v), 4), ProtocolError);
    v.pop_back();   // five nulls: 62 ones, no collision
    expectRoundTrip<int32_t>(Type::Int, v, kDelta);
}

TEST(CompressionRoundTrip, Lz4StringsKeepWholeStringsPerBlock) {
    std::mt19937_64 rng(11);
    std::string payload;
    int count = 0;
    while (payload.size() < 300000) {
        // Symbol-like text from a small vocabulary, as real string columns are.
        payload += "sym" + std::to_string(rng() % 500) + (rng() % 3 ? "" : "_extra_suffix");
        payload.push_back('\0');
        ++count;
    }
    const std::string stream = compress(header(kLz4, Type::String, 0, count), payload);
    EXPECT_EQ(decompress(stream), payload);
    EXPECT_LT(stream.size(), payload.size());
    // Every block decompresses to <= 65,536 bytes that end with a NUL.
    size_t pos = 28, blocks = 0;
    while (pos < stream.size()) {
        int32_t n;
        std::memcpy(&n, stream.data() + pos, 4);
        std::string part;
        lz4DecompressBlock(std::string_view(stream).substr(pos + 4, static_cast<size_t>(n)), part, 65536);
        EXPECT_LE(part.size(), 65536u);
        EXPECT_EQ(part.back(), '\0');
        pos += 4 + static_cast<size_t>(n);
        ++blocks;
    }
    EXPECT_EQ(blocks, 5u);
}

TEST(CompressionRoundTrip, Lz4StringsWithUnitLengthMinusOne) {
    // The official client writes unitLength -1 for STRING/BLOB; readers ignore it.
    std::string payload;
    for (int i = 0; i < 20000; ++i) payload += "value" + std::to_string(i) + '\0';
    const std::string stream = compress(header(kLz4, Type::String, -1, 20000), payload);
    EXPECT_EQ(static_cast<int8_t>(stream[13]), -1);
    CompressedHeader got;
    EXPECT_EQ(decompress(stream, &got), payload);
    EXPECT_EQ(got.unitLength, -1);
    for (int32_t n : blockSizes(stream)) EXPECT_GT(n, 0);
}

TEST(CompressionRoundTrip, Lz4LongStringSpansBlocks) {
    std::string payload = std::string(100000, 'x') + '\0' + "tail" + '\0';
    EXPECT_EQ(decompress(compress(header(kLz4, Type::String, 0, 2), payload)), payload);
}

TEST(CompressionRoundTrip, Lz4RandomBytesAndBlobs) {
    std::mt19937_64 rng(5);
    std::string bytes(200000, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    const std::string stream = compress(header(kLz4, Type::Char, 1, 200000), bytes);
    EXPECT_EQ(decompress(stream), bytes);
    EXPECT_GT(stream.size(), bytes.size());   // incompressible: literal overhead
    EXPECT_EQ(blockSizes(stream).size(), 4u);

    std::string blob;
    const int32_t len = 70000;
    blob.append(reinterpret_cast<const char*>(&len), 4);
    blob += bytes.substr(0, 70000);
    EXPECT_EQ(decompress(compress(header(kLz4, Type::Blob, 0, 1), blob)), blob);

    // 16-byte and 8-byte fixed types.
    std::string uuids = bytes.substr(0, 16 * 5000);
    EXPECT_EQ(decompress(compress(header(kLz4, Type::Uuid, 16, 5000), uuids)), uuids);
    std::vector<double> doubles(30000);
    for (auto& d : doubles) d = static_cast<double>(rng() % 1000) / 7.0;
    expectRoundTrip<double>(Type::Double, doubles, kLz4);
}

TEST(CompressionRoundTrip, Lz4ArrayVectorPayload) {
    // INT[] [[1,2],[],[3]] as the §5.7 block stream, extra = total values.
    const std::string payload = unhex("03 00 01 00 02 00 01 01 00 00 00 02 00 00 00 03 00 00 00");
    CompressedHeader h = header(kLz4, static_cast<Type>(68), 4, 3);
    h.extra = 3;
    CompressedHeader got;
    EXPECT_EQ(decompress(compress(h, payload), &got), payload);
    EXPECT_EQ(got.extra, 3);
    EXPECT_EQ(got.dataType, 68);
}

TEST(CompressionRoundTrip, Lz4BuildingBlocks) {
    const std::string raw(65536, 'z');
    const std::string c = lz4CompressBlock(raw);
    EXPECT_LT(c.size(), 300u);
    std::string out = "pre";
    lz4DecompressBlock(c, out, 65536);
    EXPECT_EQ(out, "pre" + raw);
    EXPECT_THROW(lz4DecompressBlock(c, out, 65535), ProtocolError);   // larger than allowed
    EXPECT_EQ(out, "pre" + raw);   // unchanged on error
}

// ---------------------------------------------------------------- malformed input

namespace {

template <class F>
void expectProtocolErrorWhere(const std::string& stream, F&& checkMessage) {
    for (int sock = 0; sock < 2; ++sock) {
        CompressedHeader h;
        try {
            if (sock) {
                StreamSource src(stream);
                readCompressedPayload(src, h);
            } else {
                MemorySource src(stream);
                readCompressedPayload(src, h);
            }
            ADD_FAILURE() << "no error for " << hex(stream.substr(0, 64)) << (sock ? " (socket)" : "");
        } catch (const ProtocolError& e) {
            checkMessage(std::string(e.what()));
        }
    }
}

void expectProtocolError(const std::string& stream, const std::string& fragment) {
    expectProtocolErrorWhere(
        stream, [&](const std::string& msg) { EXPECT_NE(msg.find(fragment), std::string::npos) << "message: " << msg; });
}

std::string withInt32(std::string s, size_t at, int32_t v) {
    std::memcpy(s.data() + at, &v, 4);
    return s;
}

}   // namespace

TEST(CompressionMalformed, HeaderFields) {
    const std::string good = unhex(kLz4Int123);
    expectProtocolError(good.substr(0, 20), "truncated");
    std::string m = good;
    m[11] = 3;
    expectProtocolError(m, "Invalid compression method 3");
    m[11] = 0;
    expectProtocolError(m, "Invalid compression method 0");
    m = good;
    m[9] = 0;   // big-endian data
    expectProtocolError(m, "big-endian");
    expectProtocolError(withInt32(good, 0, 19), "byteSize 19");
    expectProtocolError(withInt32(good, 0, -5), "byteSize -5");
    expectProtocolError(withInt32(good, 20, -1), "element count -1");
    m = good;
    m[13] = 8;   // INT with unit length 8
    expectProtocolError(m, "unit length 8");
    m[13] = -4;
    expectProtocolError(m, "unit length -4");
}

TEST(CompressionMalformed, ByteSizeAndBlockSizes) {
    const std::string good = unhex(kLz4Int123);
    // byteSize larger than the stream.
    expectProtocolErrorWhere(withInt32(good, 0, 38),
                             [](const std::string& msg) { EXPECT_NE(msg.find("byteSize"), std::string::npos) << msg; });
    // byteSize smaller than the blocks: block exceeds what is left.
    expectProtocolError(withInt32(good, 0, 30), "exceeds the 6 bytes left");
    // byteSize leaves too few bytes for a block size.
    expectProtocolError(withInt32(good, 0, 22).substr(0, 30), "too few for a block size");
    // byteSize 20: no blocks, so nothing decompresses.
    expectProtocolError(withInt32(good, 0, 20).substr(0, 28), "decompressed to 0 bytes, expected");
    // Negative block size = LSN flag.
    expectProtocolError(withInt32(good, 28, static_cast<int32_t>(0x8000000d)), "LSN");
    expectProtocolError(withInt32(good, 28, 0), "block size 0");
    // Huge block size within a huge (lying) byteSize.
    std::string big = withInt32(withInt32(good, 0, 0x7fffffff), 28, 0x7ffffff0);
    expectProtocolErrorWhere(big, [](const std::string& msg) {
        EXPECT_TRUE(msg.find("byteSize") != std::string::npos || msg.find("maximum") != std::string::npos) << msg;
    });
    // Oversized delta block.
    std::string d = unhex(kDeltaInt123);
    d = withInt32(withInt32(d, 0, 0x7fffffff), 28, 1 << 20);
    expectProtocolErrorWhere(d, [](const std::string& msg) {
        EXPECT_TRUE(msg.find("byteSize") != std::string::npos || msg.find("maximum") != std::string::npos) << msg;
    });
}

TEST(CompressionMalformed, TotalsMustMatchElementCount) {
    const std::string good = unhex(kLz4Int123);
    expectProtocolError(withInt32(good, 20, 4), "decompressed to 12 bytes, expected elementCount x unitLength = 4 x 4");
    expectProtocolError(withInt32(good, 20, 2), "more than elementCount x unitLength = 8");
    // A lying count from a socket must not allocate count x width up front.
    expectProtocolError(withInt32(good, 20, 0x7fffffff), "expected elementCount");
    const std::string delta = unhex(kDeltaInt123);
    expectProtocolError(withInt32(delta, 20, 4), "decompressed to 12 bytes");
    expectProtocolError(withInt32(delta, 20, 0x7fffffff), "decompressed to 12 bytes");
    // Fewer values than the block holds: decoding stops at elementCount, the total then matches.
    EXPECT_EQ(decompress(withInt32(delta, 20, 2)), pack<int32_t>({1, 2}));
    // Two blocks when the first already delivered every value.
    std::string twice = delta + delta.substr(28);
    twice = withInt32(twice, 0, 48 + 28);
    expectProtocolError(twice, "more blocks");
    // Strings: fewer bytes than one NUL per element.
    const std::string s = compress(header(kLz4, Type::String, 0, 2), std::string("a\0b\0", 4));
    expectProtocolError(withInt32(s, 20, 5), "decompressed to only 4 bytes");
}

TEST(CompressionMalformed, CorruptLz4) {
    const std::string good = unhex(kLz4Int123);
    std::string m = good;
    m[32] = static_cast<char>(0xf0);   // 15+ literals, length byte missing/overrunning
    expectProtocolError(m, "Corrupt LZ4 block");
    // A block that decompresses to more than 65,536 bytes.
    const std::string raw(70000, 'q');
    std::string c(static_cast<size_t>(LZ4_compressBound(70000)), '\0');
    c.resize(static_cast<size_t>(LZ4_compress_default(raw.data(), c.data(), 70000, static_cast<int>(c.size()))));
    std::string stream = unhex("00 00 00 00 01 00 00 00 00 01 ff 01 02 01 00 00 00 00 00 00 70 11 01 00 ff ff ff ff");
    stream = withInt32(stream, 0, static_cast<int32_t>(20 + 4 + c.size()));
    std::string sz(4, '\0');
    const auto n = static_cast<int32_t>(c.size());
    std::memcpy(sz.data(), &n, 4);
    expectProtocolError(stream + sz + c, "decompresses to more than 65536");
    // Garbage blocks never crash.
    std::mt19937_64 rng(99);
    for (int i = 0; i < 200; ++i) {
        std::string junk(1 + rng() % 300, '\0');
        for (auto& ch : junk) ch = static_cast<char>(rng());
        std::string out;
        try {
            lz4DecompressBlock(junk, out, 65536);
        } catch (const ProtocolError&) {}
    }
}

TEST(CompressionMalformed, TruncatedAndInvalidDeltaStreams) {
    const std::string good = unhex(kDeltaInt123);
    // Drop the last word: the end marker is cut. With elementCount 3 the third value is the last
    // one wanted, so decoding stops there (as the C++ reader does); with 4 it runs into the cut.
    std::string cut = withInt32(withInt32(good.substr(0, good.size() - 8), 0, 40), 28, 16);
    EXPECT_EQ(decompress(cut), pack<int32_t>({1, 2, 3}));
    expectProtocolError(withInt32(cut, 20, 4), "Truncated delta-of-delta block");
    // Only the first word: the second value is cut.
    cut = withInt32(withInt32(good.substr(0, 28 + 4 + 8), 0, 32), 28, 8);
    expectProtocolError(cut, "Truncated delta-of-delta block");
    // Not a multiple of 8.
    std::string odd = withInt32(withInt32(good.substr(0, good.size() - 4), 0, 44), 28, 20);
    expectProtocolError(odd, "multiple of 8");
    // Unit length 3 and types delta-of-delta does not cover.
    std::string m = good;
    m[12] = static_cast<char>(Type::String);
    m[13] = 0;
    expectProtocolError(m, "not supported for STRING");
    m[12] = static_cast<char>(Type::Double);
    m[13] = 8;
    expectProtocolError(m, "not supported for DOUBLE");
    m[12] = 68;   // INT[]
    m[13] = 4;
    expectProtocolError(m, "not supported for INT[]");
    EXPECT_THROW(deltaEncodeBlock("abc", 3), ProtocolError);
    std::string out;
    EXPECT_THROW(deltaDecodeBlock(std::string(8, '\0'), 3, 1, out), ProtocolError);
    EXPECT_THROW(deltaDecodeBlock("", 4, 1, out), ProtocolError);
    // A 64-bit delta-of-delta code whose value runs past the block.
    EXPECT_THROW(deltaDecodeBlock(unhex("00 00 00 40 01 00 00 80 ff ff ff ff ff ff ff bf"), 4, 100, out), ProtocolError);
    EXPECT_TRUE(out.empty());
    // All-zero words are leading nulls, bounded by maxValues.
    deltaDecodeBlock(std::string(16, '\0'), 8, 5, out);
    EXPECT_EQ(unpack<int64_t>(out), std::vector<int64_t>(5, kNullLong));
}

TEST(CompressionMalformed, WriterRejectsBadInput) {
    Sink sink;
    EXPECT_THROW(writeCompressed(sink, header(3, Type::Int, 4, 1), pack<int32_t>({1})), ProtocolError);
    EXPECT_THROW(writeCompressed(sink, header(kDelta, Type::Int, 3, 1), "abc"), ProtocolError);
    EXPECT_THROW(writeCompressed(sink, header(kDelta, Type::String, 0, 1), std::string("a\0", 2)), ProtocolError);
    EXPECT_THROW(writeCompressed(sink, header(kLz4, Type::Int, 4, 2), pack<int32_t>({1})), ProtocolError);
    EXPECT_THROW(writeCompressed(sink, header(kLz4, Type::Symbol, 0, 1), std::string("a\0", 2)), ProtocolError);
    EXPECT_EQ(sink.size(), 0u);
}

TEST(CompressionMalformed, RandomMutationsNeverCrash) {
    std::mt19937_64 rng(1234);
    std::vector<std::string> seeds = {
        unhex(kLz4Int123),
        unhex(kDeltaInt123),
        unhex(kDeltaInt12N45),
        compress(header(kDelta, Type::Long, 8, 300), pack(randomValues<int64_t>(rng, 300, -5000, 5000, 0.2))),
        compress(header(kLz4, Type::String, 0, 3), std::string("ab\0\0cde\0", 8)),
        compress(header(kDelta, Type::Short, 2, 200), pack(randomValues<int16_t>(rng, 200, -300, 300, 0.1))),
    };
    const int rounds = kSanitized ? 3000 : 20000;
    for (int i = 0; i < rounds; ++i) {
        std::string s = seeds[rng() % seeds.size()];
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) {
            const size_t at = rng() % s.size();
            switch (rng() % 3) {
                case 0: s[at] = static_cast<char>(rng()); break;
                case 1: s[at] = static_cast<char>(s[at] ^ (1 << (rng() % 8))); break;
                default: s.resize(at); break;
            }
            if (s.empty()) break;
        }
        for (int sock = 0; sock < 2; ++sock) {
            try {
                CompressedHeader h;
                if (sock) {
                    StreamSource src(s);
                    readCompressedPayload(src, h);
                } else {
                    MemorySource src(s);
                    readCompressedPayload(src, h);
                }
            } catch (const ProtocolError&) {}
        }
    }
}

// ---------------------------------------------------------------- throughput (prints, never asserts time)

TEST(CompressionThroughput, DeltaTimestampsAndLz4) {
    const size_t n = kSanitized ? 1000000 : 10000000;
    std::mt19937_64 rng(42);
    std::vector<int64_t> ts(n);
    int64_t t = 1700000000000000000;   // nanoseconds
    for (size_t i = 0; i < n; ++i) {
        t += 1000000 + ((rng() % 10 == 0) ? static_cast<int64_t>(rng() % 2000) - 1000 : 0);
        ts[i] = t;
    }
    const std::string payload = pack(ts);
    using clock = std::chrono::steady_clock;
    auto t0 = clock::now();
    const std::string stream = compress(header(kDelta, Type::Nanotimestamp, 8, static_cast<int32_t>(n)), payload);
    auto t1 = clock::now();
    std::string back;
    double best = 1e9;
    for (int rep = 0; rep < 3; ++rep) {
        auto a = clock::now();
        back = decompress(stream);
        best = std::min(best, std::chrono::duration<double>(clock::now() - a).count());
    }
    ASSERT_TRUE(back == payload);
    std::printf(
        "[throughput] delta-of-delta: %zu INT64 timestamps, %.1f MB -> %.2f MB; encode %.3f s; "
        "decode %.4f s = %.2f GB/s of output, %.0f M values/s\n",
        n, payload.size() / 1e6, stream.size() / 1e6, std::chrono::duration<double>(t1 - t0).count(), best,
        payload.size() / best / 1e9, n / best / 1e6);

    // 40 MB of INT/DOUBLE-like column data for LZ4.
    const size_t bytes = kSanitized ? 4000000 : 40000000;
    std::vector<int32_t> col(bytes / 4);
    for (auto& v : col) v = static_cast<int32_t>(rng() % 1000);
    const std::string lz = pack(col);
    const std::string lstream = compress(header(kLz4, Type::Int, 4, static_cast<int32_t>(col.size())), lz);
    best = 1e9;
    for (int rep = 0; rep < 3; ++rep) {
        auto a = clock::now();
        back = decompress(lstream);
        best = std::min(best, std::chrono::duration<double>(clock::now() - a).count());
    }
    ASSERT_TRUE(back == lz);
    std::printf("[throughput] LZ4: %.1f MB -> %.1f MB compressed; decode %.4f s = %.2f GB/s of output\n", lz.size() / 1e6,
                lstream.size() / 1e6, best, lz.size() / best / 1e9);
}
