// The real bytes of the official client (tests/data/captures): every reply it accepted
// parses, every request parses, the argument objects decode to the values of client_code.py and
// re-encoding (and rebuilding whole requests) reproduces the captured bytes.
#include <algorithm>
#include <cfloat>
#include <filesystem>

#include "codec_helpers.h"
#include "protocol/framing.h"

using namespace ddb;
using namespace ddbtest;
namespace fs = std::filesystem;

namespace {

fs::path capturesDir() { return fs::path(DDB_CAPTURES_DIR); }

std::vector<fs::path> captureFiles(const std::string& suffix) {
    std::vector<fs::path> out;
    for (auto& dir : fs::directory_iterator(capturesDir())) {
        if (!dir.is_directory()) continue;
        for (auto& f : fs::directory_iterator(dir.path())) {
            std::string name = f.path().filename().string();
            if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
                out.push_back(f.path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string capture(const std::string& caseName, const std::string& file) {
    std::string bytes = readFile((capturesDir() / caseName / file).string());
    EXPECT_FALSE(bytes.empty()) << caseName << "/" << file;
    return bytes;
}

struct ParsedCapture {
    Request request;
    std::string argBytes;   // the serialized objects after the text body
};

ParsedCapture parseRequest(const std::string& bytes) {
    MemorySource src(bytes);
    ParsedCapture p;
    p.request = readRequest(src);
    EXPECT_EQ(src.remaining(), 0);
    size_t textEnd = bytes.find('\n') + 1 + static_cast<size_t>(p.request.header.bodyLength);
    p.argBytes = bytes.substr(textEnd);
    return p;
}

RequestOptions optionsOf(const ParsedOptions& o) {
    RequestOptions r;
    r.flag = o.flag;
    r.cancellable = o.cancellable;
    r.priority = o.priority;
    r.parallelism = o.parallelism;
    r.fetchSize = o.fetchSize;
    r.clientId = o.clientId;
    r.seqNo = o.seqNo;
    return r;
}

std::string encodeAll(const std::vector<Value>& values, const EncodeOptions& options = {}) {
    Sink s;
    for (auto& v : values) encodeObject(v, s, options);
    return s.str();
}

}   // namespace

TEST(Captures, DirectoryHasTheCases) {
    EXPECT_GE(captureFiles("_req.bin").size(), 250u);
    EXPECT_GE(captureFiles("_resp.bin").size(), 250u);
}

TEST(Captures, EveryResponseParses) {
    int objects = 0, errors = 0, voids = 0, payloads = 0, empty = 0, compressed = 0;
    for (const auto& path : captureFiles("_resp.bin")) {
        SCOPED_TRACE(path.string());
        std::string bytes = readFile(path.string());
        if (bytes.empty()) {   // async request: the server sends nothing
            ++empty;
            continue;
        }
        MemorySource src(bytes);
        std::vector<std::string> messages;
        ResponseHead head = readResponseHead(src, [&](std::string_view m) { messages.emplace_back(m); });
        EXPECT_FALSE(head.sessionId.empty());
        if (!head.ok) {
            ++errors;
            EXPECT_FALSE(head.error.empty());
            EXPECT_EQ(src.remaining(), 0);
            continue;
        }
        if (head.numObjects == 0) {
            ++voids;
            EXPECT_EQ(src.remaining(), 0);
            continue;
        }
        const size_t at = src.consumed(bytes.data());
        ASSERT_GE(bytes.size(), at + 2);
        uint8_t formByte = static_cast<uint8_t>(bytes[at + 1]);
        if (formByte & kPayloadFormBit) {
            // PROTOCOL_PICKLE / PROTOCOL_ARROW replies: read completely, Arrow streams kept as bytes.
            ++payloads;
            Value v = decodeObject(src, head.decodeOptions());
            EXPECT_EQ(v.form, Form::Table);
            EXPECT_EQ(src.remaining(), 0);
            if (v.payload == Payload::Arrow) EXPECT_EQ(hex(serialize(v)), hex(std::string_view(bytes).substr(at)));
            else EXPECT_EQ(v.payload, Payload::Pickle);
            continue;
        }
        for (int i = 0; i < head.numObjects; ++i) {
            size_t start = src.consumed(bytes.data());
            Value v = decodeObject(src, head.decodeOptions());
            size_t end = src.consumed(bytes.data());
            ++objects;
            // Re-encoding reproduces the reply's object bytes (compressed tables come back as plain
            // columns, so for those only a second decode is compared).
            std::string again = serialize(v);
            if (v.form == Form::Table && v.tableType == 8) {
                ++compressed;
                EXPECT_EQ(hex(serialize(deserialize(again))), hex(again));
            } else {
                EXPECT_EQ(hex(again), hex(std::string_view(bytes).substr(start, end - start)));
            }
        }
        EXPECT_EQ(src.remaining(), 0);
    }
    EXPECT_GT(objects, 130);
    EXPECT_GE(errors, 5);
    EXPECT_GE(compressed, 2);
    EXPECT_GT(voids, 50);
    EXPECT_GE(payloads, 2);
    (void)empty;
}

TEST(Captures, EveryRequestParsesAndRebuildsByteForByte) {
    int connects = 0, scripts = 0, functions = 0, variables = 0, argObjects = 0;
    for (const auto& path : captureFiles("_req.bin")) {
        SCOPED_TRACE(path.string());
        std::string bytes = readFile(path.string());
        ParsedCapture p = parseRequest(bytes);
        const Request& r = p.request;
        RequestOptions opts = optionsOf(r.options);
        switch (r.command) {
            case RequestCommand::Connect:
                ++connects;
                EXPECT_EQ(r.header.kind, "API");
                EXPECT_EQ(r.options.priority, 4);
                EXPECT_EQ(r.options.parallelism, 2);
                EXPECT_EQ(buildConnectRequest(r.options.flag, r.user, r.password), bytes);
                break;
            case RequestCommand::Script:
                ++scripts;
                EXPECT_EQ(buildScriptRequest(r.header.sessionId, r.script, opts), bytes);
                break;
            case RequestCommand::Function:
            case RequestCommand::Variable: {
                r.command == RequestCommand::Function ? ++functions : ++variables;
                ASSERT_EQ(static_cast<int>(r.args.size()), r.argCount);
                argObjects += r.argCount;
                EXPECT_TRUE(r.littleEndian);
                // Deterministic re-encoding: everything except LZ4 blocks (compressor dependent).
                bool lz4 = bytes.find(std::string("\x1a\x01", 2)) != std::string::npos;
                if (!lz4) {
                    EXPECT_EQ(hex(encodeAll(r.args)), hex(p.argBytes));
                    std::string rebuilt = r.command == RequestCommand::Function
                        ? buildFunctionRequest(r.header.sessionId, r.functionName, r.args, opts)
                        : buildVariableRequest(r.header.sessionId, r.variableNames, r.args, opts);
                    EXPECT_EQ(rebuilt, bytes);
                }
                break;
            }
        }
    }
    EXPECT_GT(connects, 50);
    EXPECT_GT(scripts, 50);
    EXPECT_GT(functions, 100);
    EXPECT_EQ(variables, 4);
    EXPECT_GT(argObjects, 25);
}

TEST(Captures, RunFunctionArgsMatchClientCode) {
    const std::string c = "d_run_function_args";
    auto args = [&](int m) {
        char name[64];
        std::snprintf(name, sizeof name, "c01_p28898_m%02d_req.bin", m);
        ParsedCapture p = parseRequest(capture(c, name));
        return p.request;
    };
    Request add = args(4);   // s.run("add", 1, 2)
    EXPECT_EQ(add.functionName, "add");
    ASSERT_EQ(add.args.size(), 2u);
    EXPECT_EQ(add.args[0].type(), Type::Long);
    EXPECT_EQ(at<int64_t>(add.args[0].column, 0), 1);
    EXPECT_EQ(at<int64_t>(add.args[1].column, 0), 2);
    Request addf = args(5);   // s.run("add", 1.5, 2)
    EXPECT_EQ(addf.args[0].type(), Type::Double);
    EXPECT_EQ(at<double>(addf.args[0].column, 0), 1.5);
    EXPECT_EQ(at<int64_t>(addf.args[1].column, 0), 2);
    Request i64 = args(6);   // np.array([1,2,3], int64)
    EXPECT_EQ(i64.args[0].form, Form::Vector);
    EXPECT_EQ(values<int64_t>(i64.args[0].column), (std::vector<int64_t>{1, 2, 3}));
    Request f64 = args(7);   // np.array([1.5, nan])
    EXPECT_EQ(values<double>(f64.args[0].column), (std::vector<double>{1.5, -DBL_MAX}));
    Request str = args(8);   // np.array(["x","yz"], object)
    EXPECT_EQ(str.args[0].type(), Type::String);
    EXPECT_EQ(strings(str.args[0].column), (std::vector<std::string>{"x", "yz"}));
    Request df = args(9);   // df_sample()
    const Value& t = df.args[0];
    ASSERT_EQ(t.form, Form::Table);
    EXPECT_EQ(t.columnNames, (std::vector<std::string>{"i", "d", "s", "t"}));
    EXPECT_EQ(values<int32_t>(t.columns[0]), (std::vector<int32_t>{1, 2}));
    EXPECT_EQ(values<double>(t.columns[1]), (std::vector<double>{1.5, -DBL_MAX}));
    EXPECT_EQ(strings(t.columns[2]), (std::vector<std::string>{"ab", "c"}));
    EXPECT_EQ(t.columns[3].type(), Type::Timestamp);
    EXPECT_EQ(values<int64_t>(t.columns[3]), (std::vector<int64_t>{1704164645678LL, 1704164646000LL}));
    Request hello = args(10);
    EXPECT_EQ(hello.args[0].type(), Type::String);
    EXPECT_EQ(hello.args[0].column.stringAt(0), "hello");
    Request mixed = args(11);   // [1, 'a', 2.5]
    const Column& any = mixed.args[0].column;
    EXPECT_EQ(any.type(), Type::Any);
    ASSERT_EQ(any.items.size(), 3u);
    EXPECT_EQ(at<int64_t>(any.items[0].column, 0), 1);
    EXPECT_EQ(any.items[1].column.stringAt(0), "a");
    EXPECT_EQ(at<double>(any.items[2].column, 0), 2.5);
    Request dict = args(12);   // {'k': 1}
    EXPECT_EQ(dict.args[0].form, Form::Dictionary);
    EXPECT_EQ(strings(dict.args[0].column), (std::vector<std::string>{"k"}));
    EXPECT_EQ(values<int64_t>(*dict.args[0].dictValues), (std::vector<int64_t>{1}));
    Request yes = args(13);
    EXPECT_EQ(yes.args[0].type(), Type::Bool);
    EXPECT_EQ(at<int8_t>(yes.args[0].column, 0), 1);
    Request none = args(14);
    EXPECT_EQ(none.args[0].type(), Type::Void);
    EXPECT_EQ(none.args[0].form, Form::Scalar);
}

TEST(Captures, UploadMatchesClientCode) {
    ParsedCapture p = parseRequest(capture("e_upload", "c01_p28908_m04_req.bin"));
    const Request& r = p.request;
    EXPECT_EQ(r.command, RequestCommand::Variable);
    EXPECT_EQ(r.variableNames, (std::vector<std::string>{"t", "v"}));
    ASSERT_EQ(r.args.size(), 2u);
    EXPECT_EQ(r.args[0].form, Form::Table);
    EXPECT_EQ(r.args[0].rows, 2);
    EXPECT_EQ(strings(r.args[0].columns[2]), (std::vector<std::string>{"ab", "c"}));
    EXPECT_EQ(r.args[1].type(), Type::Int);
    EXPECT_EQ(values<int32_t>(r.args[1].column), (std::vector<int32_t>{1, 2, 3}));
    ParsedCapture x = parseRequest(capture("e_upload", "c01_p28908_m05_req.bin"));
    EXPECT_EQ(x.request.variableNames, (std::vector<std::string>{"x"}));
    EXPECT_EQ(at<int64_t>(x.request.args[0].column, 0), 42);
    // Built from scratch, the upload is the captured byte string.
    Value v = scalar<int64_t>(Type::Long, 42);
    RequestOptions o;
    EXPECT_EQ(buildVariableRequest("3000000001", {"x"}, {v}, o), capture("e_upload", "c01_p28908_m05_req.bin"));
}

TEST(Captures, RunKwargsOptionsAndBlockStream) {
    const std::string c = "l_run_kwargs";
    int checked = 0;
    for (const auto& path : captureFiles("_req.bin")) {
        if (path.parent_path().filename() != c) continue;
        std::string bytes = readFile(path.string());
        ParsedCapture p = parseRequest(bytes);
        if (p.request.command == RequestCommand::Function && p.request.functionName == "add") {
            EXPECT_EQ(at<int64_t>(p.request.args[0].column, 0), 1);
            EXPECT_EQ(at<int64_t>(p.request.args[1].column, 0), 2);
            ++checked;
        }
        if (p.request.options.fetchSize == 8192) {
            EXPECT_EQ(p.request.header.options, "32_1_4_64__8192");
            // The reply is the §4.6 block stream: an ANY vector of tables.
            std::string respName = path.filename().string();
            respName.replace(respName.size() - 8, 8, "_resp.bin");
            std::string resp = readFile((path.parent_path() / respName).string());
            MemorySource src(resp);
            Response r = readResponse(src);
            ASSERT_EQ(r.objects.size(), 1u);
            const Column& blocks = r.objects[0].column;
            ASSERT_EQ(blocks.type(), Type::Any);
            ASSERT_EQ(blocks.items.size(), 2u);
            const Value& b0 = blocks.items[0];
            EXPECT_EQ(b0.columnNames, (std::vector<std::string>{"id", "price", "name", "sym", "ts"}));
            EXPECT_EQ(values<double>(b0.columns[1]), (std::vector<double>{1.5}));
            EXPECT_EQ(strings(b0.columns[2]), (std::vector<std::string>{"a"}));
            EXPECT_EQ(strings(b0.columns[3]), (std::vector<std::string>{"IBM"}));
            EXPECT_EQ(strings(blocks.items[1].columns[3]), (std::vector<std::string>{"MSFT"}));
            EXPECT_EQ(values<double>(blocks.items[1].columns[1]), (std::vector<double>{2.25}));
            ++checked;
        }
    }
    EXPECT_EQ(checked, 2);
}

TEST(Captures, CompressedMultithreadedTableWriterInsert) {
    // MultithreadedTableWriter(compressMethods=["DELTA","LZ4","DELTA","LZ4"]), 5 rows + a NULL row.
    std::string bytes = capture("f3_mtw_compress_methods", "c02_p28938_m04_req.bin");
    ParsedCapture p = parseRequest(bytes);
    EXPECT_EQ(p.request.functionName, "tableInsert{t}");
    EXPECT_EQ(p.request.options.clientId, "b511b4c9-c0de-5181-c049-14c0053ce5a1");
    EXPECT_EQ(p.request.options.seqNo, 1);
    ASSERT_EQ(p.request.args.size(), 1u);
    const Value& t = p.request.args[0];
    EXPECT_EQ(t.tableType, 8);
    EXPECT_EQ(t.columnNames, (std::vector<std::string>{"id", "price", "ts", "name"}));
    EXPECT_EQ(values<int32_t>(t.columns[0]), (std::vector<int32_t>{0, 3, 6, 9, 12, kNullInt}));
    EXPECT_EQ(values<double>(t.columns[1]), (std::vector<double>{0, 1.5, 3.0, 4.5, 6.0, -DBL_MAX}));
    EXPECT_EQ(t.columns[2].type(), Type::Timestamp);
    EXPECT_EQ(at<int64_t>(t.columns[2], 0), 1704164645678LL);
    EXPECT_EQ(at<int64_t>(t.columns[2], 4), 1704164645678LL + 4000);
    EXPECT_EQ(at<int64_t>(t.columns[2], 5), kNullLong);
    EXPECT_EQ(strings(t.columns[3]), (std::vector<std::string>{"n0", "n1", "n2", "n3", "n4", ""}));

    // Re-encode with the same per-column methods: the delta-of-delta columns and every header are
    // deterministic; compare all bytes except the LZ4 blocks by decoding our output again.
    EncodeOptions eo;
    eo.compressTables = true;
    eo.columnMethods = {{"id", CompressMethod::Delta},
                        {"price", CompressMethod::Lz4},
                        {"ts", CompressMethod::Delta},
                        {"name", CompressMethod::Lz4}};
    std::string ours = serialize(t, eo);
    Value back = deserialize(ours);
    EXPECT_EQ(values<int32_t>(back.columns[0]), values<int32_t>(t.columns[0]));
    EXPECT_EQ(values<double>(back.columns[1]), values<double>(t.columns[1]));
    EXPECT_EQ(values<int64_t>(back.columns[2]), values<int64_t>(t.columns[2]));
    EXPECT_EQ(strings(back.columns[3]), strings(t.columns[3]));
    // The whole request rebuilds byte for byte (LZ4 blocks from liblz4's default compressor
    // match the official client's for this input).
    RequestOptions ro = optionsOf(p.request.options);
    EXPECT_EQ(hex(buildFunctionRequest(p.request.header.sessionId, p.request.functionName, p.request.args, ro, eo)), hex(bytes));
    // Table header + the DELTA 'id' column (flag, 28-byte header, block) are byte-identical.
    size_t idEnd = (0xbb - 0x65);
    EXPECT_EQ(hex(ours.substr(0, idEnd)), hex(p.argBytes.substr(0, idEnd)));
    // The 'ts' DELTA column too (it starts at 0xfa in the request, 0x95 after the args start).
    size_t tsAt = 0xfa - 0x65, tsLen = 0x13c - 0xfa;
    size_t oursTs = ours.find(std::string("\x1a\x01\x38\x00\x00\x00", 6));
    ASSERT_NE(oursTs, std::string::npos);
    EXPECT_EQ(hex(ours.substr(oursTs, tsLen)), hex(p.argBytes.substr(tsAt, tsLen)));
}

TEST(Captures, OfficialDumpsOfSymbolTables) {
    // dolphindb.io.dumps of DataFrames with SYMBOL columns (official client 3.0.6.1):
    // each column gets its own base, ids 0, 1 in column order; an empty SYMBOL column is type 17.
    Value t = tableOf({"a", "b"}, {strCol(Type::Symbol, {"A", "B", "A"}), strCol(Type::Symbol, {"B", "C", ""})});
    EXPECT_EQ(hex(serialize(t)),
              "00 06 03 00 00 00 02 00 00 00 00 61 00 62 00 91 01 03 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 "
              "00 41 00 42 00 01 00 00 00 02 00 00 00 01 00 00 00 91 01 03 00 00 00 01 00 00 00 01 00 00 00 03 00 "
              "00 00 00 42 00 43 00 01 00 00 00 02 00 00 00 00 00 00 00");
    Value e = tableOf({"a"}, {strCol(Type::Symbol, {})});
    EXPECT_EQ(hex(serialize(e)), "00 06 00 00 00 00 01 00 00 00 00 61 00 11 01 00 00 00 00 01 00 00 00");
    Value same = tableOf({"a", "b"}, {strCol(Type::Symbol, {"A", "B"}), strCol(Type::Symbol, {"A", "B"})});
    EXPECT_EQ(hex(serialize(same)),
              "00 06 02 00 00 00 02 00 00 00 00 61 00 62 00 91 01 02 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 "
              "00 41 00 42 00 01 00 00 00 02 00 00 00 91 01 02 00 00 00 01 00 00 00 01 00 00 00 03 00 00 00 00 41 "
              "00 42 00 01 00 00 00 02 00 00 00");
}

TEST(Captures, CompressedReplyDecodes) {
    // The test server answered echo(DataFrame) on a compress=True session with LZ4 columns.
    std::string bytes = capture("f1_compress_session", "c01_p28918_m06_resp.bin");
    MemorySource src(bytes);
    Response r = readResponse(src);
    ASSERT_EQ(r.objects.size(), 1u);
    const Value& t = r.objects[0];
    EXPECT_EQ(t.tableType, 8);
    EXPECT_EQ(t.columnNames, (std::vector<std::string>{"id", "price", "name", "sym", "ts"}));
    EXPECT_EQ(values<int32_t>(t.columns[0]), (std::vector<int32_t>{1, 2, kNullInt}));
    EXPECT_EQ(values<double>(t.columns[1]), (std::vector<double>{1.5, 2.25, -DBL_MAX}));
    EXPECT_EQ(strings(t.columns[2]), (std::vector<std::string>{"a", "bb", ""}));
    EXPECT_EQ(strings(t.columns[3]), (std::vector<std::string>{"IBM", "MSFT", "IBM"}));
    EXPECT_EQ(values<int64_t>(t.columns[4]), (std::vector<int64_t>{1704164645678LL, 1704164646678LL, kNullLong}));
}

TEST(Captures, OfficialDumpsOfCommonObjects) {
    // Byte strings produced by the official client's dolphindb.io.dumps (3.0.6.1); our encoder
    // produces the same bytes from the equivalent Values.
    Value mat;
    mat.form = Form::Matrix;
    mat.rows = 2;
    mat.cols = 2;
    mat.column = fixedCol<int32_t>(Type::Int, {1, 3, 2, 4});   // np [[1,2],[3,4]], column-major
    EXPECT_EQ(hex(serialize(mat)), "04 03 00 04 03 02 00 00 00 02 00 00 00 01 00 00 00 03 00 00 00 02 00 00 00 04 00 00 00");
    EXPECT_EQ(hex(serialize(vectorOf(fixedCol<int64_t>(Type::Long, {3, 1}), Form::Set))),
              "05 04 05 01 02 00 00 00 01 00 00 00 03 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00");
    Value dict;
    dict.form = Form::Dictionary;
    dict.column = strCol(Type::String, {"b", "a"});
    dict.dictValues = std::make_shared<Column>(fixedCol<int64_t>(Type::Long, {2, 1}));
    EXPECT_EQ(hex(serialize(dict)),
              "05 05 12 01 02 00 00 00 01 00 00 00 62 00 61 00 05 01 02 00 00 00 01 00 00 00 "
              "02 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00");
    Value list = vectorOf(anyCol({scalar<int64_t>(Type::Long, 1), stringScalar(Type::String, "a"), scalarOf(Column{})}));
    EXPECT_EQ(hex(serialize(list)), "19 01 03 00 00 00 01 00 00 00 05 00 01 00 00 00 00 00 00 00 12 00 61 00 00 00 00");
    // (The Python layer turns an empty row into [NULL] before encoding.)
    EXPECT_EQ(hex(serialize(tableOf({"a"}, {arrayCol<int32_t>(Type::Int, {{1, 2}, {kNullInt}, {3}})}))),
              "00 06 03 00 00 00 01 00 00 00 00 61 00 44 01 03 00 00 00 04 00 00 00 03 00 01 00 02 01 01 "
              "01 00 00 00 02 00 00 00 00 00 00 80 03 00 00 00");
    EXPECT_EQ(hex(serialize(tableOf({"a"}, {fixedCol<int32_t>(Type::Decimal32, {123, kNullInt}, 2)}))),
              "00 06 02 00 00 00 01 00 00 00 00 61 00 25 01 02 00 00 00 01 00 00 00 02 00 00 00 7b 00 00 00 00 00 00 80");
    EXPECT_EQ(hex(serialize(tableOf({"a"}, {strCol(Type::Blob, {std::string("x\0y", 3), ""})}))),
              "00 06 02 00 00 00 01 00 00 00 00 61 00 20 01 02 00 00 00 01 00 00 00 03 00 00 00 78 00 79 00 00 00 00");
    std::string uuid = unhex("87 ee 73 14 d9 b4 35 42 b1 e3 48 cc 78 2a 21 5d");
    EXPECT_EQ(hex(serialize(tableOf({"a"}, {wideCol(Type::Uuid, {uuid, std::string(16, '\0')})}))),
              "00 06 02 00 00 00 01 00 00 00 00 61 00 13 01 02 00 00 00 01 00 00 00 87 ee 73 14 d9 b4 35 42 b1 e3 48 cc "
              "78 2a 21 5d 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    std::string ip = unhex("04 03 02 01 00 00 00 00 00 00 00 00 00 00 00 00");
    EXPECT_EQ(hex(serialize(tableOf({"a"}, {wideCol(Type::IpAddr, {ip, std::string(16, '\0')})}))),
              "00 06 02 00 00 00 01 00 00 00 00 61 00 1e 01 02 00 00 00 01 00 00 00 04 03 02 01 00 00 00 00 00 00 00 00 "
              "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    EXPECT_EQ(hex(serialize(vectorOf(strCol(Type::String, {"x", "y"})))), "12 01 02 00 00 00 01 00 00 00 78 00 79 00");
    EXPECT_EQ(hex(serialize(vectorOf(fixedCol<int8_t>(Type::Bool, {1, 0})))), "01 01 02 00 00 00 01 00 00 00 01 00");
    EXPECT_EQ(hex(serialize(vectorOf(fixedCol<int32_t>(Type::Date, {19723, kNullInt})))),
              "06 01 02 00 00 00 01 00 00 00 0b 4d 00 00 00 00 00 80");
}
