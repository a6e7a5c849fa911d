// The native unpickler (cpp/protocol/pickle.h) and the Arrow stream framing reader, on streams
// written by CPython's pickle module and pyarrow (data/pickle_vectors.h), DolphinDB's SYMBOL
// opcode, refused globals and malformed input.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "codec_helpers.h"
#include "data/pickle_vectors.h"
#include "errors.h"
#include "protocol/arrow_stream.h"
#include "protocol/codec.h"
#include "protocol/pickle.h"

using namespace ddbtest;
using ddb::pickle::Kind;
using ddb::pickle::Ref;

namespace {

std::string str(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

std::string show(const Ref& o);

std::string join(const std::vector<Ref>& items, size_t from = 0) {
    std::string s;
    for (size_t i = from; i < items.size(); ++i) {
        if (i > from) s += ", ";
        s += show(items[i]);
    }
    return s;
}

// A Python-like rendering of the tree, enough to compare with what pickle.loads gives.
std::string show(const Ref& o) {
    switch (o->kind) {
        case Kind::None: return "None";
        case Kind::Bool: return o->boolean ? "True" : "False";
        case Kind::Int: return std::to_string(o->integer);
        case Kind::BigInt: return "bigint(" + hex(o->text) + ")";
        case Kind::BigIntText: return o->text;
        case Kind::Float: {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%g", o->real);
            return buf;
        }
        case Kind::Str: return "'" + o->text + "'";
        case Kind::Bytes: return "b'" + hex(o->bytesView()) + "'";
        case Kind::Tuple: return "(" + join(o->items) + (o->items.size() == 1 ? ",)" : ")");
        case Kind::List: {
            if (!o->texts) return "[" + join(o->items) + "]";
            std::string s = "[";
            for (size_t i = 0; i < o->texts->size(); ++i) s += (i ? ", '" : "'") + std::string(o->texts->at(i)) + "'";
            return s + "]";
        }
        case Kind::Set: return "{" + join(o->items) + "}";
        case Kind::FrozenSet: return "frozenset({" + join(o->items) + "})";
        case Kind::Dict: {
            std::string s = "{";
            for (size_t i = 0; i + 1 < o->items.size(); i += 2) {
                if (i) s += ", ";
                s += show(o->items[i]) + ": " + show(o->items[i + 1]);
            }
            return s + "}";
        }
        case Kind::Global: return std::string(o->module()) + "." + std::string(o->qualname());
        case Kind::Call:
        case Kind::NewObj:
        case Kind::Instance: {
            std::string s = show(o->items[0]) + show(o->items[1]);
            for (const auto& m : o->mutations) s += ".build(" + join(m.args) + ")";
            return s;
        }
    }
    return "?";
}

std::shared_ptr<ddb::pickle::Tree> decodeAll(const std::string& bytes) {
    MemorySource src(bytes);
    auto tree = ddb::pickle::decode(src);
    EXPECT_EQ(src.remaining(), 0);
    return tree;
}

// Every prefix of a valid stream is rejected with ProtocolError, from memory and from a socket.
void expectTruncationsRejected(const std::string& bytes) {
    for (size_t n = 0; n < bytes.size(); ++n) {
        std::string cut = bytes.substr(0, n);
        MemorySource mem(cut);
        EXPECT_THROW(ddb::pickle::decode(mem), ProtocolError) << "prefix of " << n << " bytes";
        StreamSource sock(cut);
        EXPECT_THROW(ddb::pickle::decode(sock), ProtocolError) << "prefix of " << n << " bytes";
    }
}

}   // namespace

TEST(Pickle, ScalarsOfEveryProtocolDecodeAsPickleLoadsDoes) {
    const char* expected =
        "[None, True, False, 0, 1, 255, 256, 65535, 65536, -1, -2147483648, 2147483648, 9223372036854775807, "
        "-9223372036854775808, BIG, NEGBIG, 1.5, -0, inf, '', 'h\xc3\xa9llo \xe2\x9c\x93', BYTES0, BYTES1, (), (1,), (1, 2), "
        "(1, 2, 3), (1, 2, 3, 4)]";
    for (const auto* v :
         {&pickle_vectors::kScalarsP0, &pickle_vectors::kScalarsP2, &pickle_vectors::kScalarsP3, &pickle_vectors::kScalarsP4}) {
        auto tree = decodeAll(str(*v));
        std::string s = show(tree->root);
        // Big ints: LONG1 bytes from protocol 2 on, decimal text in protocol 0.
        for (const char* big : {"bigint(00 00 00 00 00 00 00 00 40)", "1180591620717411303424"})
            if (auto at = s.find(big); at != std::string::npos) s.replace(at, std::strlen(big), "BIG");
        for (const char* big : {"bigint(00 00 00 00 00 00 00 00 c0)", "-1180591620717411303424"})
            if (auto at = s.find(big); at != std::string::npos) s.replace(at, std::strlen(big), "NEGBIG");
        // bytes: protocol 0 and 2 spell them _codecs.encode(str, 'latin1') / bytes(); 3+ as BINBYTES.
        for (const char* b0 : {"builtins.bytes()", "b''"})
            if (auto at = s.find(b0); at != std::string::npos) s.replace(at, std::strlen(b0), "BYTES0");
        if (auto at = s.find("b'00 ff'"); at != std::string::npos) s.replace(at, 8, "BYTES1");
        EXPECT_EQ(s, expected) << "protocol " << tree->protocol;
    }
}

TEST(Pickle, ContainersAndSharedReferences) {
    // Sets are builtins.set([...]) calls before protocol 4, which has EMPTY_SET / FROZENSET.
    for (const auto* v : {&pickle_vectors::kContainersP0, &pickle_vectors::kContainersP2, &pickle_vectors::kContainersP3}) {
        auto tree = decodeAll(str(*v));
        EXPECT_EQ(show(tree->root),
                  "{'list': [1, [2, [3]]], 'dict': {'a': 1, 2: 'b'}, 'set': builtins.set([7],), "
                  "'frozenset': builtins.frozenset([8],), 'nested': [{'k': (None, 1.25)}]}")
            << "protocol " << tree->protocol;
    }
    EXPECT_EQ(show(decodeAll(str(pickle_vectors::kContainersP4))->root),
              "{'list': [1, [2, [3]]], 'dict': {'a': 1, 2: 'b'}, 'set': {7}, 'frozenset': frozenset({8}), "
              "'nested': [{'k': (None, 1.25)}]}");
    for (const auto* v :
         {&pickle_vectors::kSharedP0, &pickle_vectors::kSharedP2, &pickle_vectors::kSharedP3, &pickle_vectors::kSharedP4}) {
        auto tree = decodeAll(str(*v));
        ASSERT_EQ(tree->root->kind, Kind::List);
        ASSERT_EQ(tree->root->items.size(), 2u);
        EXPECT_EQ(tree->root->items[0].get(), tree->root->items[1].get());   // one object, via the memo
        EXPECT_EQ(show(tree->root), "[[1, 2], [1, 2]]");
    }
}

TEST(Pickle, NumpyArraysBecomeReconstructCallsWithTheirBytes) {
    struct Case {
        const std::vector<uint8_t>* p2;
        const std::vector<uint8_t>* p3;
        const std::vector<uint8_t>* p4;
        std::string dtype;
        size_t bytes;
    };
    for (const Case& c :
         {Case{&pickle_vectors::kArray_int32_P2, &pickle_vectors::kArray_int32_P3, &pickle_vectors::kArray_int32_P4, "'i4'", 20},
          Case{&pickle_vectors::kArray_float64_2d_f_P2, &pickle_vectors::kArray_float64_2d_f_P3,
               &pickle_vectors::kArray_float64_2d_f_P4, "'f8'", 48},
          Case{&pickle_vectors::kArray_datetime64ms_P2, &pickle_vectors::kArray_datetime64ms_P3,
               &pickle_vectors::kArray_datetime64ms_P4, "'M8'", 16}}) {
        for (const auto* v : {c.p2, c.p3, c.p4}) {
            auto tree = decodeAll(str(*v));
            const Ref& root = tree->root;
            ASSERT_EQ(root->kind, Kind::Call);
            EXPECT_EQ(show(root->items[0]), "numpy._core.multiarray._reconstruct");
            // (numpy.ndarray, (0,), b'b'): protocol 2's _codecs.encode is evaluated natively.
            EXPECT_EQ(show(root->items[1]), "(numpy.ndarray, (0,), b'62')");
            ASSERT_EQ(root->mutations.size(), 1u);
            const Ref& state = root->mutations[0].args[0];
            ASSERT_EQ(state->kind, Kind::Tuple);
            ASSERT_EQ(state->items.size(), 5u);
            EXPECT_EQ(show(state->items[2]->items[1]).substr(0, 5), "(" + c.dtype);
            ASSERT_EQ(state->items[4]->kind, Kind::Bytes);
            EXPECT_EQ(state->items[4]->bytes->size(), c.bytes);
        }
    }
    auto tree = decodeAll(str(pickle_vectors::kArray_int32_P4));
    const Ref& data = tree->root->mutations[0].args[0]->items[4];
    EXPECT_EQ(hex(data->bytesView()), "00 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 04 00 00 00");
    EXPECT_EQ(reinterpret_cast<uintptr_t>(data->bytes->data()) % 64, 0u);   // numpy can wrap it
    // Object arrays carry a list of their elements.
    auto objects = decodeAll(str(pickle_vectors::kArray_object_P4));
    EXPECT_EQ(show(objects->root->mutations[0].args[0]->items[4]), "['a', None, 'bb']");
}

TEST(Pickle, DataFramesOfEveryProtocolUseOnlyAllowedGlobals) {
    for (const auto* v : {&pickle_vectors::kDataFrameP2, &pickle_vectors::kDataFrameP3, &pickle_vectors::kDataFrameP4}) {
        auto tree = decodeAll(str(*v));   // throws ConversionError if a global were refused
        EXPECT_NE(show(tree->root).find("pandas"), std::string::npos);
    }
}

TEST(Pickle, SymbolOpcodeOfTheSpecification) {
    // PROTOCOL.md §7.1: decodes to ['A', 'B', 'A'].
    auto tree =
        decodeAll(unhex("80 04 5d 28 f1 8c 00 8c 01 41 8c 01 42 42 0c 00 00 00 01 00 00 00 02 00 00 00 01 00 00 00 65 2e"));
    EXPECT_EQ(show(tree->root), "['A', 'B', 'A']");
    // Packed: the table once, an index per row.
    ASSERT_TRUE(tree->root->texts);
    EXPECT_EQ(tree->root->texts->strings(), 3u);
    EXPECT_EQ(tree->root->texts->indices, (std::vector<uint32_t>{1, 2, 1}));
}

TEST(Pickle, SymbolSectionsWithEveryIndexWidthFramesAndEndings) {
    // 1-byte indices (SHORT_BINBYTES), a FRAME inside the section, BINUNICODE / BINUNICODE8 strings.
    EXPECT_EQ(show(decodeAll(unhex("80 04 5d 28 f1 58 01 00 00 00 78 95 00 00 00 00 00 00 00 00 "
                                   "8d 01 00 00 00 00 00 00 00 79 43 03 01 00 01 65 2e"))
                       ->root),
              "['y', 'x', 'y']");
    // 8-byte indices (BINBYTES8).
    EXPECT_EQ(show(decodeAll(unhex("80 04 5d 28 f1 8c 01 61 8c 01 62 8e 10 00 00 00 00 00 00 00 "
                                   "01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 65 2e"))
                       ->root),
              "['b', 'a']");
    // A section ended by another opcode before any indices: its strings are discarded and the
    // opcode runs normally (here BININT1 1).
    EXPECT_EQ(show(decodeAll(unhex("80 04 5d 28 f1 8c 01 61 4b 01 65 2e"))->root), "[1]");
    // A string opcode after the indices ends the section and is a normal string.
    EXPECT_EQ(show(decodeAll(unhex("80 04 5d 28 f1 8c 01 61 43 01 00 8c 01 7a 65 2e"))->root), "['a', 'z']");
    // OBJECTBEGIN is a marker.
    EXPECT_EQ(show(decodeAll(unhex("80 04 f2 5d 28 4b 05 65 2e"))->root), "[5]");
    // An index outside the table, and index bytes that are not a multiple of the width.
    EXPECT_THROW(decodeAll(unhex("80 04 5d 28 f1 8c 01 61 43 01 01 65 2e")), ProtocolError);
    EXPECT_THROW(decodeAll(unhex("80 04 5d 28 f1 8c 01 61 42 03 00 00 00 00 00 00 65 2e")), ProtocolError);
}

TEST(Pickle, GlobalsOutsideTheAllowListAreRefusedAfterTheStreamWasRead) {
    // os.system('ls') in protocol 0, followed by bytes of the next message.
    std::string evil = "cos\nsystem\n(S'ls'\ntR.NEXT";
    MemorySource src(evil);
    try {
        ddb::pickle::decode(src);
        FAIL() << "os.system was accepted";
    } catch (const ConversionError& e) {
        EXPECT_NE(std::string(e.what()).find("os.system"), std::string::npos) << e.what();
    }
    EXPECT_EQ(src.remaining(), 4);   // positioned right after STOP: the connection stays usable
    // STACK_GLOBAL form, and dangerous names inside allowed packages.
    for (auto [module, name] : {std::pair{"builtins", "eval"},
                                {"pandas", "read_pickle"},
                                {"numpy", "load"},
                                {"pandas.io.pickle", "read_pickle"},
                                {"pyarrow.lib", "foreign_buffer"},
                                {"subprocess", "Popen"},
                                {"pandas", "io"}}) {
        std::string s = "\x80\x04\x8c" + std::string(1, static_cast<char>(std::strlen(module))) + module + "\x8c" +
            std::string(1, static_cast<char>(std::strlen(name))) + name + "\x93" + ").";
        EXPECT_THROW(decodeAll(s), ConversionError) << module << "." << name;
    }
    EXPECT_TRUE(ddb::pickle::isAllowedGlobal("pandas", "DataFrame"));
    EXPECT_TRUE(ddb::pickle::isAllowedGlobal("numpy._core.multiarray", "_reconstruct"));
    EXPECT_TRUE(ddb::pickle::isAllowedGlobal("pandas._libs.tslibs.offsets", "Day"));
    EXPECT_FALSE(ddb::pickle::isAllowedGlobal("pandas._libs.tslibs.offsets", "_private"));
    EXPECT_FALSE(ddb::pickle::isAllowedGlobal("builtins", "getattr"));
    EXPECT_FALSE(ddb::pickle::isAllowedGlobal("_codecs", "encode"));
}

TEST(Pickle, GetattrAndCodecsEncodeAreEvaluatedNatively) {
    // getattr(zoneinfo.ZoneInfo, '_unpickle') -> the global zoneinfo.ZoneInfo._unpickle.
    std::string ok = unhex("80 04 8c 08") + "builtins" + unhex("8c 07") + "getattr" + unhex("93 8c 08") + "zoneinfo" +
        unhex("8c 08") + "ZoneInfo" + unhex("93 8c 09") + "_unpickle" + unhex("86 52 2e");
    EXPECT_EQ(show(decodeAll(ok)->root), "zoneinfo.ZoneInfo._unpickle");
    // getattr(pandas.DataFrame, 'to_pickle') is not on the list.
    std::string bad = unhex("80 04 8c 08") + "builtins" + unhex("8c 07") + "getattr" + unhex("93 8c 06") + "pandas" +
        unhex("8c 09") + "DataFrame" + unhex("93 8c 09") + "to_pickle" + unhex("86 52 2e");
    EXPECT_THROW(decodeAll(bad), ConversionError);
    // _codecs.encode with another codec is refused; a character above U+00FF is malformed.
    std::string rot = unhex("80 02 63") + "_codecs\nencode\n" + unhex("8c 01 61 8c 05") + "rot13" + unhex("86 52 2e");
    EXPECT_THROW(decodeAll(rot), ConversionError);
    std::string wide = unhex("80 02 63") + "_codecs\nencode\n" + unhex("8c 03 e2 9c 93 8c 06") + "latin1" + unhex("86 52 2e");
    EXPECT_THROW(decodeAll(wide), ProtocolError);
}

TEST(Pickle, MalformedStreamsGiveProtocolErrors) {
    expectTruncationsRejected(str(pickle_vectors::kContainersP4));
    expectTruncationsRejected(str(pickle_vectors::kArray_int32_P2));
    expectTruncationsRejected(str(pickle_vectors::kScalarsP0));
    for (const char* bad : {
             "80 05 4e 2e",   // protocol 5
             "80 04 ff 2e",   // unknown opcode
             "80 04 2e",   // STOP on an empty stack
             "80 04 68 07 2e",   // BINGET of a memo entry that does not exist
             "80 04 65 2e",   // APPENDS without MARK
             "80 04 4b 01 4b 02 61 2e",   // APPEND to an int
             "80 04 29 4b 01 61 2e",   // APPEND to a tuple
             "80 04 4e 4e 62 2e",   // BUILD on None
             "80 04 28 4b 01 64 2e",   // DICT with an odd number of items
             "80 04 8b ff ff ff ff 2e",   // LONG4 with a negative length
             "80 04 50 2e",   // PERSID
             "80 04 82 01 2e",   // EXT1
             "80 04 4e 4e 52 2e",   // REDUCE with arguments that are not a tuple
             "80 04 4b 01 4b 02 93 2e",   // STACK_GLOBAL of ints
         }) {
        EXPECT_THROW(decodeAll(unhex(bad)), ProtocolError) << bad;
    }
    // Lengths beyond the bytes present fail before allocating; from a socket they fail when the
    // stream ends, having grown the buffer only as far as bytes arrived.
    std::string huge = unhex("80 04 8e ff ff ff ff ff 00 00 00 41 42 2e");
    EXPECT_THROW(decodeAll(huge), ProtocolError);
    StreamSource sock(huge);
    EXPECT_THROW(ddb::pickle::decode(sock), ProtocolError);
    EXPECT_THROW(decodeAll(unhex("80 04 58 ff ff ff ff 2e")), ProtocolError);
}

TEST(Pickle, DeepNestingAndCyclesAreReleasedSafely) {
    // 300,000 lists, each appended into the previous one: tearing down must not recurse.
    const int depth = 300000;
    std::string s = "\x80\x04";
    s.append(static_cast<size_t>(depth), ']');
    s.append(static_cast<size_t>(depth - 1), 'a');
    s += '.';
    {
        auto tree = decodeAll(s);
        const ddb::pickle::Object* o = tree->root.get();
        int n = 1;
        while (!o->items.empty()) {
            o = o->items[0].get();
            ++n;
        }
        EXPECT_EQ(n, depth);
    }
    // A list that contains itself (through the memo): decodes, and the tree is freed (ASan's
    // leak check in CI sees a leak otherwise).
    auto tree = decodeAll(unhex("80 04 5d 94 68 00 61 2e"));
    ASSERT_EQ(tree->root->items.size(), 1u);
    EXPECT_EQ(tree->root->items[0].get(), tree->root.get());
}

TEST(Pickle, CodecReadsPickleAndArrowResultsByTheirFirstByte) {
    // TABLE + 0x20, then a pickle; then a MATRIX + 0x20 with an Arrow stream (framing only).
    std::string pickled = unhex("00 26") + str(pickle_vectors::kContainersP4);
    MemorySource src(pickled);
    Value v = decodeObject(src);
    EXPECT_EQ(v.form, Form::Table);
    EXPECT_EQ(v.payload, Payload::Pickle);
    ASSERT_TRUE(v.pickled);
    EXPECT_EQ(v.pickled->root->kind, Kind::Dict);
    EXPECT_EQ(src.remaining(), 0);
    EXPECT_THROW(serialize(v), ProtocolError);

    std::string arrow = unhex("00 26") + str(pickle_vectors::kArrowStream);
    MemorySource a(arrow);
    Value t = decodeObject(a);
    EXPECT_EQ(t.payload, Payload::Arrow);
    ASSERT_TRUE(t.arrowStream);
    EXPECT_EQ(hex(std::string_view(reinterpret_cast<const char*>(t.arrowStream->data()), t.arrowStream->size())),
              hex(str(pickle_vectors::kArrowStream)));
    EXPECT_EQ(serialize(t), arrow);   // re-encodes byte for byte
}

TEST(ArrowStream, FramingIsCheckedAndReadExactly) {
    std::string stream = str(pickle_vectors::kArrowStream);
    ASSERT_EQ(stream.substr(stream.size() - 8), unhex("ff ff ff ff 00 00 00 00"));
    // Followed by other bytes: stops right after the end-of-stream marker.
    std::string followed = stream + "tail";
    MemorySource src(followed);
    uint8_t first;
    src.read(&first, 1);
    auto buf = readArrowStream(src, first);
    EXPECT_EQ(buf->size(), stream.size());
    EXPECT_EQ(src.remaining(), 4);
    // Every truncation fails (memory and socket-like sources).
    for (size_t n = 1; n < stream.size(); ++n) {
        std::string cut = stream.substr(1, n - 1);   // the first byte is passed separately
        MemorySource mem(cut);
        EXPECT_THROW(readArrowStream(mem, 0xff), ProtocolError) << n;
        StreamSource sock(cut);
        EXPECT_THROW(readArrowStream(sock, 0xff), ProtocolError) << n;
    }
    // Corrupt metadata: a negative size, a vtable pointing outside, a huge body length.
    auto corrupt = [&](size_t at, std::string bytes) {
        std::string s = stream;
        s.replace(at, bytes.size(), bytes);
        MemorySource m(std::string_view(s).substr(1));
        EXPECT_THROW(readArrowStream(m, 0xff), ProtocolError) << "at " << at;
    };
    corrupt(4, unhex("f0 ff ff ff"));   // metadata size -16
    corrupt(8, unhex("ff ff 00 00"));   // root table offset beyond the metadata
    corrupt(12, unhex("00 00 00 80"));   // vtable offset out of range
    std::string noEnd = stream.substr(0, stream.size() - 8) + unhex("ff ff ff ff 10 00 00 00");
    MemorySource m(std::string_view(noEnd).substr(1));
    EXPECT_THROW(readArrowStream(m, 0xff), ProtocolError);
}

TEST(Pickle, StringRunsArePackedAndAnythingElseKeepsTheirMeaning) {
    // EMPTY_LIST MARK strings APPENDS: packed, no Object per string.
    auto plain = decodeAll(unhex("80 04 5d 28 8c 01 61 8c 00 58 02 00 00 00 c3 a9 65 2e"));
    ASSERT_TRUE(plain->root->texts);
    EXPECT_EQ(show(plain->root), "['a', '', 'é']");
    EXPECT_TRUE(plain->root->items.empty());
    // MEMOIZE after each string (pickle.dumps): the run ends, the strings are ordinary Objects.
    auto memo = decodeAll(unhex("80 04 5d 94 28 8c 01 61 94 8c 01 62 94 68 01 65 2e"));
    EXPECT_FALSE(memo->root->texts);
    EXPECT_EQ(show(memo->root), "['a', 'b', 'a']");
    EXPECT_EQ(memo->root->items[0].get(), memo->root->items[2].get());
    // A non-string ends the run: ['a', 1].
    EXPECT_EQ(show(decodeAll(unhex("80 04 5d 28 8c 01 61 4b 01 65 2e"))->root), "['a', 1]");
    // A string after a SYMBOL section's indices ends the section and is pushed: ['A', 'B', 'A', 'z'].
    auto tail = decodeAll(unhex("80 04 5d 28 f1 8c 01 41 8c 01 42 43 03 00 01 00 8c 01 7a 65 2e"));
    EXPECT_EQ(show(tail->root), "['A', 'B', 'A', 'z']");
    EXPECT_EQ(tail->root->items[0].get(), tail->root->items[2].get());
    // A SYMBOL section without indices pushes nothing; the string after it is the only item.
    EXPECT_EQ(show(decodeAll(unhex("80 04 5d 28 f1 8c 01 41 4b 07 30 8c 01 62 65 2e"))->root), "['b']");
    // APPEND to a packed list unpacks it first: ['a', 'b', 2].
    auto appended = decodeAll(unhex("80 04 5d 28 8c 01 61 8c 01 62 65 4b 02 61 2e"));
    EXPECT_FALSE(appended->root->texts);
    EXPECT_EQ(show(appended->root), "['a', 'b', 2]");
    // An empty MARK ... APPENDS stays an empty list.
    EXPECT_EQ(show(decodeAll(unhex("80 04 5d 28 65 2e"))->root), "[]");
    // A second SYMBOL section ends the first: its indices are pushed as Objects, then the second's.
    EXPECT_EQ(show(decodeAll(unhex("80 04 5d 28 f1 8c 01 41 43 01 00 f1 8c 01 42 43 02 00 00 65 2e"))->root), "['A', 'B', 'B']");
    // Truncated inside a run: a ProtocolError, as anywhere else.
    EXPECT_THROW(decodeAll(unhex("80 04 5d 28 8c 05 61")), ddb::ProtocolError);
}
