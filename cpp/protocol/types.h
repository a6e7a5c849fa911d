// The DolphinDB type system as it appears on the wire (PROTOCOL.md §5.1–§5.3).
#pragma once

#include <cstdint>
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

inline bool isDecimal(Type t) { return t == Type::Decimal32 || t == Type::Decimal64 || t == Type::Decimal128; }
inline bool isStringLike(Type t) {
    return t == Type::String || t == Type::Symbol || t == Type::Blob || t == Type::FunctionDef || t == Type::Handle ||
        t == Type::Code || t == Type::DataSource || t == Type::Resource;
}

// Bytes per element for fixed-width types; 0 for variable-width or non-value types.
inline int fixedWidth(Type t) {
    switch (t) {
        case Type::Bool:
        case Type::Char: return 1;
        case Type::Short: return 2;
        case Type::Int:
        case Type::Date:
        case Type::Month:
        case Type::Time:
        case Type::Minute:
        case Type::Second:
        case Type::Datetime:
        case Type::Datehour:
        case Type::Dateminute:
        case Type::Float:
        case Type::Decimal32: return 4;
        case Type::Long:
        case Type::Timestamp:
        case Type::Nanotime:
        case Type::Nanotimestamp:
        case Type::Double:
        case Type::Decimal64:
        case Type::Duration: return 8;
        case Type::Uuid:
        case Type::IpAddr:
        case Type::Int128:
        case Type::Decimal128:
        case Type::Complex:
        case Type::Point: return 16;
        default: return 0;
    }
}

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
