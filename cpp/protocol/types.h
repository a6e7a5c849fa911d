// The DolphinDB type system as it appears on the wire (PROTOCOL.md §5.1–§5.3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>

namespace ddb {

enum class Form : uint8_t {
    Scalar = 0,
    Vector = 1,
    Pair = 2,
    Matrix = 3,
    Set = 4,
    Dictionary = 5,
    Table = 6,
    Chart = 7,
    Chunk = 8,
    SysObj = 9,
    Tensor = 10,
    ExtObj = 11,
};

enum class Type : uint8_t {
    Void = 0,
    Bool = 1,
    Char = 2,
    Short = 3,
    Int = 4,
    Long = 5,
    Date = 6,
    Month = 7,
    Time = 8,
    Minute = 9,
    Second = 10,
    Datetime = 11,
    Timestamp = 12,
    Nanotime = 13,
    Nanotimestamp = 14,
    Float = 15,
    Double = 16,
    Symbol = 17,
    String = 18,
    Uuid = 19,
    FunctionDef = 20,
    Handle = 21,
    Code = 22,
    DataSource = 23,
    Resource = 24,
    Any = 25,
    Compress = 26,
    DictionaryType = 27,
    Datehour = 28,
    Dateminute = 29,
    IpAddr = 30,
    Int128 = 31,
    Blob = 32,
    DecimalLegacy = 33,
    Complex = 34,
    Point = 35,
    Duration = 36,
    Decimal32 = 37,
    Decimal64 = 38,
    Decimal128 = 39,
    Object = 40,
    IotAny = 41,
};

constexpr uint8_t kArrayTypeBase = 64;   // T[] = 64 + T
constexpr uint8_t kSymbolWithBase = 128 + 17;   // SYMBOL vector carrying a symbol base (§5.6)
constexpr uint8_t kPayloadFormBit = 0x20;   // form + 32: pickle / Arrow payload (§7)

inline bool isArrayType(uint8_t rawType) { return rawType >= kArrayTypeBase && rawType < 128; }
inline Type elementTypeOf(uint8_t rawArrayType) { return static_cast<Type>(rawArrayType - kArrayTypeBase); }

// What kind of value a type holds; DolphinDB's own grouping (what the writers' `expect type T,
// got type U` compares), plus System for the NUL-terminated non-value types.
enum class TypeCategory : uint8_t { Nothing, Logical, Integral, Floating, Temporal, Literal, Binary, Denary, System, Other };

// How a vector's elements travel and sit in a Column.
enum class Elements : uint8_t {
    None,   // no vector form (FUNCTIONDEF scalars are text after a kind byte; see the codec)
    Void,   // no element bytes
    Fixed,   // `width` bytes each, in Column::data
    Text,   // NUL-terminated on the wire; offsets + bytes in a Column
    Blob,   // int32 length + bytes on the wire; offsets + bytes in a Column
    Any,   // one complete object each, in Column::items
};

// How a NULL element is written (§5.3).
enum class NullValue : uint8_t {
    None,   // the type has no NULL
    Always,   // VOID: every value is NULL
    MinValue,   // the smallest signed integer of the width (BOOL/CHAR..LONG, temporals, DECIMALs)
    NegativeMax,   // -FLT_MAX / -DBL_MAX
    AllZero,   // UUID / IPADDR / INT128: sixteen zero bytes
    Empty,   // the empty string
    PerPart,   // DURATION / COMPLEX / POINT: each part by its own rule
};

// How a temporal type counts. Dated: `nsPerUnit` ns since 1970-01-01; TimeOfDay: ns since
// midnight; Month: year * 12 + month - 1.
enum class TemporalKind : uint8_t { None, Dated, Month, TimeOfDay };

// The facts about one type. One row per type id in kTypeTable below; everything that used to be
// a switch over types (widths, names, categories, numpy dtypes, temporal units, which types
// delta-of-delta and hashBucket accept) reads its row, once per column.
struct TypeInfo {
    Type type = Type::Void;
    const char* name = nullptr;   // typestr; nullptr for ids DolphinDB does not define
    TypeCategory category = TypeCategory::Other;
    Elements elements = Elements::None;
    uint8_t width = 0;   // bytes per element for Fixed, else 0
    uint8_t swapUnit = 0;   // bytes per byte-swapped part for a big-endian peer (§4.2)
    NullValue null = NullValue::None;
    uint8_t maxScale = 0;   // DECIMALs: the largest scale
    TemporalKind temporal = TemporalKind::None;
    int64_t nsPerUnit = 0;   // temporals (0 for MONTH)
    const char* numpyUnit = nullptr;   // temporals: the datetime64 unit of a downloaded value
    const char* numpyDtype = nullptr;   // the numpy dtype a downloaded vector keeps, if it has one
    bool deltaOfDelta = false;   // delta-of-delta compression is defined for it (§6.1, §6.4)
    bool hashable = false;   // hashBucket accepts it ("Key must be integer, date/time, or string.")

    // Row builders (kTypeTable reads as one line per type).
    constexpr TypeInfo fixed(int bytes, TypeCategory c, NullValue n) const {
        TypeInfo r = *this;
        r.elements = Elements::Fixed;
        r.width = r.swapUnit = static_cast<uint8_t>(bytes);
        r.category = c;
        r.null = n;
        return r;
    }
    constexpr TypeInfo variable(Elements e, TypeCategory c, NullValue n) const {
        TypeInfo r = *this;
        r.elements = e;
        r.category = c;
        r.null = n;
        return r;
    }
    constexpr TypeInfo numpy(const char* dtype) const {
        TypeInfo r = *this;
        r.numpyDtype = dtype;
        return r;
    }
    // A temporal type: `bytes` wide, NULL the smallest integer of that width, hashed as that
    // integer (hashBucket takes every date/time type, DATEHOUR and DATEMINUTE included).
    constexpr TypeInfo time(int bytes, TemporalKind kind, int64_t ns, const char* unit, const char* dtype) const {
        TypeInfo r = fixed(bytes, TypeCategory::Temporal, NullValue::MinValue).hashed();
        r.temporal = kind;
        r.nsPerUnit = ns;
        r.numpyUnit = unit;
        r.numpyDtype = dtype;
        return r;
    }
    constexpr TypeInfo swappedIn(int bytes) const {
        TypeInfo r = *this;
        r.swapUnit = static_cast<uint8_t>(bytes);
        return r;
    }
    constexpr TypeInfo scale(int max) const {
        TypeInfo r = *this;
        r.maxScale = static_cast<uint8_t>(max);
        return r;
    }
    constexpr TypeInfo delta() const {
        TypeInfo r = *this;
        r.deltaOfDelta = true;
        return r;
    }
    constexpr TypeInfo hashed() const {
        TypeInfo r = *this;
        r.hashable = true;
        return r;
    }
};

namespace type_table {
using C = TypeCategory;
using E = Elements;
using N = NullValue;
using K = TemporalKind;
constexpr TypeInfo row(Type t, const char* name) {
    TypeInfo r;
    r.type = t;
    r.name = name;
    return r;
}
constexpr int64_t kMilli = 1000000LL, kSecond = 1000 * kMilli;
constexpr int64_t kMinute = 60 * kSecond, kHour = 60 * kMinute, kDay = 24 * kHour;
// clang-format off
constexpr TypeInfo kRows[] = {
    row(Type::Void, "VOID").variable(E::Void, C::Nothing, N::Always),
    row(Type::Bool, "BOOL").fixed(1, C::Logical, N::MinValue).numpy("bool"),
    row(Type::Char, "CHAR").fixed(1, C::Integral, N::MinValue).numpy("int8").hashed(),
    row(Type::Short, "SHORT").fixed(2, C::Integral, N::MinValue).numpy("int16").delta().hashed(),
    row(Type::Int, "INT").fixed(4, C::Integral, N::MinValue).numpy("int32").delta().hashed(),
    row(Type::Long, "LONG").fixed(8, C::Integral, N::MinValue).numpy("int64").delta().hashed(),
    row(Type::Date, "DATE").time(4, K::Dated, kDay, "D", "datetime64[D]").delta(),
    row(Type::Month, "MONTH").time(4, K::Month, 0, "M", "datetime64[M]").delta(),
    row(Type::Time, "TIME").time(4, K::TimeOfDay, kMilli, "ms", "datetime64[ms]").delta(),
    row(Type::Minute, "MINUTE").time(4, K::TimeOfDay, kMinute, "m", "datetime64[m]").delta(),
    row(Type::Second, "SECOND").time(4, K::TimeOfDay, kSecond, "s", "datetime64[s]").delta(),
    row(Type::Datetime, "DATETIME").time(4, K::Dated, kSecond, "s", "datetime64[s]").delta(),
    row(Type::Timestamp, "TIMESTAMP").time(8, K::Dated, kMilli, "ms", "datetime64[ms]").delta(),
    row(Type::Nanotime, "NANOTIME").time(8, K::TimeOfDay, 1, "ns", "datetime64[ns]").delta(),
    row(Type::Nanotimestamp, "NANOTIMESTAMP").time(8, K::Dated, 1, "ns", "datetime64[ns]").delta(),
    row(Type::Float, "FLOAT").fixed(4, C::Floating, N::NegativeMax).numpy("float32"),
    row(Type::Double, "DOUBLE").fixed(8, C::Floating, N::NegativeMax).numpy("float64"),
    row(Type::Symbol, "SYMBOL").variable(E::Text, C::Literal, N::Empty).hashed(),
    row(Type::String, "STRING").variable(E::Text, C::Literal, N::Empty).hashed(),
    row(Type::Uuid, "UUID").fixed(16, C::Binary, N::AllZero).hashed(),
    row(Type::FunctionDef, "FUNCTIONDEF").variable(E::None, C::System, N::None),
    row(Type::Handle, "HANDLE").variable(E::Text, C::System, N::None),
    row(Type::Code, "CODE").variable(E::Text, C::System, N::None),
    row(Type::DataSource, "DATASOURCE").variable(E::Text, C::System, N::None),
    row(Type::Resource, "RESOURCE").variable(E::Text, C::System, N::None),
    row(Type::Any, "ANY").variable(E::Any, C::Other, N::None),
    row(Type::Compress, "COMPRESS"),
    row(Type::DictionaryType, "DICTIONARY"),
    row(Type::Datehour, "DATEHOUR").time(4, K::Dated, kHour, "h", "datetime64[h]").delta(),
    row(Type::Dateminute, "DATEMINUTE").time(4, K::Dated, kMinute, "m", "datetime64[m]").delta(),
    row(Type::IpAddr, "IPADDR").fixed(16, C::Binary, N::AllZero).hashed(),
    row(Type::Int128, "INT128").fixed(16, C::Binary, N::AllZero).hashed(),
    row(Type::Blob, "BLOB").variable(E::Blob, C::Literal, N::Empty).hashed(),
    row(Type::DecimalLegacy, "DECIMAL"),
    row(Type::Complex, "COMPLEX").fixed(16, C::Other, N::PerPart).swappedIn(8),
    row(Type::Point, "POINT").fixed(16, C::Other, N::PerPart).swappedIn(8),
    row(Type::Duration, "DURATION").fixed(8, C::Other, N::PerPart).swappedIn(4),
    row(Type::Decimal32, "DECIMAL32").fixed(4, C::Denary, N::MinValue).scale(9).delta(),
    row(Type::Decimal64, "DECIMAL64").fixed(8, C::Denary, N::MinValue).scale(18).delta(),
    row(Type::Decimal128, "DECIMAL128").fixed(16, C::Denary, N::MinValue).scale(38),
    row(Type::Object, "OBJECT"),
    row(Type::IotAny, "IOTANY"),
};
// clang-format on
constexpr TypeInfo kUnknown{};

constexpr bool rowsInIdOrder() {
    for (size_t i = 0; i < std::size(kRows); ++i)
        if (static_cast<size_t>(kRows[i].type) != i) return false;
    return true;
}
static_assert(rowsInIdOrder(), "kRows must list the types in type id order");
// What the readers of the table rely on: Fixed rows (and only they) have a width that splits into
// swap units; delta-of-delta needs 2, 4 or 8 bytes; temporals (and only they) have a unit and are
// 4 or 8 bytes wide.
constexpr bool rowsConsistent() {
    for (const TypeInfo& r : kRows) {
        if ((r.elements == Elements::Fixed) != (r.width > 0) || (r.width > 0 && r.width % r.swapUnit != 0)) return false;
        if (r.deltaOfDelta && r.width != 2 && r.width != 4 && r.width != 8) return false;
        const bool temporal = r.category == TypeCategory::Temporal;
        if (temporal != (r.temporal != TemporalKind::None) || (temporal && r.width != 4 && r.width != 8)) return false;
        if (temporal && !r.numpyUnit) return false;
    }
    return true;
}
static_assert(rowsConsistent(), "a kRows row breaks a rule its readers rely on");
static_assert(std::size(kRows) == static_cast<size_t>(Type::IotAny) + 1, "one row per type id");
}   // namespace type_table

// The row of a type id; an all-default row (no name, no elements) for ids DolphinDB does not define.
constexpr const TypeInfo& typeInfo(Type t) {
    const auto id = static_cast<size_t>(t);
    return id < std::size(type_table::kRows) ? type_table::kRows[id] : type_table::kUnknown;
}

constexpr bool isDecimal(Type t) { return typeInfo(t).category == TypeCategory::Denary; }
// STRING, SYMBOL, BLOB and the NUL-terminated system types (FUNCTIONDEF, HANDLE, CODE, ...).
constexpr bool isStringLike(Type t) {
    const TypeCategory c = typeInfo(t).category;
    return c == TypeCategory::Literal || c == TypeCategory::System;
}
constexpr bool isTemporal(Type t) { return typeInfo(t).category == TypeCategory::Temporal; }

// Bytes per element for fixed-width types; 0 for variable-width or non-value types.
constexpr int fixedWidth(Type t) { return typeInfo(t).width; }

// Null sentinels (§5.3). FLOAT/DOUBLE nulls are -FLT_MAX / -DBL_MAX on the wire.
constexpr int8_t kNullChar = INT8_MIN;
constexpr int16_t kNullShort = INT16_MIN;
constexpr int32_t kNullInt = INT32_MIN;
constexpr int64_t kNullLong = INT64_MIN;
constexpr float kNullFloat = -3.4028234663852886e38f;
constexpr double kNullDouble = -1.7976931348623157e308;

// "INT", "DECIMAL32", "INT[]", "SYMBOL" ... as DolphinDB's typestr prints them.
std::string typeName(uint8_t rawType);
std::string formName(Form f);

}   // namespace ddb
