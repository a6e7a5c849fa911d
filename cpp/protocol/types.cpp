#include "protocol/types.h"

namespace ddb {

namespace {
const char* baseTypeName(uint8_t t) { return typeInfo(static_cast<Type>(t)).name; }
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
