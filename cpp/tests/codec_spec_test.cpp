// Every hex example of PROTOCOL.md §1–§6 decodes to the documented values (and, where the
// encoding is deterministic, re-encodes to the same bytes).
#include <cfloat>

#include "codec_helpers.h"
#include "protocol/framing.h"

using namespace ddb;
using namespace ddbtest;

namespace {
void expectReencodes(std::string_view h) {
    std::string bytes = unhex(h);
    Value v = deserialize(bytes);
    EXPECT_EQ(hex(serialize(v)), hex(bytes));
}
}   // namespace

TEST(SpecScalars, FixedWidth) {
    Value v = decodeHex("01 00 01");
    EXPECT_EQ(v.form, Form::Scalar);
    EXPECT_EQ(v.type(), Type::Bool);
    EXPECT_EQ(at<int8_t>(v.column, 0), 1);
    EXPECT_EQ(at<int8_t>(decodeHex("01 00 80").column, 0), kNullChar);
    EXPECT_EQ(at<int8_t>(decodeHex("02 00 ff").column, 0), -1);
    EXPECT_EQ(at<int16_t>(decodeHex("03 00 00 80").column, 0), kNullShort);
    EXPECT_EQ(at<int32_t>(decodeHex("04 00 00 00 00 80").column, 0), kNullInt);
    EXPECT_EQ(at<int64_t>(decodeHex("05 00 01 00 00 00 00 00 00 00").column, 0), 1);
    EXPECT_EQ(at<float>(decodeHex("0f 00 ff ff 7f ff").column, 0), -FLT_MAX);
    EXPECT_EQ(at<double>(decodeHex("10 00 ff ff ff ff ff ff ef ff").column, 0), -DBL_MAX);
    Value date = decodeHex("06 00 0b 4d 00 00");
    EXPECT_EQ(date.type(), Type::Date);
    EXPECT_EQ(at<int32_t>(date.column, 0), 19723);
    Value ts = decodeHex("0c 00 7b f4 51 c2 8c 01 00 00");
    EXPECT_EQ(ts.type(), Type::Timestamp);
    EXPECT_EQ(at<int64_t>(ts.column, 0), 1704067200123LL);
    Value dh = decodeHex("1c 00 08 39 07 00");
    EXPECT_EQ(dh.type(), Type::Datehour);
    EXPECT_EQ(at<int32_t>(dh.column, 0), 473352);
    for (auto h : {"01 00 01", "01 00 80", "02 00 ff", "03 00 00 80", "04 00 00 00 00 80", "0f 00 ff ff 7f ff",
                   "10 00 ff ff ff ff ff ff ef ff", "06 00 0b 4d 00 00", "0c 00 7b f4 51 c2 8c 01 00 00", "1c 00 08 39 07 00"})
        expectReencodes(h);
}

TEST(SpecScalars, TextBlobVoidFunctionDefCode) {
    Value s = decodeHex("12 00 68 69 00");
    EXPECT_EQ(s.type(), Type::String);
    EXPECT_EQ(s.column.stringAt(0), "hi");
    Value sym = decodeHex("11 00 61 62 63 00");
    EXPECT_EQ(sym.type(), Type::Symbol);
    EXPECT_EQ(sym.column.stringAt(0), "abc");
    Value blob = decodeHex("20 00 03 00 00 00 61 00 62");
    EXPECT_EQ(blob.type(), Type::Blob);
    EXPECT_EQ(blob.column.stringAt(0), std::string_view("a\0b", 3));
    Value vd = decodeHex("00 00 00");
    EXPECT_EQ(vd.type(), Type::Void);
    EXPECT_EQ(vd.column.scale, 0);
    EXPECT_EQ(decodeHex("00 00 01").column.scale, 1);
    Value f = decodeHex("14 00 00 66 00");
    EXPECT_EQ(f.type(), Type::FunctionDef);
    EXPECT_EQ(f.column.scale, 0);
    EXPECT_EQ(f.column.stringAt(0), "f");
    Value code = decodeHex("16 00 3c 31 2b 32 3e 00");
    EXPECT_EQ(code.type(), Type::Code);
    EXPECT_EQ(code.column.stringAt(0), "<1+2>");
    for (auto h : {"12 00 68 69 00", "11 00 61 62 63 00", "20 00 03 00 00 00 61 00 62", "00 00 00", "00 00 01", "14 00 00 66 00",
                   "16 00 3c 31 2b 32 3e 00"})
        expectReencodes(h);
}

TEST(SpecScalars, Wide128BitValues) {
    Value u = decodeHex("13 00 87 ee 73 14 d9 b4 35 42 b1 e3 48 cc 78 2a 21 5d");
    EXPECT_EQ(u.type(), Type::Uuid);
    EXPECT_EQ(hex(std::string_view(reinterpret_cast<const char*>(u.column.data->data()), 16)),
              "87 ee 73 14 d9 b4 35 42 b1 e3 48 cc 78 2a 21 5d");
    Value i128 = decodeHex("1f 00 32 ec 41 e8 45 0b 38 63 f7 15 2e c5 97 17 67 e1");
    EXPECT_EQ(i128.type(), Type::Int128);
    EXPECT_EQ(at<uint8_t>(i128.column, 15), 0xe1);
    Value ip = decodeHex("1e 00 04 03 02 01 00 00 00 00 00 00 00 00 00 00 00 00");
    EXPECT_EQ(ip.type(), Type::IpAddr);
    EXPECT_EQ(at<uint32_t>(ip.column, 0), 0x01020304u);
    for (auto h :
         {"13 00 87 ee 73 14 d9 b4 35 42 b1 e3 48 cc 78 2a 21 5d", "1f 00 32 ec 41 e8 45 0b 38 63 f7 15 2e c5 97 17 67 e1",
          "1e 00 04 03 02 01 00 00 00 00 00 00 00 00 00 00 00 00"})
        expectReencodes(h);
}

TEST(SpecScalars, Decimals) {
    Value d32 = decodeHex("25 00 02 00 00 00 39 30 00 00");
    EXPECT_EQ(d32.type(), Type::Decimal32);
    EXPECT_EQ(d32.column.scale, 2);
    EXPECT_EQ(at<int32_t>(d32.column, 0), 12345);
    Value d64 = decodeHex("26 00 04 00 00 00 c7 cf ff ff ff ff ff ff");
    EXPECT_EQ(d64.column.scale, 4);
    EXPECT_EQ(at<int64_t>(d64.column, 0), -12345);
    Value d128 = decodeHex("27 00 03 00 00 00 39 30 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    EXPECT_EQ(d128.type(), Type::Decimal128);
    EXPECT_EQ(d128.column.scale, 3);
    EXPECT_EQ(at<int64_t>(d128.column, 0), 12345);
    EXPECT_EQ(at<int64_t>(d128.column, 1), 0);
    Value py = decodeHex("26 00 02 00 00 00 7b 00 00 00 00 00 00 00");   // Decimal("1.23") from Python
    EXPECT_EQ(py.column.scale, 2);
    EXPECT_EQ(at<int64_t>(py.column, 0), 123);
    for (auto h : {"25 00 02 00 00 00 39 30 00 00", "26 00 04 00 00 00 c7 cf ff ff ff ff ff ff",
                   "27 00 03 00 00 00 39 30 00 00 00 00 00 00 00 00 00 00 00 00 00 00"})
        expectReencodes(h);
}

TEST(SpecVectors, IntStringBlobDecimal) {
    Value i = decodeHex("04 01 03 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 00 00 00 80");
    EXPECT_EQ(i.form, Form::Vector);
    EXPECT_EQ(values<int32_t>(i.column), (std::vector<int32_t>{1, 2, kNullInt}));
    Value s = decodeHex("12 01 03 00 00 00 01 00 00 00 78 00 00 79 7a 00");
    EXPECT_EQ(strings(s.column), (std::vector<std::string>{"x", "", "yz"}));
    Value b = decodeHex("20 01 02 00 00 00 01 00 00 00 02 00 00 00 68 69 00 00 00 00");
    EXPECT_EQ(strings(b.column), (std::vector<std::string>{"hi", ""}));
    Value d = decodeHex("25 01 02 00 00 00 01 00 00 00 02 00 00 00 39 30 00 00 00 00 00 80");
    EXPECT_EQ(d.column.scale, 2);
    EXPECT_EQ(values<int32_t>(d.column), (std::vector<int32_t>{12345, kNullInt}));
    Value v3 = decodeHex("04 01 03 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00");
    EXPECT_EQ(values<int32_t>(v3.column), (std::vector<int32_t>{1, 2, 3}));
    for (auto h :
         {"04 01 03 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 00 00 00 80", "12 01 03 00 00 00 01 00 00 00 78 00 00 79 7a 00",
          "20 01 02 00 00 00 01 00 00 00 02 00 00 00 68 69 00 00 00 00",
          "25 01 02 00 00 00 01 00 00 00 02 00 00 00 39 30 00 00 00 00 00 80", "12 01 02 00 00 00 01 00 00 00 78 00 79 00"})
        expectReencodes(h);
}

TEST(SpecSymbols, VectorWithBase) {
    const char* h =
        "91 01 04 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 41 00 42 00 "
        "01 00 00 00 02 00 00 00 01 00 00 00 00 00 00 00";
    Value v = decodeHex(h);
    EXPECT_EQ(v.type(), Type::Symbol);
    ASSERT_TRUE(v.column.hasSymbolBase());
    EXPECT_EQ(v.column.symbols->strings.length, 3);
    EXPECT_EQ(strings(v.column), (std::vector<std::string>{"A", "B", "A", ""}));
    expectReencodes(h);
    const char* upload =
        "91 01 03 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 41 00 42 00 "
        "01 00 00 00 02 00 00 00 01 00 00 00";
    EXPECT_EQ(strings(decodeHex(upload).column), (std::vector<std::string>{"A", "B", "A"}));
    expectReencodes(upload);
}

TEST(SpecSymbols, TableSharingOneBase) {
    const char* h =
        "00 06 02 00 00 00 02 00 00 00 00 73 31 00 73 32 00 "
        "91 01 02 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 41 00 42 00 01 00 00 00 02 00 00 00 "
        "91 01 02 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 02 00 00 00 01 00 00 00";
    Value t = decodeHex(h);
    ASSERT_EQ(t.form, Form::Table);
    ASSERT_EQ(t.columns.size(), 2u);
    EXPECT_EQ(t.columnNames, (std::vector<std::string>{"s1", "s2"}));
    EXPECT_EQ(strings(t.columns[0]), (std::vector<std::string>{"A", "B"}));
    EXPECT_EQ(strings(t.columns[1]), (std::vector<std::string>{"B", "A"}));
    EXPECT_EQ(t.columns[0].symbols, t.columns[1].symbols);   // one shared base object
    expectReencodes(h);   // id 0 then "id 0, size 0"
}

TEST(SpecArrayVectors, IntArrays) {
    Value v = decodeHex("44 01 03 00 00 00 03 00 00 00 | 03 00 01 00 | 02 00 01 | 01 00 00 00 02 00 00 00 03 00 00 00");
    EXPECT_EQ(v.column.rawType, 68);
    EXPECT_EQ(typeName(v.column.rawType), "INT[]");
    ASSERT_EQ(v.column.length, 3);
    EXPECT_EQ(row<int32_t>(v.column, 0), (std::vector<int32_t>{1, 2}));
    EXPECT_EQ(row<int32_t>(v.column, 1), (std::vector<int32_t>{}));
    EXPECT_EQ(row<int32_t>(v.column, 2), (std::vector<int32_t>{3}));
    expectReencodes("44 01 03 00 00 00 03 00 00 00 03 00 01 00 02 00 01 01 00 00 00 02 00 00 00 03 00 00 00");
    const char* upload = "44 01 02 00 00 00 03 00 00 00 02 00 01 00 02 01 01 00 00 00 02 00 00 00 03 00 00 00";
    Value u = decodeHex(upload);
    EXPECT_EQ(row<int32_t>(u.column, 0), (std::vector<int32_t>{1, 2}));
    EXPECT_EQ(row<int32_t>(u.column, 1), (std::vector<int32_t>{3}));
    expectReencodes(upload);
}

TEST(SpecForms, PairMatrixSetDictionary) {
    Value p = decodeHex("04 02 02 00 00 00 01 00 00 00 01 00 00 00 05 00 00 00");
    EXPECT_EQ(p.form, Form::Pair);
    EXPECT_EQ(values<int32_t>(p.column), (std::vector<int32_t>{1, 5}));
    expectReencodes("04 02 02 00 00 00 01 00 00 00 01 00 00 00 05 00 00 00");

    const char* mh =
        "04 03 02 | 12 01 02 00 00 00 01 00 00 00 63 31 00 63 32 00 | "
        "04 03 02 00 00 00 02 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 04 00 00 00";
    Value m = decodeHex(mh);
    EXPECT_EQ(m.form, Form::Matrix);
    EXPECT_EQ(m.rows, 2);
    EXPECT_EQ(m.cols, 2);
    EXPECT_FALSE(m.rowLabels);
    ASSERT_TRUE(m.colLabels);
    EXPECT_EQ(strings(*m.colLabels), (std::vector<std::string>{"c1", "c2"}));
    EXPECT_EQ(values<int32_t>(m.column), (std::vector<int32_t>{1, 2, 3, 4}));
    expectReencodes(mh);
    Value np = decodeHex("04 03 00 04 03 02 00 00 00 02 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 04 00 00 00");
    EXPECT_FALSE(np.colLabels);
    EXPECT_EQ(values<int32_t>(np.column), (std::vector<int32_t>{1, 2, 3, 4}));

    Value s = decodeHex("04 04 | 04 01 02 00 00 00 01 00 00 00 03 00 00 00 01 00 00 00");
    EXPECT_EQ(s.form, Form::Set);
    EXPECT_EQ(values<int32_t>(s.column), (std::vector<int32_t>{3, 1}));
    expectReencodes("04 04 04 01 02 00 00 00 01 00 00 00 03 00 00 00 01 00 00 00");

    const char* dh =
        "19 05 | 12 01 02 00 00 00 01 00 00 00 61 00 62 00 | "
        "19 01 02 00 00 00 01 00 00 00 04 00 01 00 00 00 12 00 73 00";
    Value d = decodeHex(dh);
    EXPECT_EQ(d.form, Form::Dictionary);
    EXPECT_EQ(strings(d.column), (std::vector<std::string>{"a", "b"}));
    ASSERT_TRUE(d.dictValues);
    ASSERT_EQ(d.dictValues->items.size(), 2u);
    EXPECT_EQ(at<int32_t>(d.dictValues->items[0].column, 0), 1);
    EXPECT_EQ(d.dictValues->items[1].column.stringAt(0), "s");
    expectReencodes(dh);
    const char* py = "05 05 | 12 01 01 00 00 00 01 00 00 00 61 00 | 05 01 01 00 00 00 01 00 00 00 01 00 00 00 00 00 00 00";
    Value pd = decodeHex(py);
    EXPECT_EQ(at<int64_t>(*pd.dictValues, 0), 1);
    expectReencodes(py);
}

TEST(SpecForms, Tables) {
    const char* h =
        "00 06 02 00 00 00 02 00 00 00 74 00 69 64 00 73 00 "
        "04 01 02 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 "
        "91 01 02 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 41 00 42 00 01 00 00 00 02 00 00 00";
    Value t = decodeHex(h);
    EXPECT_EQ(t.tableName, "t");
    EXPECT_EQ(t.rows, 2);
    EXPECT_EQ(t.columnNames, (std::vector<std::string>{"id", "s"}));
    EXPECT_EQ(values<int32_t>(t.columns[0]), (std::vector<int32_t>{1, 2}));
    EXPECT_EQ(strings(t.columns[1]), (std::vector<std::string>{"A", "B"}));
    expectReencodes(h);

    const char* py =
        "00 06 03 00 00 00 03 00 00 00 00 69 00 64 00 73 00 "
        "04 01 03 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 "
        "10 01 03 00 00 00 01 00 00 00 00 00 00 00 00 00 f8 3f ff ff ff ff ff ff ef ff 00 00 00 00 00 00 08 40 "
        "12 01 03 00 00 00 01 00 00 00 61 00 62 62 00 00";
    Value p = decodeHex(py);
    EXPECT_EQ(values<double>(p.columns[1]), (std::vector<double>{1.5, -DBL_MAX, 3.0}));
    EXPECT_EQ(strings(p.columns[2]), (std::vector<std::string>{"a", "bb", ""}));
    expectReencodes(py);
}

TEST(SpecForms, AnyVectors) {
    const char* h = "19 01 02 00 00 00 01 00 00 00 | 04 00 09 00 00 00 | 12 01 01 00 00 00 01 00 00 00 71 00";
    Value v = decodeHex(h);
    EXPECT_EQ(v.type(), Type::Any);
    ASSERT_EQ(v.column.items.size(), 2u);
    EXPECT_EQ(at<int32_t>(v.column.items[0].column, 0), 9);
    EXPECT_EQ(v.column.items[1].form, Form::Vector);
    EXPECT_EQ(strings(v.column.items[1].column), (std::vector<std::string>{"q"}));
    expectReencodes(h);
    const char* py = "19 01 02 00 00 00 01 00 00 00 05 00 01 00 00 00 00 00 00 00 12 00 61 00";
    Value p = decodeHex(py);
    EXPECT_EQ(at<int64_t>(p.column.items[0].column, 0), 1);
    EXPECT_EQ(p.column.items[1].column.stringAt(0), "a");
    expectReencodes(py);
}

TEST(SpecFraming, FetchSizeBlockStream) {
    std::string bytes = unhex(
        "31 32 33 34 35 36 37 38 39 30 20 31 20 31 0a 4f 4b 0a "
        "19 01 02 00 00 00 01 00 00 00 "
        "00 06 01 00 00 00 01 00 00 00 00 61 00 04 01 01 00 00 00 01 00 00 00 01 00 00 00 "
        "00 06 01 00 00 00 01 00 00 00 00 61 00 04 01 01 00 00 00 01 00 00 00 02 00 00 00");
    MemorySource src(bytes);
    Response r = readResponse(src);
    EXPECT_EQ(src.remaining(), 0);
    ASSERT_TRUE(r.head.ok);
    EXPECT_EQ(r.head.sessionId, "1234567890");
    ASSERT_EQ(r.objects.size(), 1u);
    const Column& blocks = r.objects[0].column;
    ASSERT_EQ(blocks.items.size(), 2u);
    EXPECT_EQ(blocks.items[0].form, Form::Table);
    EXPECT_EQ(blocks.items[0].columnNames, (std::vector<std::string>{"a"}));
    EXPECT_EQ(values<int32_t>(blocks.items[0].columns[0]), (std::vector<int32_t>{1}));
    EXPECT_EQ(values<int32_t>(blocks.items[1].columns[0]), (std::vector<int32_t>{2}));
}

TEST(SpecFraming, ResponseExamples) {
    {
        std::string b = unhex("31 32 33 34 35 36 37 38 39 30 20 31 20 31 0a 4f 4b 0a 04 00 02 00 00 00");
        MemorySource src(b);
        Response r = readResponse(src);
        ASSERT_EQ(r.objects.size(), 1u);
        EXPECT_EQ(at<int32_t>(r.objects[0].column, 0), 2);
    }
    {
        std::string b = unhex("31 32 33 34 35 36 37 38 39 30 20 31 20 31 0a 4f 4b 0a 01 00 01");
        MemorySource src(b);
        Response r = readResponse(src);
        EXPECT_EQ(r.head.numObjects, 1);
        EXPECT_EQ(at<int8_t>(r.objects[0].column, 0), 1);
    }
    {
        std::string b =
            unhex("4d 53 47 0a 68 65 6c 6c 6f 00 31 32 33 34 35 36 37 38 39 30 20 31 20 31 0a 4f 4b 0a 04 00 01 00 00 00");
        MemorySource src(b);
        std::vector<std::string> msgs;
        Response r = readResponse(src, [&](std::string_view m) { msgs.emplace_back(m); });
        EXPECT_EQ(msgs, (std::vector<std::string>{"hello"}));
        EXPECT_EQ(at<int32_t>(r.objects[0].column, 0), 1);
    }
    {
        std::string b = "1234567890 0 1\nSyntax Error: [line #1] Cannot recognize the token err RefId:S06001\n";
        MemorySource src(b);
        Response r = readResponse(src);
        EXPECT_FALSE(r.head.ok);
        EXPECT_EQ(r.head.error, "Syntax Error: [line #1] Cannot recognize the token err RefId:S06001");
        EXPECT_TRUE(r.objects.empty());
    }
}

TEST(SpecCompression, Lz4IntVector) {
    Value v = decodeHex(
        "1a 01 25 00 00 00 01 00 00 00 00 01 ff 01 04 04 00 00 00 00 00 00 03 00 00 00 ff ff ff ff "
        "0d 00 00 00 c0 01 00 00 00 02 00 00 00 03 00 00 00");
    EXPECT_EQ(v.form, Form::Vector);
    EXPECT_EQ(v.type(), Type::Int);
    EXPECT_EQ(values<int32_t>(v.column), (std::vector<int32_t>{1, 2, 3}));
}

TEST(SpecCompression, DeltaOfDeltaIntVectors) {
    Value v = decodeHex(
        "1a 01 30 00 00 00 01 00 00 00 00 01 ff 02 04 04 00 00 00 00 00 00 03 00 00 00 ff ff ff ff "
        "18 00 00 00 00 00 00 40 01 00 00 80 ff ff ff ff ff ff 7f 9f 00 00 00 00 00 00 80 ff");
    EXPECT_EQ(values<int32_t>(v.column), (std::vector<int32_t>{1, 2, 3}));
    // [1,2,4,NULL,5]: same header with elementCount 5 (byteSize 20 + 4 + 24 = 48 = 0x30).
    Value n = decodeHex(
        "1a 01 30 00 00 00 01 00 00 00 00 01 ff 02 04 04 00 00 00 00 00 00 05 00 00 00 ff ff ff ff "
        "18 00 00 00 00 00 00 40 01 00 00 80 ff ff ff ff 3e c0 3f a0 00 00 00 00 ff ff ff ff");
    EXPECT_EQ(values<int32_t>(n.column), (std::vector<int32_t>{1, 2, 4, kNullInt, 5}));
}

TEST(SpecCompression, Lz4StringAndArrayAndDecimalPayloads) {
    // A STRING vector ["ab","","cde"] compressed as one literal-only LZ4 block (§6.3).
    std::string payload = unhex("61 62 00 00 63 64 65 00");
    auto lz4Literal = [](const std::string& raw) {
        std::string b;
        size_t n = raw.size();
        if (n < 15) {
            b.push_back(static_cast<char>(n << 4));
        } else {
            b.push_back(static_cast<char>(0xf0));
            size_t rest = n - 15;
            while (rest >= 255) {
                b.push_back(static_cast<char>(0xff));
                rest -= 255;
            }
            b.push_back(static_cast<char>(rest));
        }
        return b + raw;
    };
    auto frame = [&](int8_t dataType, int8_t unit, int16_t reserved, int32_t extra, int32_t count, const std::string& raw) {
        std::string block = lz4Literal(raw);
        Sink s;
        s.put<uint16_t>(0x011a);
        s.put<int32_t>(static_cast<int32_t>(20 + 4 + block.size()));
        s.put<int32_t>(1);
        s.put<int8_t>(0);
        s.put<int8_t>(1);
        s.put<int8_t>(-1);
        s.put<int8_t>(1);
        s.put<int8_t>(dataType);
        s.put<int8_t>(unit);
        s.put<int16_t>(reserved);
        s.put<int32_t>(extra);
        s.put<int32_t>(count);
        s.put<int32_t>(-1);
        s.put<int32_t>(static_cast<int32_t>(block.size()));
        s.write(block.data(), block.size());
        return s.str();
    };
    Value s = deserialize(frame(18, 0, 0, 0, 3, payload));
    EXPECT_EQ(strings(s.column), (std::vector<std::string>{"ab", "", "cde"}));
    // INT[] [[1,2],[],[3]]: the payload is the §5.7 block stream, extra = 3.
    Value a = deserialize(frame(68, 4, 0, 3, 3, unhex("03 00 01 00 02 00 01 01 00 00 00 02 00 00 00 03 00 00 00")));
    EXPECT_EQ(a.column.rawType, 68);
    EXPECT_EQ(row<int32_t>(a.column, 0), (std::vector<int32_t>{1, 2}));
    EXPECT_EQ(row<int32_t>(a.column, 1), (std::vector<int32_t>{}));
    EXPECT_EQ(row<int32_t>(a.column, 2), (std::vector<int32_t>{3}));
    // DECIMAL32 scale 2 only in `reserved`.
    Value d = deserialize(frame(37, 4, 2, 0, 2, unhex("39 30 00 00 00 00 00 80")));
    EXPECT_EQ(d.type(), Type::Decimal32);
    EXPECT_EQ(d.column.scale, 2);
    EXPECT_EQ(values<int32_t>(d.column), (std::vector<int32_t>{12345, kNullInt}));
    // In a table column (type 0 table), next to a plain DOUBLE column.
    std::string table = unhex("00 06 03 00 00 00 02 00 00 00 00 61 00 62 00") +
        frame(4, 4, 0, 0, 3, unhex("01 00 00 00 02 00 00 00 03 00 00 00")) + unhex("10 01 03 00 00 00 01 00 00 00") +
        std::string(24, '\0');
    Value t = deserialize(table);
    EXPECT_EQ(values<int32_t>(t.columns[0]), (std::vector<int32_t>{1, 2, 3}));
    EXPECT_EQ(values<double>(t.columns[1]), (std::vector<double>{0, 0, 0}));
}

TEST(SpecCompression, PythonCompressedTableTypeByte) {
    // §6.5: table type 8 with ordinary columns.
    std::string h = unhex("08 06 02 00 00 00 01 00 00 00 00 69 00 04 01 02 00 00 00 01 00 00 00 00 00 00 00 01 00 00 00");
    Value t = deserialize(h);
    EXPECT_EQ(t.tableType, 8);
    EXPECT_EQ(values<int32_t>(t.columns[0]), (std::vector<int32_t>{0, 1}));
    EXPECT_EQ(hex(serialize(t)), hex(h));
}
