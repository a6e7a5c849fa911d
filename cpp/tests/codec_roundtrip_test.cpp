// Round trips encode -> decode -> encode of every type x form: byte-exact re-encoding and value
// checks, with and without nulls, empty, one element and large (100k) vectors.
#include <cfloat>
#include <random>

#include "codec_helpers.h"

using namespace ddb;
using namespace ddbtest;

namespace {

const std::vector<Type> kFixedTypes = {
    Type::Bool,    Type::Char,   Type::Short,    Type::Int,       Type::Long,       Type::Date,       Type::Month,
    Type::Time,    Type::Minute, Type::Second,   Type::Datetime,  Type::Timestamp,  Type::Nanotime,   Type::Nanotimestamp,
    Type::Float,   Type::Double, Type::Uuid,     Type::Datehour,  Type::Dateminute, Type::IpAddr,     Type::Int128,
    Type::Complex, Type::Point,  Type::Duration, Type::Decimal32, Type::Decimal64,  Type::Decimal128,
};

// The null sentinel bytes of a fixed-width type (§5.3).
std::string nullBytes(Type t) {
    int w = fixedWidth(t);
    std::string b(static_cast<size_t>(w), '\0');
    switch (t) {
        case Type::Float: {
            float f = kNullFloat;
            std::memcpy(b.data(), &f, 4);
            break;
        }
        case Type::Double: {
            double d = kNullDouble;
            std::memcpy(b.data(), &d, 8);
            break;
        }
        case Type::Complex:
        case Type::Point: {
            double d = kNullDouble;
            std::memcpy(b.data(), &d, 8);
            std::memcpy(b.data() + 8, &d, 8);
            break;
        }
        case Type::Duration: {
            int32_t v = kNullInt;
            std::memcpy(b.data(), &v, 4);
            break;
        }
        case Type::Uuid:
        case Type::IpAddr:
        case Type::Int128: break;   // all zero
        default: b[static_cast<size_t>(w - 1)] = static_cast<char>(0x80); break;   // minimum value
    }
    return b;
}

int32_t scaleFor(Type t) { return t == Type::Decimal32 ? 4 : t == Type::Decimal64 ? 10 : t == Type::Decimal128 ? 30 : 0; }

// n values of type t from a seeded generator; every 7th is null when withNulls.
// `small`: integral values in a modest range (the typical input of delta-of-delta compression).
Column makeFixed(Type t, int64_t n, bool withNulls, uint32_t seed = 1, bool small = false) {
    int w = fixedWidth(t);
    Column c;
    c.rawType = static_cast<uint8_t>(t);
    c.scale = scaleFor(t);
    c.length = n;
    c.data = Buffer::allocate(static_cast<size_t>(n) * w);
    std::mt19937 rng(seed);
    std::string null = nullBytes(t);
    for (int64_t i = 0; i < n; ++i) {
        uint8_t* p = c.data->data() + i * w;
        if (withNulls && i % 7 == 3) {
            std::memcpy(p, null.data(), static_cast<size_t>(w));
            continue;
        }
        for (int k = 0; k < w; ++k) p[k] = static_cast<uint8_t>(rng());
        if (t == Type::Bool) p[0] &= 1;
        if (t == Type::Float) {
            float f = static_cast<float>(i) * 0.5f;
            std::memcpy(p, &f, 4);
        }
        if (t == Type::Double) {
            double d = static_cast<double>(i) * 0.25;
            std::memcpy(p, &d, 8);
        }
        if (t == Type::Duration) {
            int32_t unit = static_cast<int32_t>(i % 11);
            std::memcpy(p + 4, &unit, 4);
        }
        // 8-byte integers stay within 48 bits so delta-of-delta never overflows.
        if (w == 8 && t != Type::Double && t != Type::Duration) {
            p[6] = 0;
            p[7] = 0;
        }
        if (small && (w == 2 || w == 4 || w == 8) && t != Type::Float && t != Type::Double && t != Type::Duration) {
            int64_t x = static_cast<int64_t>(rng() % 20001) - 10000 + i * 3;
            std::memcpy(p, &x, static_cast<size_t>(w));   // little-endian: the low bytes
        }
        if (std::memcmp(p, null.data(), static_cast<size_t>(w)) == 0) p[0] ^= 1;   // no accidental nulls
    }
    return c;
}

std::vector<std::string> sampleStrings(int64_t n, bool withNulls, bool binary = false) {
    std::vector<std::string> out;
    for (int64_t i = 0; i < n; ++i) {
        if (withNulls && i % 5 == 2) {
            out.emplace_back();
        } else {
            std::string s = std::string("s").append(std::to_string(i % 1000)).append("_\xe4\xb8\xad");
            if (binary) s += std::string("\0\x01\xff", 3);
            out.push_back(s);
        }
    }
    return out;
}

void expectColumnsEqual(const Column& a, const Column& b) {
    ASSERT_EQ(a.rawType, b.rawType);
    ASSERT_EQ(a.length, b.length);
    EXPECT_EQ(a.scale, b.scale);
    if (a.isArrayVector()) {
        const int64_t* oa = a.offsets->as<int64_t>();
        const int64_t* ob = b.offsets->as<int64_t>();
        for (int64_t i = 0; i <= a.length; ++i) ASSERT_EQ(oa[i] - oa[0], ob[i] - ob[0]) << "row " << i;
        int w = fixedWidth(elementTypeOf(a.rawType));
        int64_t n = oa[a.length] - oa[0];
        ASSERT_EQ(std::memcmp(a.values->data->data() + oa[0] * w, b.values->data->data() + ob[0] * w, static_cast<size_t>(n) * w),
                  0);
        return;
    }
    Type t = a.type();
    if (fixedWidth(t) > 0) {
        ASSERT_EQ(std::memcmp(a.data->data(), b.data->data(), static_cast<size_t>(a.length) * fixedWidth(t)), 0)
            << typeName(a.rawType);
    } else if (t == Type::Any) {
        ASSERT_EQ(a.items.size(), b.items.size());
        for (size_t i = 0; i < a.items.size(); ++i) EXPECT_EQ(serialize(a.items[i]), serialize(b.items[i]));
    } else if (t != Type::Void) {
        EXPECT_EQ(strings(a), strings(b)) << typeName(a.rawType);
    }
}

Value v1(Type t) { return vectorOf(makeFixed(t, 1, false, 9)); }

// encode -> decode -> encode: equal bytes; returns the decoded value.
Value roundTrip(const Value& v, const EncodeOptions& eo = {}) {
    std::string first = serialize(v, eo);
    Value back = deserialize(first);
    std::string second = serialize(back, eo);
    EXPECT_EQ(first.size(), second.size());
    EXPECT_TRUE(first == second) << "re-encoding differs for " << formName(v.form) << " " << typeName(v.column.rawType);
    return back;
}

}   // namespace

TEST(RoundTrip, FixedWidthScalarsAndVectorsOfEveryType) {
    for (Type t : kFixedTypes) {
        SCOPED_TRACE(typeName(static_cast<uint8_t>(t)));
        // scalar, and null scalar
        Value s = scalarOf(makeFixed(t, 1, false));
        expectColumnsEqual(roundTrip(s).column, s.column);
        Value ns = scalarOf(makeFixed(t, 1, false));
        std::string null = nullBytes(t);
        std::memcpy(ns.column.data->data(), null.data(), null.size());
        expectColumnsEqual(roundTrip(ns).column, ns.column);
        for (int64_t n : {0, 1, 3, 100000}) {
            for (bool nulls : {false, true}) {
                Value v = vectorOf(makeFixed(t, n, nulls));
                Value back = roundTrip(v);
                EXPECT_EQ(back.form, Form::Vector);
                expectColumnsEqual(back.column, v.column);
            }
        }
        // matrix (3 x 2, with labels), dictionary keyed by INT, ANY of scalars, each with nulls
        Value m;
        m.form = Form::Matrix;
        m.rows = 3;
        m.cols = 2;
        m.column = makeFixed(t, 6, true);
        m.colLabels = std::make_shared<Column>(strCol(Type::String, {"a", "b"}));
        Value mb = roundTrip(m);
        EXPECT_EQ(mb.rows, 3);
        expectColumnsEqual(mb.column, m.column);
        Value d;
        d.form = Form::Dictionary;
        d.column = fixedCol<int32_t>(Type::Int, {1, 2, 3, 4, 5, 6, 7, 8});
        d.dictValues = std::make_shared<Column>(makeFixed(t, 8, true));
        Value db = roundTrip(d);
        expectColumnsEqual(*db.dictValues, *d.dictValues);
        Value keyed;
        keyed.form = Form::Dictionary;
        keyed.column = makeFixed(t, 4, false);
        keyed.dictValues = std::make_shared<Column>(strCol(Type::String, {"w", "x", "y", "z"}));
        expectColumnsEqual(roundTrip(keyed).column, keyed.column);
        Value any = vectorOf(anyCol({s, ns, v1(t)}));
        Value ab = roundTrip(any);
        expectColumnsEqual(ab.column.items[1].column, ns.column);
        // pair, set
        Value p = vectorOf(makeFixed(t, 2, true), Form::Pair);
        EXPECT_EQ(roundTrip(p).form, Form::Pair);
        Value set = vectorOf(makeFixed(t, 5, false), Form::Set);
        Value sb = roundTrip(set);
        EXPECT_EQ(sb.form, Form::Set);
        expectColumnsEqual(sb.column, set.column);
    }
}

TEST(RoundTrip, DecimalScalesAndValues) {
    Value d = scalar<int32_t>(Type::Decimal32, -12345, 2);
    EXPECT_EQ(serialize(d), unhex("25 00 02 00 00 00 c7 cf ff ff"));
    Value back = roundTrip(d);
    EXPECT_EQ(back.column.scale, 2);
    EXPECT_EQ(at<int32_t>(back.column, 0), -12345);
    Value v = vectorOf(fixedCol<int64_t>(Type::Decimal64, {1, kNullLong, -5}, 18));
    Value vb = roundTrip(v);
    EXPECT_EQ(vb.column.scale, 18);
    EXPECT_EQ(values<int64_t>(vb.column), (std::vector<int64_t>{1, kNullLong, -5}));
}

TEST(RoundTrip, TextTypes) {
    for (Type t : {Type::String, Type::Symbol, Type::Blob}) {
        SCOPED_TRACE(typeName(static_cast<uint8_t>(t)));
        for (int64_t n : {0, 1, 4, 100000}) {
            for (bool nulls : {false, true}) {
                auto src = sampleStrings(n, nulls, t == Type::Blob);
                Value v = vectorOf(strCol(t, src));
                Value back = roundTrip(v);
                ASSERT_EQ(back.column.length, n);
                EXPECT_EQ(strings(back.column), src);
                if (t == Type::Symbol && n > 0) {
                    EXPECT_TRUE(back.column.hasSymbolBase());
                    EXPECT_EQ(back.column.symbols->strings.stringAt(0), "");   // entry 0 is the null symbol
                }
            }
        }
        Value sc = stringScalar(t, t == Type::Blob ? std::string("a\0b", 3) : "hello");
        EXPECT_EQ(roundTrip(sc).column.stringAt(0), sc.column.stringAt(0));
        Value empty = stringScalar(t, "");
        EXPECT_EQ(roundTrip(empty).column.stringAt(0), "");
    }
    // Receive-only text types and FUNCTIONDEF (kind byte kept in scale).
    for (Type t : {Type::Handle, Type::Code, Type::DataSource, Type::Resource}) {
        Value v = stringScalar(t, std::string("<text ").append(typeName(static_cast<uint8_t>(t))).append(">"));
        EXPECT_EQ(roundTrip(v).column.stringAt(0), v.column.stringAt(0));
    }
    Value f = stringScalar(Type::FunctionDef, "def f(x){return x+1}");
    f.column.scale = 1;
    Value fb = roundTrip(f);
    EXPECT_EQ(fb.column.scale, 1);
    EXPECT_EQ(fb.column.stringAt(0), "def f(x){return x+1}");
}

TEST(RoundTrip, StringsWithNulBytesAreRejectedOnEncode) {
    EXPECT_THROW(serialize(stringScalar(Type::String, std::string("a\0b", 3))), ProtocolError);
    EXPECT_THROW(serialize(vectorOf(strCol(Type::String, {"ok", std::string("x\0", 2)}))), ProtocolError);
}

TEST(RoundTrip, SymbolVectorsWithExplicitBases) {
    auto base = makeBase({"", "IBM", "MSFT", "AAPL"}, 7);
    Value v = vectorOf(symCol(base, {1, 2, 0, 3, 1}));
    std::string bytes = serialize(v);
    // Outside a table: base id 0 and the full base.
    EXPECT_EQ(hex(bytes.substr(0, 18)), "91 01 05 00 00 00 01 00 00 00 00 00 00 00 04 00 00 00");
    Value back = roundTrip(v);
    EXPECT_EQ(strings(back.column), (std::vector<std::string>{"IBM", "MSFT", "", "AAPL", "IBM"}));
    // An empty symbol vector is plain type 17 with no data.
    Value e = vectorOf(symCol(base, {}));
    EXPECT_EQ(hex(serialize(e)), "11 01 00 00 00 00 01 00 00 00");
    // A symbol scalar is a plain string.
    Value sc = scalarOf(symCol(base, {2}));
    EXPECT_EQ(hex(serialize(sc)), "11 00 4d 53 46 54 00");
}

TEST(RoundTrip, TableSymbolBaseRegistry) {
    auto shared = makeBase({"", "A", "B"});
    auto other = makeBase({"", "X"});
    Value t = tableOf({"s1", "i", "s2", "s3", "s4"},
                      {symCol(shared, {1, 2}), fixedCol<int32_t>(Type::Int, {1, 2}), symCol(other, {1, 0}),
                       symCol(shared, {2, 2}), strCol(Type::Symbol, {"p", "q"})});
    std::string bytes = serialize(t);
    Value back = roundTrip(t);
    ASSERT_EQ(back.columns.size(), 5u);
    EXPECT_EQ(strings(back.columns[0]), (std::vector<std::string>{"A", "B"}));
    EXPECT_EQ(strings(back.columns[2]), (std::vector<std::string>{"X", ""}));
    EXPECT_EQ(strings(back.columns[3]), (std::vector<std::string>{"B", "B"}));
    EXPECT_EQ(strings(back.columns[4]), (std::vector<std::string>{"p", "q"}));
    EXPECT_EQ(back.columns[0].symbols, back.columns[3].symbols);   // reuse restored the sharing
    EXPECT_NE(back.columns[0].symbols, back.columns[2].symbols);
    // ids 0 (s1, full), 1 (s2, full), 0 again with size 0 (s3), 2 (s4, built from plain strings)
    std::string s3 = unhex("91 01 02 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 02 00 00 00 02 00 00 00");
    EXPECT_NE(bytes.find(s3), std::string::npos);
    EXPECT_NE(bytes.find(unhex("91 01 02 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 00 70 00 71 00")), std::string::npos);
    // The registry is per table: a second table restarts at id 0 with full bases.
    Value any = vectorOf(anyCol({t, t}));
    Value ab = roundTrip(any);
    EXPECT_EQ(strings(ab.column.items[1].columns[3]), (std::vector<std::string>{"B", "B"}));
}

TEST(RoundTrip, ArrayVectorsOfEveryFixedType) {
    for (Type t : kFixedTypes) {
        SCOPED_TRACE(typeName(static_cast<uint8_t>(t)));
        int w = fixedWidth(t);
        Column flat = makeFixed(t, 6, true);
        Column a;
        a.rawType = static_cast<uint8_t>(kArrayTypeBase + static_cast<uint8_t>(t));
        a.scale = scaleFor(t);
        a.length = 4;
        a.offsets = Buffer::allocate(5 * 8);
        int64_t offs[] = {0, 2, 2, 5, 6};   // [[a,b],[],[c,d,e],[f]]
        std::memcpy(a.offsets->data(), offs, sizeof offs);
        a.values = std::make_shared<Column>(flat);
        Value v = vectorOf(a);
        std::string bytes = serialize(v);
        // cols = total element count, then (decimal) scale, then one block with 1-byte counts.
        int32_t cols;
        std::memcpy(&cols, bytes.data() + 6, 4);
        EXPECT_EQ(cols, 6);
        Value back = roundTrip(v);
        EXPECT_EQ(back.column.rawType, a.rawType);
        EXPECT_EQ(back.column.values->length, 6);
        expectColumnsEqual(back.column, a);
        (void)w;
        // empty array vector, and inside a table
        Value e = roundTrip(vectorOf(arrayCol<int32_t>(Type::Int, {})));
        EXPECT_EQ(e.column.length, 0);
        Value tb = roundTrip(tableOf({"a"}, {a}));
        expectColumnsEqual(tb.columns[0], a);
    }
}

TEST(RoundTrip, ArrayVectorBlocksAndCountWidths) {
    // 100k rows: several blocks of at most 65535 rows; rows longer than 255 / 65535 need 2 / 4 count bytes.
    std::vector<std::vector<int32_t>> rows;
    std::mt19937 rng(7);
    for (int i = 0; i < 100000; ++i) {
        int n = static_cast<int>(rng() % 4);
        if (i == 100) n = 300;   // block 1 needs 2-byte counts
        if (i == 99999) n = 70000;   // block 2 needs 4-byte counts
        std::vector<int32_t> r(static_cast<size_t>(n));
        for (auto& x : r) x = static_cast<int32_t>(rng());
        rows.push_back(std::move(r));
    }
    Value v = vectorOf(arrayCol<int32_t>(Type::Int, rows));
    std::string bytes = serialize(v);
    // First block header: 65535 rows, 2-byte counts.
    EXPECT_EQ(hex(bytes.substr(10, 4)), "ff ff 02 00");
    Value back = roundTrip(v);
    ASSERT_EQ(back.column.length, 100000);
    EXPECT_EQ(row<int32_t>(back.column, 100), rows[100]);
    EXPECT_EQ(row<int32_t>(back.column, 99999), rows[99999]);
    EXPECT_EQ(row<int32_t>(back.column, 12345), rows[12345]);
    // The second block starts after 65535 2-byte counts and their values.
    size_t values0 = 0;
    for (int i = 0; i < 65535; ++i) values0 += rows[i].size();
    size_t second = 10 + 4 + 65535 * 2 + values0 * 4;
    EXPECT_EQ(hex(bytes.substr(second, 4)), "a1 86 04 00");   // 34465 rows, 4-byte counts (70000 > 65535)
}

TEST(RoundTrip, ArrayVectorLongRowFromTheCppWriter) {
    // The C++ writer flushes a very long row's values in two pieces: block header (1 row, 4-byte
    // count), then part of the values, then (next buffer) the rest, then the next block header.
    // On the wire the values are contiguous, so a reader consuming sum(counts) values handles it.
    Sink s;
    s.put<uint16_t>(0x0144);   // INT[] vector
    s.put<int32_t>(2);
    s.put<int32_t>(100002);
    s.put<uint16_t>(1);
    s.put<uint8_t>(4);
    s.put<uint8_t>(0);
    s.put<uint32_t>(100000);
    for (int i = 0; i < 60000; ++i) s.put<int32_t>(i);   // first buffer
    for (int i = 60000; i < 100000; ++i) s.put<int32_t>(i);   // continuation
    s.put<uint16_t>(1);
    s.put<uint8_t>(1);
    s.put<uint8_t>(0);
    s.put<uint8_t>(2);
    s.put<int32_t>(-1);
    s.put<int32_t>(-2);
    Value v = deserialize(s.str());
    ASSERT_EQ(v.column.length, 2);
    auto r0 = row<int32_t>(v.column, 0);
    ASSERT_EQ(r0.size(), 100000u);
    EXPECT_EQ(r0[99999], 99999);
    EXPECT_EQ(row<int32_t>(v.column, 1), (std::vector<int32_t>{-1, -2}));
}

TEST(RoundTrip, VoidScalarAndVector) {
    Value none = scalarOf(Column{});
    none.column.rawType = 0;
    EXPECT_EQ(hex(serialize(none)), "00 00 00");
    Value null = none;
    null.column.scale = 1;
    EXPECT_EQ(hex(serialize(null)), "00 00 01");
    EXPECT_EQ(roundTrip(null).column.scale, 1);
    Value vv;
    vv.form = Form::Vector;
    vv.column.rawType = 0;
    vv.column.length = 3;
    EXPECT_EQ(hex(serialize(vv)), "00 01 03 00 00 00 01 00 00 00");
    EXPECT_EQ(roundTrip(vv).column.length, 3);
}

TEST(RoundTrip, MatrixWithAndWithoutLabels) {
    for (Type t : {Type::Int, Type::Double, Type::Decimal64, Type::Uuid, Type::String, Type::Symbol}) {
        SCOPED_TRACE(typeName(static_cast<uint8_t>(t)));
        Value m;
        m.form = Form::Matrix;
        m.rows = 3;
        m.cols = 2;
        if (fixedWidth(t)) m.column = makeFixed(t, 6, true);
        else m.column = strCol(t, {"a", "b", "", "d", "e", "f"});
        Value back = roundTrip(m);
        EXPECT_EQ(back.rows, 3);
        EXPECT_EQ(back.cols, 2);
        expectColumnsEqual(back.column, m.column);
        m.rowLabels = std::make_shared<Column>(fixedCol<int32_t>(Type::Date, {1, 2, 3}));
        m.colLabels = std::make_shared<Column>(strCol(Type::Symbol, {"x", "y"}));
        Value lb = roundTrip(m);
        ASSERT_TRUE(lb.rowLabels && lb.colLabels);
        EXPECT_EQ(values<int32_t>(*lb.rowLabels), (std::vector<int32_t>{1, 2, 3}));
        EXPECT_EQ(strings(*lb.colLabels), (std::vector<std::string>{"x", "y"}));
    }
    Value empty;
    empty.form = Form::Matrix;
    empty.column = fixedCol<double>(Type::Double, {});
    EXPECT_EQ(roundTrip(empty).column.length, 0);
}

TEST(RoundTrip, DictionariesAndCharts) {
    Value d;
    d.form = Form::Dictionary;
    d.column = strCol(Type::String, {"a", "b", "c"});
    d.dictValues = std::make_shared<Column>(fixedCol<double>(Type::Double, {1.5, kNullDouble, 3}));
    Value back = roundTrip(d);
    EXPECT_EQ(serialize(d)[0], 16);   // flag type byte = value type
    EXPECT_EQ(strings(back.column), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(values<double>(*back.dictValues), (std::vector<double>{1.5, kNullDouble, 3}));
    Value sym = d;
    sym.column = strCol(Type::Symbol, {"k1", "k2", "k1"});
    sym.dictValues = std::make_shared<Column>(anyCol({scalar<int32_t>(Type::Int, 1), stringScalar(Type::String, "x"), d}));
    Value sb = roundTrip(sym);
    EXPECT_EQ(sb.dictValues->items[2].form, Form::Dictionary);
    Value chart = d;
    chart.form = Form::Chart;
    EXPECT_EQ(roundTrip(chart).form, Form::Chart);
    Value empty;
    empty.form = Form::Dictionary;
    empty.column = fixedCol<int32_t>(Type::Int, {});
    empty.dictValues = std::make_shared<Column>(fixedCol<int64_t>(Type::Long, {}));
    EXPECT_EQ(roundTrip(empty).column.length, 0);
}

TEST(RoundTrip, TablesOfEveryColumnKind) {
    std::vector<std::string> names;
    std::vector<Column> cols;
    const int64_t n = 1000;
    for (Type t : kFixedTypes) {
        names.push_back(std::string("c").append(typeName(static_cast<uint8_t>(t))));
        cols.push_back(makeFixed(t, n, true, static_cast<uint32_t>(t)));
    }
    names.push_back("str");
    cols.push_back(strCol(Type::String, sampleStrings(n, true)));
    names.push_back("sym");
    cols.push_back(strCol(Type::Symbol, sampleStrings(n, true)));
    names.push_back("blob");
    cols.push_back(strCol(Type::Blob, sampleStrings(n, true, true)));
    names.push_back("arr");
    std::vector<std::vector<int64_t>> rows(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) rows[static_cast<size_t>(i)].assign(static_cast<size_t>(i % 3), i);
    cols.push_back(arrayCol<int64_t>(Type::Long, rows));
    names.push_back("any");
    std::vector<Value> items;
    for (int64_t i = 0; i < n; ++i) items.push_back(scalar<int32_t>(Type::Int, static_cast<int32_t>(i)));
    cols.push_back(anyCol(items));
    Value t = tableOf(names, cols, "tbl");
    Value back = roundTrip(t);
    EXPECT_EQ(back.tableName, "tbl");
    EXPECT_EQ(back.rows, n);
    ASSERT_EQ(back.columns.size(), cols.size());
    for (size_t i = 0; i < cols.size(); ++i) {
        SCOPED_TRACE(names[i]);
        if (cols[i].type() == Type::Symbol) EXPECT_EQ(strings(back.columns[i]), strings(cols[i]));
        else expectColumnsEqual(back.columns[i], cols[i]);
    }
    // Empty table (0 rows) and one row.
    Value empty = tableOf({"a", "s"}, {fixedCol<int32_t>(Type::Int, {}), strCol(Type::Symbol, {})});
    EXPECT_EQ(roundTrip(empty).rows, 0);
    Value one = tableOf({"a"}, {fixedCol<int32_t>(Type::Int, {5})});
    EXPECT_EQ(values<int32_t>(roundTrip(one).columns[0]), (std::vector<int32_t>{5}));
}

TEST(RoundTrip, NestedAnyVectors) {
    Value inner = vectorOf(anyCol({scalar<int32_t>(Type::Int, 1), vectorOf(strCol(Type::Symbol, {"a", "b"}))}));
    Value mid = vectorOf(anyCol({inner, stringScalar(Type::String, "x"), tableOf({"c"}, {fixedCol<double>(Type::Double, {1})})}));
    Value outer = vectorOf(anyCol({mid, mid, scalarOf(Column{})}));
    Value back = roundTrip(outer);
    const Value& m = back.column.items[0];
    EXPECT_EQ(m.column.items[1].column.stringAt(0), "x");
    EXPECT_EQ(strings(m.column.items[0].column.items[1].column), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(m.column.items[2].form, Form::Table);
    EXPECT_EQ(back.column.items[2].type(), Type::Void);
    Value empty = vectorOf(anyCol({}));
    EXPECT_EQ(roundTrip(empty).column.length, 0);
}

TEST(RoundTrip, ChunkKeepsRawBytes) {
    Value c;
    c.form = Form::Chunk;
    c.raw = std::string("/db/chunk\0abc", 13);
    std::string bytes = serialize(c);
    EXPECT_EQ(hex(bytes.substr(0, 4)), "00 08 0d 00");
    EXPECT_EQ(roundTrip(c).raw, c.raw);
    std::string typed = unhex("05 08 02 00 61 62");   // the flag's type byte survives a round trip
    EXPECT_EQ(serialize(deserialize(typed)), typed);
}

TEST(RoundTrip, CompressedTables) {
    const int64_t n = 100000;
    Column ints = makeFixed(Type::Int, n, true, 1, true);
    // delta-friendly timestamps with nulls
    std::vector<int64_t> ts(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) ts[static_cast<size_t>(i)] = i % 11 == 5 ? kNullLong : 1704164645678LL + i * 1000 + (i % 3);
    Column stamps = fixedCol<int64_t>(Type::Timestamp, ts);
    Column dbl = makeFixed(Type::Double, n, true);
    Column str = strCol(Type::String, sampleStrings(n, true));
    Column sym = strCol(Type::Symbol, sampleStrings(n, true));
    Column dec = makeFixed(Type::Decimal64, n, true, 2, true);
    std::vector<std::vector<int32_t>> rows(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) rows[static_cast<size_t>(i)].assign(static_cast<size_t>(i % 4), static_cast<int32_t>(i));
    Column arr = arrayCol<int32_t>(Type::Int, rows);
    Value t = tableOf({"i", "ts", "d", "s", "sym", "dec", "arr"}, {ints, stamps, dbl, str, sym, dec, arr});
    for (CompressMethod def : {CompressMethod::Lz4, CompressMethod::Delta, CompressMethod::None}) {
        EncodeOptions eo;
        eo.compressTables = true;
        eo.defaultMethod = def;
        std::string bytes = serialize(t, eo);
        EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 8);   // table type 8
        Value back = deserialize(bytes);
        EXPECT_EQ(back.tableType, 8);
        expectColumnsEqual(back.columns[0], ints);
        expectColumnsEqual(back.columns[1], stamps);
        expectColumnsEqual(back.columns[2], dbl);
        EXPECT_EQ(strings(back.columns[3]), strings(str));
        EXPECT_EQ(strings(back.columns[4]), strings(sym));
        expectColumnsEqual(back.columns[5], dec);
        expectColumnsEqual(back.columns[6], arr);
        if (def != CompressMethod::None) {
            EXPECT_LT(bytes.size(), serialize(t).size());
            // SYMBOL never compressed: its plain 145 vector is in the stream.
            EXPECT_NE(bytes.find(unhex("91 01 a0 86 01 00 01 00 00 00")), std::string::npos);
        }
    }
    // Explicit per-column methods; delta on DOUBLE (or an array vector) is the caller's error
    // when explicitly requested.
    EncodeOptions eo;
    eo.compressTables = true;
    eo.defaultMethod = CompressMethod::None;
    eo.columnMethods = {{"i", CompressMethod::Delta}, {"d", CompressMethod::Lz4}};
    Value back = deserialize(serialize(t, eo));
    expectColumnsEqual(back.columns[0], ints);
    eo.columnMethods = {{"d", CompressMethod::Delta}};
    EXPECT_THROW(serialize(t, eo), ConversionError);
    eo.columnMethods = {{"arr", CompressMethod::Delta}};
    EXPECT_THROW(serialize(t, eo), ConversionError);
    // Every delta-eligible type.
    for (Type ty : {Type::Short, Type::Int, Type::Long, Type::Date, Type::Month, Type::Time, Type::Minute, Type::Second,
                    Type::Datetime, Type::Timestamp, Type::Nanotime, Type::Nanotimestamp, Type::Datehour, Type::Dateminute,
                    Type::Decimal32, Type::Decimal64}) {
        SCOPED_TRACE(typeName(static_cast<uint8_t>(ty)));
        Column c = makeFixed(ty, 5000, true, 3, true);
        EncodeOptions d;
        d.compressTables = true;
        d.columnMethods = {{"x", CompressMethod::Delta}};
        Value tb = deserialize(serialize(tableOf({"x"}, {c}), d));
        expectColumnsEqual(tb.columns[0], c);
    }
}

namespace {
// Method of each column of a serialized table (0 = sent plain): walks the columns, which must be
// compressed or, when plain, fixed-width.
std::vector<int> columnMethods(const std::string& bytes) {
    MemorySource src(bytes);
    uint16_t flag;
    src.read(&flag, 2);
    int32_t rows, cols;
    src.read(&rows, 4);
    src.read(&cols, 4);
    std::string skip;
    for (int i = 0; i <= cols; ++i) {
        skip.clear();
        src.readUntil('\0', skip, 1024);
    }
    std::vector<int> methods;
    for (int i = 0; i < cols; ++i) {
        uint8_t f[2];
        src.read(f, 2);
        if (f[0] == 26) {
            uint8_t h[28];
            src.read(h, 28);
            int32_t byteSize;
            std::memcpy(&byteSize, h, 4);
            methods.push_back(h[11]);
            std::string blocks(static_cast<size_t>(byteSize - 20), '\0');
            src.read(blocks.data(), blocks.size());
        } else {
            methods.push_back(0);
            int32_t n, c;
            src.read(&n, 4);
            src.read(&c, 4);
            std::string data(static_cast<size_t>(n) * fixedWidth(static_cast<Type>(f[0])), '\0');
            src.read(data.data(), data.size());
        }
    }
    return methods;
}
}   // namespace

TEST(RoundTrip, CompressionAutoPicksTheSmallerMethodFromASample) {
    const int64_t n = 200000;
    std::vector<int64_t> ts(n), noise(n);
    std::vector<int32_t> qty(n);
    std::vector<double> price(n);
    uint64_t x = 88172645463325252ULL;
    for (int64_t i = 0; i < n; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ts[i] = 1704187800000LL + i * 10 + (i % 3 == 0 ? 1 : 0);
        qty[i] = static_cast<int32_t>(7 * i + (i % 5 == 0 ? 3 : 0));
        noise[i] = static_cast<int64_t>(x >> 2);
        price[i] = static_cast<double>(x % 100000) / 100.0;
    }
    Value t = tableOf({"ts", "qty", "noise", "price"},
                      {fixedCol<int64_t>(Type::Timestamp, ts), fixedCol<int32_t>(Type::Int, qty),
                       fixedCol<int64_t>(Type::Long, noise), fixedCol<double>(Type::Double, price)});
    EncodeOptions eo;
    eo.compressTables = true;   // defaultMethod Auto
    std::string bytes = serialize(t, eo);
    EXPECT_EQ(columnMethods(bytes), (std::vector<int>{2, 2, 1, 1}));
    Value back = deserialize(bytes);
    for (size_t i = 0; i < 4; ++i) expectColumnsEqual(back.columns[i], t.columns[i]);
    // The table's own methods (set by the binding from compressMethods) apply next, and the
    // encoder options' by-name methods override both.
    t.compressMethods = {CompressMethod::None, CompressMethod::Lz4, CompressMethod::Auto, CompressMethod::Lz4};
    EXPECT_EQ(columnMethods(serialize(t, eo)), (std::vector<int>{0, 1, 1, 1}));
    eo.columnMethods = {{"ts", CompressMethod::Lz4}};
    EXPECT_EQ(columnMethods(serialize(t, eo)), (std::vector<int>{1, 1, 1, 1}));
    // Explicit delta-of-delta on values whose differences overflow 64 bits: a ConversionError.
    t.compressMethods = {CompressMethod::Auto, CompressMethod::Auto, CompressMethod::Auto, CompressMethod::Auto};
    std::vector<int64_t> wild = {INT64_MAX - 1, INT64_MIN + 1, INT64_MAX - 1};
    Value w = tableOf({"w"}, {fixedCol<int64_t>(Type::Long, wild)});
    EncodeOptions delta;
    delta.compressTables = true;
    delta.columnMethods = {{"w", CompressMethod::Delta}};
    EXPECT_THROW(serialize(w, delta), ConversionError);
    EXPECT_EQ(columnMethods(serialize(w, EncodeOptions{true, CompressMethod::Auto, {}})), (std::vector<int>{1}));
}

TEST(RoundTrip, CompressedVectorsDecodeInEveryVectorPosition) {
    // A compressed INT vector [1, 2, 3] as any encoder writes it (flag 1a 01 + header + blocks).
    Column ints = fixedCol<int32_t>(Type::Int, {1, 2, 3});
    Column strs = strCol(Type::String, {"a", "bb", "c"});
    auto compressed = [](const Column& c, CompressMethod m) {
        EncodeOptions eo;
        eo.compressTables = true;
        eo.columnMethods = {{"x", m}};
        std::string table = serialize(tableOf({"x"}, {c}), eo);
        return table.substr(2 + 4 + 4 + 1 + 2);   // flag, rows, cols, "" name, "x" name
    };
    std::string lz4 = compressed(ints, CompressMethod::Lz4);
    std::string delta = compressed(ints, CompressMethod::Delta);
    std::string text = compressed(strs, CompressMethod::Lz4);
    ASSERT_EQ(static_cast<uint8_t>(lz4[0]), 0x1a);
    for (const std::string& c : {lz4, delta}) {
        // Top-level vector and pair (form byte 1 / 2 before the COMPRESS type).
        EXPECT_EQ(values<int32_t>(deserialize(c).column), (std::vector<int32_t>{1, 2, 3}));
        std::string pair = c;
        pair[1] = 2;
        Value p = deserialize(pair);
        EXPECT_EQ(p.form, Form::Pair);
        EXPECT_EQ(values<int32_t>(p.column), (std::vector<int32_t>{1, 2, 3}));
        // Set keys; dictionary keys and values; an ANY vector item; matrix labels.
        Value set = deserialize(unhex("04 04") + c);
        EXPECT_EQ(values<int32_t>(set.column), (std::vector<int32_t>{1, 2, 3}));
        Value dict = deserialize(unhex("12 05") + text + c);
        EXPECT_EQ(strings(dict.column), (std::vector<std::string>{"a", "bb", "c"}));
        EXPECT_EQ(values<int32_t>(*dict.dictValues), (std::vector<int32_t>{1, 2, 3}));
        Value dict2 = deserialize(unhex("12 05") + c + text);
        EXPECT_EQ(values<int32_t>(dict2.column), (std::vector<int32_t>{1, 2, 3}));
        Value any = deserialize(unhex("19 01 02 00 00 00 01 00 00 00") + c + unhex("04 00 07 00 00 00"));
        ASSERT_EQ(any.column.items.size(), 2u);
        EXPECT_EQ(values<int32_t>(any.column.items[0].column), (std::vector<int32_t>{1, 2, 3}));
        // 3x1 INT matrix with compressed row labels and plain column labels.
        Value m = deserialize(unhex("04 03 03") + c + unhex("04 01 01 00 00 00 01 00 00 00 09 00 00 00") +
                              unhex("04 03 03 00 00 00 01 00 00 00 0a 00 00 00 0b 00 00 00 0c 00 00 00"));
        ASSERT_TRUE(m.rowLabels);
        EXPECT_EQ(values<int32_t>(*m.rowLabels), (std::vector<int32_t>{1, 2, 3}));
        EXPECT_EQ(values<int32_t>(m.column), (std::vector<int32_t>{10, 11, 12}));
        // Table columns (type 0 or 8).
        for (const char* type : {"00", "08"}) {
            Value t = deserialize(unhex(std::string(type) + " 06 03 00 00 00 01 00 00 00 00 78 00") + c);
            EXPECT_EQ(values<int32_t>(t.columns[0]), (std::vector<int32_t>{1, 2, 3}));
        }
    }
}
