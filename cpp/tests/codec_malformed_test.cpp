// Malformed input: truncation at every offset, negative/absurd counts, lying lengths, unknown ids,
// bad symbol indices, deep nesting -> ProtocolError, never a crash or an unbounded allocation.
// Also: big-endian peers (DecodeOptions::swapBytes) with hand-built big-endian streams.
#include <chrono>

#include "codec_helpers.h"

using namespace ddb;
using namespace ddbtest;

namespace {

Value decodeStream(const std::string& bytes) {
    StreamSource s(bytes);
    Value v = decodeObject(s);
    EXPECT_EQ(s.position(), bytes.size());
    return v;
}

void expectProtocolError(const std::string& bytes, const std::string& needle = "") {
    try {
        deserialize(bytes);
        ADD_FAILURE() << "no error for " << hex(bytes.substr(0, 64));
    } catch (const ProtocolError& e) {
        if (!needle.empty()) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    }
    // The same bytes from a socket-like source fail the same way.
    StreamSource s(bytes);
    EXPECT_THROW(decodeObject(s), ProtocolError);
}

std::vector<std::string> validObjects() {
    std::vector<std::string> out;
    auto base = makeBase({"", "A", "B"});
    Value t = tableOf({"i", "s", "s2", "str", "blob", "arr", "dec", "any"},
                      {fixedCol<int32_t>(Type::Int, {1, kNullInt}), symCol(base, {1, 2}), symCol(base, {2, 0}),
                       strCol(Type::String, {"x", ""}), strCol(Type::Blob, {std::string("\0a", 2), "bb"}),
                       arrayCol<int64_t>(Type::Long, {{1, 2}, {}}), fixedCol<int32_t>(Type::Decimal32, {1, 2}, 3),
                       anyCol({scalar<double>(Type::Double, 1.5), stringScalar(Type::String, "q")})});
    out.push_back(serialize(t));
    Value d;
    d.form = Form::Dictionary;
    d.column = strCol(Type::Symbol, {"k1", "k2"});
    d.dictValues = std::make_shared<Column>(anyCol({scalar<int32_t>(Type::Int, 1), vectorOf(strCol(Type::String, {"v"}))}));
    out.push_back(serialize(d));
    Value m;
    m.form = Form::Matrix;
    m.rows = 2;
    m.cols = 2;
    m.column = fixedCol<int16_t>(Type::Short, {1, 2, 3, 4});
    m.rowLabels = std::make_shared<Column>(strCol(Type::String, {"r1", "r2"}));
    m.colLabels = std::make_shared<Column>(fixedCol<int32_t>(Type::Date, {1, 2}));
    out.push_back(serialize(m));
    out.push_back(serialize(scalar<int32_t>(Type::Decimal32, 5, 2)));
    out.push_back(serialize(stringScalar(Type::FunctionDef, "f")));
    out.push_back(unhex("44 01 03 00 00 00 03 00 00 00 03 00 01 00 02 00 01 01 00 00 00 02 00 00 00 03 00 00 00"));
    out.push_back(
        unhex("1a 01 25 00 00 00 01 00 00 00 00 01 ff 01 04 04 00 00 00 00 00 00 03 00 00 00 ff ff ff ff "
              "0d 00 00 00 c0 01 00 00 00 02 00 00 00 03 00 00 00"));
    out.push_back(
        unhex("1a 01 30 00 00 00 01 00 00 00 00 01 ff 02 04 04 00 00 00 00 00 00 05 00 00 00 ff ff ff ff "
              "18 00 00 00 00 00 00 40 01 00 00 80 ff ff ff ff 3e c0 3f a0 00 00 00 00 ff ff ff ff"));
    Value c;
    c.form = Form::Chunk;
    c.raw = "abc";
    out.push_back(serialize(c));
    return out;
}

}   // namespace

TEST(Malformed, TruncatedAtEveryOffset) {
    int cases = 0;
    for (const std::string& bytes : validObjects()) {
        ASSERT_NO_THROW(deserialize(bytes)) << hex(bytes);
        for (size_t n = 0; n < bytes.size(); ++n) {
            std::string cut = bytes.substr(0, n);
            EXPECT_THROW(deserialize(cut), ProtocolError) << "prefix " << n << " of " << hex(bytes);
            StreamSource s(cut);
            EXPECT_THROW(decodeObject(s), ProtocolError) << "stream prefix " << n;
            ++cases;
        }
    }
    EXPECT_GT(cases, 300);
}

TEST(Malformed, TrailingBytesAreAnError) { EXPECT_THROW(deserialize(unhex("04 00 01 00 00 00 ff")), ProtocolError); }

TEST(Malformed, NegativeCounts) {
    expectProtocolError(unhex("04 01 ff ff ff ff 01 00 00 00"), "negative");   // rows -1
    expectProtocolError(unhex("04 01 01 00 00 00 ff ff ff ff 01 00 00 00"), "negative");   // cols -1
    expectProtocolError(unhex("00 06 ff ff ff ff 01 00 00 00 00 61 00"), "negative");   // table rows
    expectProtocolError(unhex("00 06 01 00 00 00 00 00 00 80 00"), "negative");   // table cols
    expectProtocolError(unhex("20 00 ff ff ff ff"), "negative BLOB length");
    expectProtocolError(unhex("20 01 01 00 00 00 01 00 00 00 fe ff ff ff"), "negative BLOB length");
    expectProtocolError(unhex("91 01 01 00 00 00 01 00 00 00 00 00 00 00 ff ff ff ff"), "negative");   // base size
    expectProtocolError(unhex("00 08 ff ff"), "CHUNK");
    expectProtocolError(unhex("04 03 00 04 03 ff ff ff ff 01 00 00 00"), "negative");   // matrix rows
    expectProtocolError(unhex("25 00 ff ff ff ff 00 00 00 00"), "scale");   // decimal scale -1
    expectProtocolError(unhex("25 00 0a 00 00 00 00 00 00 00"), "scale");   // DECIMAL32 scale 10
    expectProtocolError(unhex("27 01 01 00 00 00 01 00 00 00 27 00 00 00"), "scale");   // DECIMAL128 scale 39
}

TEST(Malformed, AbsurdCountsNeverAllocateUnbounded) {
    // 2^31-1 rows of INT / LONG / STRING / ANY / array vectors with only a few bytes behind them.
    std::vector<std::string> lies = {
        unhex("04 01 ff ff ff 7f 01 00 00 00 01 00 00 00"),
        unhex("27 01 ff ff ff 7f 01 00 00 00 02 00 00 00 00"),
        unhex("12 01 ff ff ff 7f 01 00 00 00 61 00"),
        unhex("20 01 ff ff ff 7f 01 00 00 00 01 00 00 00 61"),
        unhex("19 01 ff ff ff 7f 01 00 00 00 04 00 01 00 00 00"),
        unhex("44 01 ff ff ff 7f ff ff ff 7f ff ff 01 00 01"),
        unhex("04 01 ff ff ff 7f ff ff ff 7f"),   // rows*cols = 2^62
        unhex("04 03 00 04 03 ff ff ff 7f ff ff ff 7f 00"),   // matrix 2^31 x 2^31
        unhex("12 03 00 12 03 ff ff ff 7f ff ff ff 7f 00"),
        unhex("20 00 ff ff ff 7f 61 62"),   // BLOB scalar of 2 GiB
        unhex("00 06 01 00 00 00 ff ff ff 7f 00"),   // table with 2^31 columns
        unhex("91 01 01 00 00 00 01 00 00 00 00 00 00 00 ff ff ff 7f 00"),   // symbol base of 2^31
        unhex("44 01 01 00 00 00 01 00 00 00 01 00 04 00 ff ff ff ff"),   // row of 2^32-1 values
    };
    auto start = std::chrono::steady_clock::now();
    for (const auto& b : lies) {
        SCOPED_TRACE(hex(b));
        EXPECT_THROW(deserialize(b), ProtocolError);
        StreamSource s(b);   // remaining unknown: bounded chunks, then "stream ended"
        EXPECT_THROW(decodeObject(s), ProtocolError);
        EXPECT_LE(s.maxRead(), size_t(1) << 20);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Malformed, SocketSourceDecodesValidDataInChunks) {
    // A 3 MiB INT vector and 100k strings arrive through a source without remaining(): the decoder
    // grows its buffers as bytes arrive and reads at most 1 MiB at a time.
    std::vector<int32_t> ints(786432);
    for (size_t i = 0; i < ints.size(); ++i) ints[i] = static_cast<int32_t>(i * 7);
    std::string bytes = serialize(vectorOf(fixedCol<int32_t>(Type::Int, ints)));
    StreamSource s(bytes);
    Value v = decodeObject(s);
    EXPECT_EQ(values<int32_t>(v.column), ints);
    EXPECT_LE(s.maxRead(), size_t(1) << 20);
    std::vector<std::string> strs;
    for (int i = 0; i < 100000; ++i) strs.push_back(std::string("v").append(std::to_string(i)));
    Value sv = decodeStream(serialize(vectorOf(strCol(Type::String, strs))));
    EXPECT_EQ(strings(sv.column), strs);
    std::vector<std::vector<int16_t>> rows(70000, std::vector<int16_t>{1, 2, 3});
    Value av = decodeStream(serialize(vectorOf(arrayCol<int16_t>(Type::Short, rows))));
    EXPECT_EQ(row<int16_t>(av.column, 69999), (std::vector<int16_t>{1, 2, 3}));
    Value bl = decodeStream(serialize(vectorOf(strCol(Type::Blob, {std::string(3 << 20, 'x'), "y"}))));
    EXPECT_EQ(bl.column.stringAt(0).size(), size_t(3) << 20);
}

TEST(Malformed, ColumnsLargerThanTheUpfrontBlockEndInABlockOfTheirSize) {
    // 68 MB of LONGs through a source without remaining(): read into 64 MiB, then grown to the
    // announced size only. The next such column gets the freed block back whole.
    std::vector<int64_t> longs(8500000);
    for (size_t i = 0; i < longs.size(); ++i) longs[i] = static_cast<int64_t>(i) * 3;
    std::string bytes = serialize(vectorOf(fixedCol<int64_t>(Type::Long, longs)));
    const uint8_t* first;
    {
        StreamSource s(bytes);
        Value v = decodeObject(s);
        EXPECT_EQ(values<int64_t>(v.column), longs);
        first = v.column.data->data();
    }
    StreamSource s(bytes);
    Value again = decodeObject(s);
    EXPECT_EQ(again.column.data->data(), first);
    EXPECT_EQ(values<int64_t>(again.column), longs);
}

TEST(Malformed, UnknownAndUnsupportedIds) {
    expectProtocolError(unhex("2a 00 00"), "42");   // scalar type 42
    expectProtocolError(unhex("63 00 00"), "99");
    expectProtocolError(unhex("c8 01 00 00 00 00 01 00 00 00"), "200");
    expectProtocolError(unhex("29 01 00 00 00 00 01 00 00 00"), "IOTANY");
    expectProtocolError(unhex("19 00 00"), "ANY");   // ANY scalar
    expectProtocolError(unhex("1b 00 00"), "DICTIONARY");
    expectProtocolError(unhex("28 01 00 00 00 00 01 00 00 00"), "OBJECT");
    expectProtocolError(unhex("52 01 01 00 00 00 01 00 00 00 01 00 01 00 01 61 00"),
                        "array vector of STRING");   // variable-width array vector
    expectProtocolError(unhex("40 01 00 00 00 00 00 00 00 00"), "array vector of VOID");
    expectProtocolError(unhex("04 09"), "SYSOBJ");
    expectProtocolError(unhex("04 0a"), "TENSOR");
    expectProtocolError(unhex("04 0b"), "EXTOBJ");
    expectProtocolError(unhex("04 0c"), "form id 12");
    expectProtocolError(unhex("00 26 80 04"), "reading a PICKLE result: ");
    expectProtocolError(unhex("00 26 ff ff ff ff 10"), "reading an ARROW result: ");
    expectProtocolError(unhex("14 01 01 00 00 00 01 00 00 00 00 66 00"), "FUNCTIONDEF");   // FUNCTIONDEF vector
    expectProtocolError(unhex("04 05 04 00 00 00 00 00 00 00 00 00 01 00 00 00"), "expected a vector");   // scalar keys
    expectProtocolError(unhex("04 03 00 04 01 01 00 00 00 01 00 00 00 00 00 00 00"), "MATRIX");
    expectProtocolError(unhex("04 03 04 04 03 01 00 00 00 01 00 00 00 00 00 00 00"), "label flags");
    expectProtocolError(
        unhex("1a 01 25 00 00 00 01 00 00 00 00 01 ff 07 04 04 00 00 00 00 00 00 03 00 00 00 ff ff ff ff "
              "0d 00 00 00 c0 01 00 00 00 02 00 00 00 03 00 00 00"));   // compression method 7
}

TEST(Malformed, LyingLengthsAndInconsistentShapes) {
    // Column shorter than the table says.
    expectProtocolError(unhex("00 06 02 00 00 00 01 00 00 00 00 61 00 04 01 01 00 00 00 01 00 00 00 05 00 00 00"), "rows");
    // Dictionary with 2 keys and 1 value.
    expectProtocolError(unhex("04 05 04 01 02 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 "
                              "04 01 01 00 00 00 01 00 00 00 07 00 00 00"),
                        "keys");
    // Matrix with 2 rows but 3 row labels.
    expectProtocolError(unhex("04 03 01 04 01 03 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 "
                              "04 03 02 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00"),
                        "labels");
    // Array vector: count width 3, a block of 0 rows, a block with more rows than left.
    expectProtocolError(unhex("44 01 01 00 00 00 01 00 00 00 01 00 03 00 01 00 00 05 00 00 00"), "count width");
    expectProtocolError(unhex("44 01 01 00 00 00 01 00 00 00 00 00 01 00"), "0 rows");
    expectProtocolError(unhex("44 01 01 00 00 00 01 00 00 00 02 00 01 00 01 01 05 00 00 00 06 00 00 00"), "exceeds");
    // Compressed vector whose payload does not match the element count.
    expectProtocolError(
        unhex("1a 01 25 00 00 00 01 00 00 00 00 01 ff 01 04 04 00 00 00 00 00 00 02 00 00 00 ff ff ff ff "
              "0d 00 00 00 c0 01 00 00 00 02 00 00 00 03 00 00 00"));
    expectProtocolError(
        unhex("1a 01 25 00 00 00 01 00 00 00 00 01 ff 01 04 04 00 00 00 00 00 00 04 00 00 00 ff ff ff ff "
              "0d 00 00 00 c0 01 00 00 00 02 00 00 00 03 00 00 00"));
    // Unterminated string, string longer than the buffer.
    expectProtocolError(unhex("12 00 61 62 63"));
    expectProtocolError(unhex("00 06 01 00 00 00 01 00 00 00 00 61"));
}

TEST(Malformed, BadSymbolIndices) {
    // index == base size, index far out, negative index; also the "size 0" reuse of an unknown id.
    expectProtocolError(unhex("91 01 01 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 41 00 42 00 03 00 00 00"),
                        "out of range");
    expectProtocolError(unhex("91 01 01 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 41 00 42 00 ff ff ff 7f"),
                        "out of range");
    expectProtocolError(unhex("91 01 01 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 41 00 42 00 ff ff ff ff"),
                        "out of range");
    expectProtocolError(unhex("91 01 01 00 00 00 01 00 00 00 05 00 00 00 00 00 00 00 00 00 00 00"), "out of range");
    // In a table: the second column reuses id 1, which was never sent.
    expectProtocolError(unhex("00 06 01 00 00 00 02 00 00 00 00 61 00 62 00 "
                              "91 01 01 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 00 41 00 01 00 00 00 "
                              "91 01 01 00 00 00 01 00 00 00 01 00 00 00 00 00 00 00 01 00 00 00"),
                        "out of range");
    // Reuse outside a table does not see a table's registry: an ANY of two symbol vectors.
    expectProtocolError(unhex("19 01 02 00 00 00 01 00 00 00 "
                              "91 01 01 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 00 41 00 01 00 00 00 "
                              "91 01 01 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00"),
                        "out of range");
}

TEST(Malformed, DeepNesting) {
    auto nested = [](int depth) {
        std::string b;
        for (int i = 0; i < depth; ++i) b += unhex("19 01 01 00 00 00 01 00 00 00");
        b += unhex("04 00 07 00 00 00");
        return b;
    };
    Value ok = deserialize(nested(90));
    const Value* p = &ok;
    for (int i = 0; i < 90; ++i) p = &p->column.items[0];
    EXPECT_EQ(at<int32_t>(p->column, 0), 7);
    expectProtocolError(nested(150), "nesting");
    expectProtocolError(nested(100000).substr(0, 10 * 5000), "nesting");
    // Dictionaries nested through ANY values.
    std::string d;
    for (int i = 0; i < 200; ++i) d += unhex("19 05 04 01 01 00 00 00 01 00 00 00 01 00 00 00 19 01 01 00 00 00 01 00 00 00");
    expectProtocolError(d, "nesting");
}

TEST(BigEndian, SwapBytesDecodesAHandBuiltBigEndianStream) {
    // A big-endian peer: flag words, counts, values, scales, base ids, array counts all swapped;
    // 16-byte values as a whole (§4.2).
    std::string b = unhex(
        "06 00 00 00 00 03 00 00 00 08 74 00"   // TABLE type 0: 3 rows, 8 cols, name "t"
        "69 00 73 00 64 00 75 00 61 00 73 74 72 00 62 00 68 00"   // i s d u a str b h
        "01 04 00 00 00 03 00 00 00 01 00 00 00 01 80 00 00 00 ff ff ff fe"   // INT [1, NULL, -2]
        "01 91 00 00 00 03 00 00 00 01 00 00 00 00 00 00 00 03 00 41 00 42 00 00 00 00 01 00 00 00 02 00 00 00 00"
        "01 10 00 00 00 03 00 00 00 01 3f f8 00 00 00 00 00 00 ff ef ff ff ff ff ff ff 40 08 00 00 00 00 00 00"
        "01 13 00 00 00 03 00 00 00 01"   // UUID: canonical order on a BE stream
        "5d 21 2a 78 cc 48 e3 b1 42 35 b4 d9 14 73 ee 87"
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01"
        "01 44 00 00 00 03 00 00 00 04 00 03 02 00 00 02 00 00 00 02 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 04"
        "01 12 00 00 00 03 00 00 00 01 78 00 00 79 7a 00"
        "01 20 00 00 00 03 00 00 00 01 00 00 00 02 68 69 00 00 00 00 00 00 00 01 00"
        "01 03 00 00 00 03 00 00 00 01 00 01 80 00 ff fe");
    MemorySource src(b);
    DecodeOptions o;
    o.swapBytes = true;
    Value t = decodeObject(src, o);
    EXPECT_EQ(src.remaining(), 0);
    ASSERT_EQ(t.form, Form::Table);
    EXPECT_EQ(t.tableName, "t");
    EXPECT_EQ(t.columnNames, (std::vector<std::string>{"i", "s", "d", "u", "a", "str", "b", "h"}));
    EXPECT_EQ(values<int32_t>(t.columns[0]), (std::vector<int32_t>{1, kNullInt, -2}));
    EXPECT_EQ(strings(t.columns[1]), (std::vector<std::string>{"A", "B", ""}));
    EXPECT_EQ(values<double>(t.columns[2]), (std::vector<double>{1.5, kNullDouble, 3.0}));
    // Stored little-endian (wire order of a little-endian stream): the reverse of canonical text order.
    EXPECT_EQ(hex(std::string_view(reinterpret_cast<const char*>(t.columns[3].data->data()), 16)),
              "87 ee 73 14 d9 b4 35 42 b1 e3 48 cc 78 2a 21 5d");
    EXPECT_EQ(at<uint8_t>(t.columns[3], 32), 1);
    EXPECT_EQ(row<int32_t>(t.columns[4], 0), (std::vector<int32_t>{1, 2}));
    EXPECT_EQ(row<int32_t>(t.columns[4], 1), (std::vector<int32_t>{}));
    EXPECT_EQ(row<int32_t>(t.columns[4], 2), (std::vector<int32_t>{3, 4}));
    EXPECT_EQ(strings(t.columns[5]), (std::vector<std::string>{"x", "", "yz"}));
    EXPECT_EQ(strings(t.columns[6]), (std::vector<std::string>{"hi", "", std::string(1, '\0')}));
    EXPECT_EQ(values<int16_t>(t.columns[7]), (std::vector<int16_t>{1, kNullShort, -2}));
    // Re-encoded natively it is the little-endian form of the same table.
    Value le = deserialize(serialize(t));
    EXPECT_EQ(values<int32_t>(le.columns[0]), (std::vector<int32_t>{1, kNullInt, -2}));
}

TEST(BigEndian, ScalarsDecimalsDurationComplex) {
    DecodeOptions o;
    o.swapBytes = true;
    auto dec = [&](std::string_view h) {
        std::string b = unhex(h);
        MemorySource s(b);
        Value v = decodeObject(s, o);
        EXPECT_EQ(s.remaining(), 0);
        return v;
    };
    Value d = dec("00 25 00 00 00 02 00 00 30 39");
    EXPECT_EQ(d.column.scale, 2);
    EXPECT_EQ(at<int32_t>(d.column, 0), 12345);
    Value l = dec("00 05 00 00 00 00 00 00 00 2a");
    EXPECT_EQ(at<int64_t>(l.column, 0), 42);
    Value f = dec("00 0f 3f c0 00 00");
    EXPECT_EQ(at<float>(f.column, 0), 1.5f);
    Value dur = dec("00 24 00 00 00 05 00 00 00 03");   // DURATION 5s: value and unit swapped separately
    EXPECT_EQ(at<int32_t>(dur.column, 0), 5);
    EXPECT_EQ(at<int32_t>(dur.column, 1), 3);
    Value cx = dec("00 22 3f f8 00 00 00 00 00 00 40 00 00 00 00 00 00 00");   // COMPLEX 1.5+2i
    EXPECT_EQ(at<double>(cx.column, 0), 1.5);
    EXPECT_EQ(at<double>(cx.column, 1), 2.0);
    Value i128 = dec("00 1f e1 67 17 97 c5 2e 15 f7 63 38 0b 45 e8 41 ec 32");
    EXPECT_EQ(hex(std::string_view(reinterpret_cast<const char*>(i128.column.data->data()), 16)),
              "32 ec 41 e8 45 0b 38 63 f7 15 2e c5 97 17 67 e1");
    Value s = dec("00 12 68 69 00");
    EXPECT_EQ(s.column.stringAt(0), "hi");
    Value blob = dec("00 20 00 00 00 02 61 00");
    EXPECT_EQ(blob.column.stringAt(0), std::string("a\0", 2));
    // Compressed vectors from a big-endian peer are refused with a clear error.
    std::string c = unhex("01 1a 00 00 00 25");
    MemorySource cs(c);
    EXPECT_THROW(decodeObject(cs, o), ProtocolError);
}
