// Request building and response/request parsing (PROTOCOL.md §1–§4).
#include <algorithm>

#include "codec_helpers.h"
#include "protocol/framing.h"

using namespace ddb;
using namespace ddbtest;
using namespace std::string_literals;

TEST(Framing, OptionStrings) {
    RequestOptions o;
    EXPECT_EQ(formatOptions(o), "32_1_4_64__0");
    o.priority = 8;
    o.parallelism = 16;
    EXPECT_EQ(formatOptions(o), "32_1_8_16__0");
    o = {};
    o.fetchSize = 8192;
    EXPECT_EQ(formatOptions(o), "32_1_4_64__8192");
    o = {};
    o.clientId = "0d874fed-8880-37ad-2a4a-4a12ca079fa7";
    o.seqNo = 1;
    EXPECT_EQ(formatOptions(o), "32_1_4_64__0__0d874fed-8880-37ad-2a4a-4a12ca079fa7_1");
    o.seqNo = -2;
    EXPECT_EQ(formatOptions(o), "32_1_4_64__0__0d874fed-8880-37ad-2a4a-4a12ca079fa7_-2");
    o = {};
    o.flag = flags::kApiClient | flags::kClearMemory | flags::kCompress;
    o.cancellable = false;
    EXPECT_EQ(formatOptions(o), "112_0_4_64__0");
    EXPECT_EQ(formatConnectOptions(32), "32_1_4_2");
    EXPECT_EQ(formatConnectOptions(96), "96_1_4_2");
}

TEST(Framing, ConnectRequests) {
    EXPECT_EQ(hex(buildConnectRequest(32)), "41 50 49 20 30 20 38 20 2f 20 33 32 5f 31 5f 34 5f 32 0a 63 6f 6e 6e 65 63 74 0a");
    EXPECT_EQ(hex(buildConnectRequest(32, "admin", "123456")),
              "41 50 49 20 30 20 33 32 20 2f 20 33 32 5f 31 5f 34 5f 32 0a "
              "63 6f 6e 6e 65 63 74 0a 6c 6f 67 69 6e 0a 61 64 6d 69 6e 0a 31 32 33 34 35 36 0a 66 61 6c 73 65");
}

TEST(Framing, ScriptFunctionVariableRequests) {
    RequestOptions o;
    EXPECT_EQ(buildScriptRequest("1234567890", "1+1", o), "API2 1234567890 10 / 32_1_4_64__0\nscript\n1+1");
    std::string add =
        buildFunctionRequest("1234567890", "add", {scalar<int64_t>(Type::Long, 1), scalar<int64_t>(Type::Long, 2)}, o);
    EXPECT_EQ(add,
              std::string("API2 1234567890 16 / 32_1_4_64__0\nfunction\nadd\n2\n1") +
                  unhex("05 00 01 00 00 00 00 00 00 00 05 00 02 00 00 00 00 00 00 00"));
    std::string up =
        buildVariableRequest("1234567890", {"v", "sv"},
                             {vectorOf(fixedCol<int32_t>(Type::Int, {1, 2, 3})), vectorOf(strCol(Type::String, {"x", "y"}))}, o);
    EXPECT_EQ(up,
              std::string("API2 1234567890 17 / 32_1_4_64__0\nvariable\nv,sv\n2\n1") +
                  unhex("04 01 03 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 "
                        "12 01 02 00 00 00 01 00 00 00 78 00 79 00"));
    EXPECT_EQ(buildFunctionRequest("1", "isNodeInitialized", {}, o),
              "API2 1 30 / 32_1_4_64__0\nfunction\nisNodeInitialized\n0\n1");
    EXPECT_THROW(buildVariableRequest("1", {"a", "b"}, {scalar<int32_t>(Type::Int, 1)}, o), ProtocolError);
    EXPECT_THROW(buildVariableRequest("1", {}, {}, o), ProtocolError);
    // Compressed table arguments: table type 8.
    EncodeOptions eo;
    eo.compressTables = true;
    std::string t = buildFunctionRequest("1", "tableInsert{t}", {tableOf({"a"}, {fixedCol<int32_t>(Type::Int, {1, 2})})}, o, eo);
    EXPECT_EQ(static_cast<uint8_t>(t[t.find("\n1\n1") + 4]), 8);
}

// A referencing Sink sends large column buffers from where they are: the ranges hold the same
// bytes as the copied request, the columns' own memory among them; a failed request adds nothing.
TEST(Framing, RequestsReferenceLargeColumnsInPlace) {
    std::vector<int64_t> big(100000), small{1, 2, 3};
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<int64_t>(i * 7);
    Value table = tableOf({"a", "b", "s"},
                          {fixedCol<int64_t>(Type::Long, big), fixedCol<int64_t>(Type::Long, std::vector<int64_t>(big.size(), 5)),
                           strCol(Type::String, std::vector<std::string>(big.size(), "x"))});
    Value vector = vectorOf(fixedCol<int64_t>(Type::Long, small));
    RequestOptions o;
    std::string copied = buildFunctionRequest("1", "f", {table, vector}, o);
    Sink sink(true);
    writeFunctionRequest(sink, "1", "f", {table, vector}, o);
    EXPECT_EQ(sink.str(), copied);
    EXPECT_EQ(sink.totalSize(), copied.size());
    std::vector<ByteRange> ranges = sink.ranges();
    auto inPlace = [&](const Column& c) {
        return std::any_of(ranges.begin(), ranges.end(), [&](const ByteRange& r) { return r.data == c.data->data(); });
    };
    EXPECT_TRUE(inPlace(table.columns[0]));
    EXPECT_TRUE(inPlace(table.columns[1]));
    EXPECT_FALSE(inPlace(vector.column));   // small: copied
    EXPECT_LT(sink.size(), copied.size() - 2 * big.size() * 8 + 1);
    // Compressed columns are encoded, not referenced.
    EncodeOptions eo;
    eo.compressTables = true;
    Sink compressed(true);
    writeFunctionRequest(compressed, "1", "f", {table}, o, eo);
    EXPECT_EQ(compressed.str(), buildFunctionRequest("1", "f", {table}, o, eo));
    EXPECT_EQ(compressed.ranges().size(), 1u);
    // A value the encoder refuses leaves the sink as it was.
    Value bad = table;
    bad.columns[2].length = 3;
    const size_t before = sink.totalSize();
    EXPECT_THROW(writeFunctionRequest(sink, "1", "f", {bad}, o), ProtocolError);
    EXPECT_EQ(sink.totalSize(), before);
    EXPECT_EQ(sink.str(), copied);
}

TEST(Framing, ResponsesWithMessagesAndObjects) {
    std::string b =
        "MSG\nfirst line\0MSG\n\0MSG\nthird\0"s
        "42 2 1\r\nOK\r\n" +
        serialize(scalar<int32_t>(Type::Int, 7)) + serialize(stringScalar(Type::String, "s"));
    MemorySource src(b);
    std::vector<std::string> msgs;
    Response r = readResponse(src, [&](std::string_view m) { msgs.emplace_back(m); });
    EXPECT_EQ(msgs, (std::vector<std::string>{"first line", "", "third"}));
    EXPECT_EQ(r.head.sessionId, "42");
    EXPECT_EQ(r.head.numObjects, 2);
    EXPECT_TRUE(r.head.ok);
    ASSERT_EQ(r.objects.size(), 2u);
    EXPECT_EQ(at<int32_t>(r.objects[0].column, 0), 7);
    EXPECT_EQ(r.objects[1].column.stringAt(0), "s");
    EXPECT_EQ(src.remaining(), 0);
    // Without a callback the frames are skipped.
    MemorySource again(b);
    EXPECT_EQ(readResponse(again).objects.size(), 2u);
}

TEST(Framing, ResponseFromSocketLikeSourceStopsAtItsEnd) {
    std::string first = buildResponse("9", {scalar<int64_t>(Type::Long, 5)});
    std::string second = buildErrorResponse("9", "Server error");
    StreamSource s(first + second);
    Response a = readResponse(s);
    EXPECT_EQ(s.position(), first.size());   // never reads ahead into the next reply
    EXPECT_EQ(at<int64_t>(a.objects[0].column, 0), 5);
    Response b = readResponse(s);
    EXPECT_FALSE(b.head.ok);
    EXPECT_EQ(b.head.error, "Server error");
}

TEST(Framing, ErrorStatusAndBigEndianHeader) {
    MemorySource err(std::string_view("1 0 1\n<NotLeader>127.0.0.1:18848\n"));
    Response r = readResponse(err);
    EXPECT_FALSE(r.head.ok);
    EXPECT_EQ(r.head.error, "<NotLeader>127.0.0.1:18848");
    EXPECT_TRUE(r.objects.empty());
    // Big-endian server: the objects are swapped.
    std::string be = "7 1 0\nOK\n" + unhex("00 04 00 00 00 2a");
    MemorySource bs(be);
    Response br = readResponse(bs);
    EXPECT_FALSE(br.head.littleEndian);
    EXPECT_TRUE(br.head.decodeOptions().swapBytes);
    EXPECT_EQ(at<int32_t>(br.objects[0].column, 0), 42);
}

TEST(Framing, InvalidHeaders) {
    for (std::string bad : {"1 1\nOK\n", "1 1 1 1\nOK\n", "1 x 1\nOK\n", "1 -1 1\nOK\n", "1 1 2\nOK\n", "1 1 11\nOK\n",
                            " 1 1\nOK\n", "\nOK\n", "1  1 1\nOK\n", "garbage\n"}) {
        MemorySource src(bad);
        try {
            readResponseHead(src);
            ADD_FAILURE() << bad;
        } catch (const ProtocolError& e) {
            EXPECT_NE(std::string(e.what()).find("Received invalid header"), std::string::npos) << e.what();
        }
    }
    // Truncated anywhere.
    std::string good =
        "MSG\nhi\0"s
        "1 1 1\nOK\n" +
        serialize(scalar<int32_t>(Type::Int, 1));
    for (size_t n = 0; n < good.size(); ++n) {
        std::string cut = good.substr(0, n);
        MemorySource src(cut);
        EXPECT_THROW(readResponse(src), ProtocolError) << n;
    }
    // A header line without LF longer than the bound.
    std::string longLine(kMaxHeaderLine + 10, '1');
    std::string longWithLf = longLine + "\n";
    MemorySource ls(longWithLf);
    EXPECT_THROW(readResponseHead(ls), ProtocolError);
    StreamSource ss(longLine + "\n");
    EXPECT_THROW(readResponseHead(ss), ProtocolError);
}

TEST(Framing, RequestHeaderParsing) {
    RequestHeader h = parseRequestHeader("API2 1234567890 10 / 32_1_4_64__0");
    EXPECT_EQ(h.kind, "API2");
    EXPECT_EQ(h.sessionId, "1234567890");
    EXPECT_EQ(h.bodyLength, 10);
    EXPECT_TRUE(h.hasOptions);
    EXPECT_EQ(h.options, "32_1_4_64__0");
    RequestHeader go = parseRequestHeader("API2  8 / 0_1_4_64");   // Go: empty session id
    EXPECT_EQ(go.sessionId, "");
    EXPECT_EQ(go.bodyLength, 8);
    RequestHeader noOpts = parseRequestHeader("API2 55 14\r");
    EXPECT_FALSE(noOpts.hasOptions);
    EXPECT_EQ(noOpts.bodyLength, 14);
    for (auto bad : {"API3 1 10 / 32", "API2 1 ten / 32", "API2 1 -1 / 32", "API2 1 10 x 32", "API2 1 10 /", "API2 1",
                     "API2 1 10 / 32 extra", ""})
        EXPECT_THROW(parseRequestHeader(bad), ProtocolError) << bad;
}

TEST(Framing, OptionParsing) {
    ParsedOptions a = parseOptions("32_1_4_64__0");
    EXPECT_EQ(a.fieldCount, 6);
    EXPECT_EQ(a.flag, 32);
    EXPECT_TRUE(a.cancellable);
    EXPECT_EQ(a.priority, 4);
    EXPECT_EQ(a.parallelism, 64);
    EXPECT_EQ(a.fetchSize, 0);
    EXPECT_TRUE(a.clientId.empty());
    ParsedOptions java = parseOptions("0_1_4_64____0d874fed-8880-37ad-2a4a-4a12ca079fa7_5");
    EXPECT_EQ(java.fieldCount, 9);
    EXPECT_EQ(java.clientId, "0d874fed-8880-37ad-2a4a-4a12ca079fa7");
    EXPECT_EQ(java.seqNo, 5);
    ParsedOptions retry = parseOptions("32_1_4_64__0__bcff70f9-44e9-6ab8-c143-3e92581df718_-2");
    EXPECT_EQ(retry.seqNo, -2);
    ParsedOptions conn = parseOptions("1048608_1_4_2");
    EXPECT_EQ(conn.flag, 1048608);
    EXPECT_EQ(conn.parallelism, 2);
    EXPECT_EQ(parseOptions("").fieldCount, 0);
    EXPECT_THROW(parseOptions("x_1_4_64"), ProtocolError);
    EXPECT_THROW(parseOptions("32_1_4_64__abc"), ProtocolError);
    EXPECT_THROW(parseOptions("1_2_3_4_5_6_7_8_9_10"), ProtocolError);
    // Round trip of what we format.
    RequestOptions o;
    o.flag = 8388640;
    o.priority = 9;
    o.parallelism = 1;
    o.fetchSize = 16384;
    o.clientId = "b511b4c9-c0de-5181-c049-14c0053ce5a1";
    o.seqNo = 77;
    ParsedOptions p = parseOptions(formatOptions(o));
    EXPECT_EQ(p.flag, o.flag);
    EXPECT_EQ(p.priority, 9);
    EXPECT_EQ(p.parallelism, 1);
    EXPECT_EQ(p.fetchSize, 16384);
    EXPECT_EQ(p.clientId, o.clientId);
    EXPECT_EQ(p.seqNo, 77);
}

TEST(Framing, ReadRequestKinds) {
    {
        std::string b = buildConnectRequest(32, "admin", "123456");
        MemorySource s(b);
        Request r = readRequest(s);
        EXPECT_EQ(r.command, RequestCommand::Connect);
        EXPECT_TRUE(r.login);
        EXPECT_EQ(r.user, "admin");
        EXPECT_EQ(r.password, "123456");
        EXPECT_EQ(r.options.flag, 32);
    }
    {
        std::string b = buildConnectRequest(36);
        MemorySource s(b);
        Request r = readRequest(s);
        EXPECT_FALSE(r.login);
        EXPECT_EQ(r.options.flag, 36);
    }
    {
        std::string b = buildScriptRequest("5", "x = 1\nprint(x)\n", RequestOptions{});
        MemorySource s(b);
        Request r = readRequest(s);
        EXPECT_EQ(r.command, RequestCommand::Script);
        EXPECT_EQ(r.script, "x = 1\nprint(x)\n");
    }
    {
        // Go/Rust: trailing LF counted in the body.
        std::string b = "API2 5 15 / 0_1_4_64\nfunction\nf\n1\n1\n" + serialize(scalar<int32_t>(Type::Int, 3));
        MemorySource s(b);
        Request r = readRequest(s);
        EXPECT_EQ(r.functionName, "f");
        ASSERT_EQ(r.args.size(), 1u);
        EXPECT_EQ(at<int32_t>(r.args[0].column, 0), 3);
        EXPECT_EQ(s.remaining(), 0);
    }
    {
        // Big-endian arguments (endian flag 0).
        std::string b = "API2 5 14\nfunction\nf\n1\n0" + unhex("00 04 00 00 01 00");
        MemorySource s(b);
        Request r = readRequest(s);
        EXPECT_FALSE(r.littleEndian);
        EXPECT_EQ(at<int32_t>(r.args[0].column, 0), 256);
    }
    for (std::string bad :
         {"API2 5 12\nfunction\nf\n1", "API2 5 16\nvariable\na,b\n1\n1", "API2 5 9\nbogus\nxyz", "API2 5 14\nfunction\nf\n1\n2",
          "API2 5 15\nfunction\nf\n-1\n1", "API2 5 99\nscript\n1+1", "API2 5 13\nconnect\nlogin"}) {
        MemorySource s(bad);
        EXPECT_THROW(readRequest(s), ProtocolError) << bad;
    }
}
