// The bulk writers' GIL-free parts: the bucket hash against the vectors observed on the official
// client (BULK_WRITERS.md §2.4), partition domains and their groupings (§2.3), temporal casts
// (§1.2), row gathers and the growable columns of the writer queues.
#include "codec_helpers.h"
#include "errors.h"
#include "writers/columns.h"
#include "writers/domain.h"
#include "writers/hash.h"

using namespace ddb;
using namespace ddb::writers;
using namespace ddbtest;

namespace {

std::vector<int32_t> buckets(const Column& c, uint32_t n) {
    std::vector<int32_t> out(static_cast<size_t>(c.length));
    hashBuckets(c, 0, c.length, n, out.data());
    return out;
}

std::vector<int32_t> groups(const Domain& d, const Column& c, int n) {
    std::vector<int32_t> k = d.keys(c);
    for (auto& x : k) x = x < 0 ? -1 : x % n;
    return k;
}

const std::vector<std::string> kTen = {"AAPL", "TSLA", "GS", "MS", "GE", "BA", "UAL", "WMT", "IBM", "MSFT"};

}   // namespace

TEST(WriterHash, Murmur32Vectors) {
    EXPECT_EQ(murmur32("a"), 0x92685f5eu);
    EXPECT_EQ(murmur32("ab"), 0x1aa14063u);
    EXPECT_EQ(murmur32("abc"), 0x13577c9bu);
    EXPECT_EQ(murmur32("abcd"), 0x26873021u);
    EXPECT_EQ(murmur32("AAPL"), 0xe73e4e85u);
    EXPECT_EQ(murmur32("MSFT"), 0x161ef323u);
    EXPECT_EQ(murmur32("IBM"), 0x64060704u);
}

TEST(WriterHash, StringsAsTheServerDocuments) {
    EXPECT_EQ(buckets(strCol(Type::Symbol, kTen), 10), (std::vector<int32_t>{9, 4, 1, 8, 3, 7, 5, 2, 2, 5}));
    EXPECT_EQ(buckets(strCol(Type::String, {""}), 7), (std::vector<int32_t>{0}));
    auto base = std::make_shared<SymbolBase>();
    base->strings = strCol(Type::String, {"", "AAPL", "TSLA"});
    EXPECT_EQ(buckets(symCol(base, {1, 2, 0}), 10), (std::vector<int32_t>{9, 4, 0}));
}

TEST(WriterHash, IntegersReinterpretedAsUnsignedOfTheirWidth) {
    EXPECT_EQ(buckets(fixedCol<int32_t>(Type::Int, {34, 45, 67}), 10), (std::vector<int32_t>{4, 5, 7}));
    EXPECT_EQ(buckets(fixedCol<int64_t>(Type::Long, {-3, -1, 0, 1, 5}), 7), (std::vector<int32_t>{6, 1, 0, 1, 5}));
    EXPECT_EQ(buckets(fixedCol<int32_t>(Type::Int, {-3, -1, 0, 1, 5}), 7), (std::vector<int32_t>{1, 3, 0, 1, 5}));
    EXPECT_EQ(buckets(fixedCol<int16_t>(Type::Short, {-1}), 7), (std::vector<int32_t>{3}));   // sign-extended to 32 bits
    EXPECT_EQ(buckets(fixedCol<int32_t>(Type::Date, {kNullInt, 19724}), 1048576), (std::vector<int32_t>{-1, 19724}));
    EXPECT_EQ(buckets(fixedCol<int64_t>(Type::Timestamp, {kNullLong}), 3), (std::vector<int32_t>{-1}));
    EXPECT_THROW(buckets(fixedCol<double>(Type::Double, {1.0}), 3), ConversionError);
}

TEST(WriterDomain, HashGroupsAsObserved) {
    Domain d(5, Type::Symbol, scalar<int32_t>(Type::Int, 10));
    // N = 3 -> {AAPL, GE}, {TSLA, GS, BA}, {MS, UAL, WMT, IBM, MSFT}
    EXPECT_EQ(groups(d, strCol(Type::Symbol, kTen), 3), (std::vector<int32_t>{0, 1, 1, 2, 0, 1, 2, 2, 2, 2}));
    Domain ints(5, Type::Int, scalar<int32_t>(Type::Int, 7));
    auto g = groups(ints, fixedCol<int32_t>(Type::Int, {-3, -1, 0, 1, 5, 7, 8, 100, 2147483647}), 4);
    // {0, 7}, {-3, 1, 5, 8, 2147483647}, {100}, {-1}
    EXPECT_EQ(g, (std::vector<int32_t>{1, 3, 0, 1, 1, 0, 1, 2, 1}));
}

TEST(WriterDomain, ValueDomainOnDatesAndCasts) {
    Domain d(1, Type::Date, vectorOf(fixedCol<int32_t>(Type::Date, {19723, 19724})));
    auto g = groups(d, fixedCol<int32_t>(Type::Date, {19723, 19724, 19725, 19726, kNullInt}), 3);
    EXPECT_EQ(g, (std::vector<int32_t>{19723 % 3, 19724 % 3, 19725 % 3, 19726 % 3, -1}));
    // A NANOTIMESTAMP column over a MONTH scheme is cast to MONTH first: 2024-01-02 -> 2024.01M.
    Domain months(1, Type::Month, vectorOf(fixedCol<int32_t>(Type::Month, {24288})));
    auto k = months.keys(fixedCol<int64_t>(Type::Nanotimestamp, {1704164645678901234LL}));
    EXPECT_EQ(k[0], 24288);
    EXPECT_THROW(months.keys(strCol(Type::String, {"x"})), ConversionError);
    EXPECT_THROW(Domain(1, Type::Long, vectorOf(fixedCol<int64_t>(Type::Long, {1}))), ConversionError);
    EXPECT_THROW(Domain(0, Type::Int, scalar<int32_t>(Type::Int, 4)), ConversionError);
}

TEST(WriterDomain, RangeIsExclusiveAtTheTop) {
    Domain d(2, Type::Int, vectorOf(fixedCol<int32_t>(Type::Int, {0, 10, 20, 30})));
    auto k = d.keys(fixedCol<int32_t>(Type::Int, {0, 5, 10, 15, 20, 29, 30, -1, kNullInt}));
    EXPECT_EQ(k, (std::vector<int32_t>{0, 0, 1, 1, 2, 2, -1, -1, -1}));
    Domain text(2, Type::Symbol, vectorOf(strCol(Type::String, {"A", "M", "Z"})));
    EXPECT_EQ(text.keys(strCol(Type::Symbol, {"AAPL", "MSFT", "ZZ", "0"})), (std::vector<int32_t>{0, 1, -1, -1}));
}

TEST(WriterDomain, ListLooksValuesUpInItsElements) {
    std::vector<Value> parts{vectorOf(strCol(Type::String, {"AAPL", "TSLA"})), stringScalar(Type::String, "GS"),
                             vectorOf(strCol(Type::String, {"MS", "GE", "BA"}))};
    Domain d(3, Type::Symbol, vectorOf(anyCol(parts)));
    EXPECT_EQ(d.keys(strCol(Type::Symbol, {"AAPL", "TSLA", "GS", "MS", "GE", "BA", "XXX"})),
              (std::vector<int32_t>{0, 0, 1, 2, 2, 2, -1}));
    Domain ints(3, Type::Int, vectorOf(fixedCol<int32_t>(Type::Int, {4, 8})));
    EXPECT_EQ(ints.keys(fixedCol<int32_t>(Type::Int, {8, 4, 5})), (std::vector<int32_t>{1, 0, -1}));
}

TEST(WriterColumns, TemporalCastsOfTheConversionTable) {
    Column ns = fixedCol<int64_t>(Type::Nanotimestamp, {1704164645678901234LL, -500000000LL, kNullLong});
    auto at = [&](Type t) {
        Column c = castTemporal(ns, t);
        std::vector<int64_t> v;
        for (int64_t i = 0; i < c.length; ++i) {
            int64_t x = 0;
            v.push_back(integerAt(c, i, &x) ? x : kNullLong);
        }
        return v;
    };
    EXPECT_EQ(at(Type::Date), (std::vector<int64_t>{19724, -1, kNullLong}));
    EXPECT_EQ(at(Type::Month), (std::vector<int64_t>{24288, 23639, kNullLong}));   // 1969-12-31 is 1969.12M
    EXPECT_EQ(at(Type::Time), (std::vector<int64_t>{11045678, 86399500, kNullLong}));
    EXPECT_EQ(at(Type::Minute), (std::vector<int64_t>{184, 1439, kNullLong}));
    EXPECT_EQ(at(Type::Second), (std::vector<int64_t>{11045, 86399, kNullLong}));
    EXPECT_EQ(at(Type::Datetime), (std::vector<int64_t>{1704164645, -1, kNullLong}));
    EXPECT_EQ(at(Type::Timestamp), (std::vector<int64_t>{1704164645678LL, -500, kNullLong}));
    EXPECT_EQ(at(Type::Nanotime), (std::vector<int64_t>{11045678901234LL, 86399500000000LL, kNullLong}));
    EXPECT_EQ(at(Type::Datehour), (std::vector<int64_t>{473379, -1, kNullLong}));
    EXPECT_THROW(castTemporal(fixedCol<int32_t>(Type::Date, {1}), Type::Time), ConversionError);
    EXPECT_THROW(castTemporal(fixedCol<int32_t>(Type::Time, {1}), Type::Date), ConversionError);
    Column month = castTemporal(fixedCol<int32_t>(Type::Month, {24288}), Type::Date);
    EXPECT_EQ(month.data->as<int32_t>()[0], 19723);   // 2024.01.01
}

TEST(WriterColumns, TakeAndBuildersKeepEveryKind) {
    Column s = strCol(Type::String, {"a", "bb", "", "dddd"});
    int64_t rows[] = {3, 0, 2};
    Column t = take(s, rows, 3);
    EXPECT_EQ(t.stringAt(0), "dddd");
    EXPECT_EQ(t.stringAt(1), "a");
    EXPECT_EQ(t.stringAt(2), "");
    Column av = arrayCol<int32_t>(Type::Int, {{1, 2}, {}, {3}});
    int64_t pick[] = {2, 0};
    Column a = take(av, pick, 2);
    EXPECT_EQ(a.offsets->as<int64_t>()[2], 3);
    EXPECT_EQ(a.values->data->as<int32_t>()[0], 3);

    ColumnBuilder text(static_cast<uint8_t>(Type::Symbol), 0);
    text.appendText("x");
    text.appendRows(s, rows, 3);
    text.appendText("half-row");
    text.truncate(4);
    Column built = text.take();
    EXPECT_EQ(built.length, 4);
    EXPECT_EQ(built.stringAt(1), "dddd");
    EXPECT_EQ(built.stringAt(3), "");
    ColumnBuilder ints(static_cast<uint8_t>(Type::Int), 0);
    for (int32_t i = 0; i < 100000; ++i) std::memcpy(ints.appendFixed(), &i, 4);
    Column many = ints.take();
    EXPECT_EQ(many.length, 100000);
    EXPECT_EQ(many.data->as<int32_t>()[99999], 99999);
    EXPECT_EQ(ints.length(), 0);
    ColumnBuilder arrays(static_cast<uint8_t>(64 + static_cast<int>(Type::Int)), 0);
    arrays.appendRows(av, pick, 2);
    arrays.appendRows(av, nullptr, 3);
    Column joined = arrays.take();
    EXPECT_EQ(joined.length, 5);
    EXPECT_EQ(joined.offsets->as<int64_t>()[5], 6);
}
