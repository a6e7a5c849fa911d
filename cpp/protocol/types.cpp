#include "protocol/types.h"

namespace ddb {

namespace {
const char* baseTypeName(uint8_t t) {
    switch (static_cast<Type>(t)) {
        case Type::Void: return "VOID";
        case Type::Bool: return "BOOL";
        case Type::Char: return "CHAR";
        case Type::Short: return "SHORT";
        case Type::Int: return "INT";
        case Type::Long: return "LONG";
        case Type::Date: return "DATE";
        case Type::Month: return "MONTH";
        case Type::Time: return "TIME";
        case Type::Minute: return "MINUTE";
        case Type::Second: return "SECOND";
        case Type::Datetime: return "DATETIME";
        case Type::Timestamp: return "TIMESTAMP";
        case Type::Nanotime: return "NANOTIME";
        case Type::Nanotimestamp: return "NANOTIMESTAMP";
        case Type::Float: return "FLOAT";
        case Type::Double: return "DOUBLE";
        case Type::Symbol: return "SYMBOL";
        case Type::String: return "STRING";
        case Type::Uuid: return "UUID";
        case Type::FunctionDef: return "FUNCTIONDEF";
        case Type::Handle: return "HANDLE";
        case Type::Code: return "CODE";
        case Type::DataSource: return "DATASOURCE";
        case Type::Resource: return "RESOURCE";
        case Type::Any: return "ANY";
        case Type::Compress: return "COMPRESS";
        case Type::DictionaryType: return "DICTIONARY";
        case Type::Datehour: return "DATEHOUR";
        case Type::Dateminute: return "DATEMINUTE";
        case Type::IpAddr: return "IPADDR";
        case Type::Int128: return "INT128";
        case Type::Blob: return "BLOB";
        case Type::DecimalLegacy: return "DECIMAL";
        case Type::Complex: return "COMPLEX";
        case Type::Point: return "POINT";
        case Type::Duration: return "DURATION";
        case Type::Decimal32: return "DECIMAL32";
        case Type::Decimal64: return "DECIMAL64";
        case Type::Decimal128: return "DECIMAL128";
        case Type::Object: return "OBJECT";
        case Type::IotAny: return "IOTANY";
    }
    return nullptr;
}
}   // namespace

std::string typeName(uint8_t rawType) {
    if (rawType == kSymbolWithBase) return "SYMBOL";
    if (isArrayType(rawType)) {
        const char* base = baseTypeName(rawType - kArrayTypeBase);
        if (base) return std::string(base) + "[]";
    } else if (const char* base = baseTypeName(rawType)) {
        return base;
    }
    return "UNKNOWN(" + std::to_string(rawType) + ")";
}

std::string formName(Form f) {
    switch (f) {
        case Form::Scalar: return "SCALAR";
        case Form::Vector: return "VECTOR";
        case Form::Pair: return "PAIR";
        case Form::Matrix: return "MATRIX";
        case Form::Set: return "SET";
        case Form::Dictionary: return "DICTIONARY";
        case Form::Table: return "TABLE";
        case Form::Chart: return "CHART";
        case Form::Chunk: return "CHUNK";
        case Form::SysObj: return "SYSOBJ";
        case Form::Tensor: return "TENSOR";
        case Form::ExtObj: return "EXTOBJ";
    }
    return "UNKNOWN(" + std::to_string(static_cast<int>(f)) + ")";
}

}   // namespace ddb
