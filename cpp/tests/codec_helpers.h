// Builders and byte helpers shared by the codec tests (header only, not a test itself).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/codec.h"
#include "protocol/io.h"
#include "protocol/value.h"

namespace ddbtest {

using namespace ddb;

// "04 01 | 0a" -> bytes; ignores spaces, '|' and newlines.
inline std::string unhex(std::string_view text) {
    std::string out;
    int hi = -1;
    for (char ch : text) {
        int v;
        if (ch >= '0' && ch <= '9') v = ch - '0';
        else if (ch >= 'a' && ch <= 'f') v = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F') v = ch - 'A' + 10;
        else continue;
        if (hi < 0) {
            hi = v;
        } else {
            out.push_back(static_cast<char>(hi * 16 + v));
            hi = -1;
        }
    }
    EXPECT_EQ(hi, -1) << "odd number of hex digits";
    return out;
}

inline std::string hex(std::string_view bytes) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (unsigned char c : bytes) {
        if (!s.empty()) s.push_back(' ');
        s.push_back(d[c >> 4]);
        s.push_back(d[c & 15]);
    }
    return s;
}

inline std::string readFile(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

template <class T>
Column fixedCol(Type t, const std::vector<T>& values, int32_t scale = 0) {
    Column c;
    c.rawType = static_cast<uint8_t>(t);
    c.scale = scale;
    c.length = static_cast<int64_t>(values.size());
    EXPECT_EQ(sizeof(T), static_cast<size_t>(fixedWidth(t))) << typeName(c.rawType);
    c.data = Buffer::allocate(values.size() * sizeof(T));
    if (!values.empty()) std::memcpy(c.data->data(), values.data(), values.size() * sizeof(T));
    return c;
}

// 16-byte values given as 16 raw (wire order) bytes each.
inline Column wideCol(Type t, const std::vector<std::string>& raw16, int32_t scale = 0) {
    Column c;
    c.rawType = static_cast<uint8_t>(t);
    c.scale = scale;
    c.length = static_cast<int64_t>(raw16.size());
    c.data = Buffer::allocate(raw16.size() * 16);
    for (size_t i = 0; i < raw16.size(); ++i) {
        EXPECT_EQ(raw16[i].size(), 16u);
        std::memcpy(c.data->data() + i * 16, raw16[i].data(), 16);
    }
    return c;
}

inline Column strCol(Type t, const std::vector<std::string>& values) {
    Column c;
    c.rawType = static_cast<uint8_t>(t);
    c.length = static_cast<int64_t>(values.size());
    c.offsets = Buffer::allocate((values.size() + 1) * 8);
    int64_t* o = c.offsets->as<int64_t>();
    size_t total = 0;
    for (auto& s : values) total += s.size();
    c.data = Buffer::allocate(total);
    o[0] = 0;
    size_t at = 0;
    for (size_t i = 0; i < values.size(); ++i) {
        if (!values[i].empty()) std::memcpy(c.data->data() + at, values[i].data(), values[i].size());
        at += values[i].size();
        o[i + 1] = static_cast<int64_t>(at);
    }
    return c;
}

inline std::shared_ptr<SymbolBase> makeBase(const std::vector<std::string>& strings, int32_t id = 0) {
    auto b = std::make_shared<SymbolBase>();
    b->id = id;
    b->strings = strCol(Type::String, strings);
    return b;
}

inline Column symCol(std::shared_ptr<SymbolBase> base, const std::vector<int32_t>& indices) {
    Column c = fixedCol<int32_t>(Type::Int, indices);
    c.rawType = static_cast<uint8_t>(Type::Symbol);
    c.symbols = std::move(base);
    return c;
}

template <class T>
Column arrayCol(Type elem, const std::vector<std::vector<T>>& rows, int32_t scale = 0) {
    std::vector<T> flat;
    Column c;
    c.rawType = static_cast<uint8_t>(kArrayTypeBase + static_cast<uint8_t>(elem));
    c.scale = scale;
    c.length = static_cast<int64_t>(rows.size());
    c.offsets = Buffer::allocate((rows.size() + 1) * 8);
    int64_t* o = c.offsets->as<int64_t>();
    o[0] = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
        flat.insert(flat.end(), rows[i].begin(), rows[i].end());
        o[i + 1] = static_cast<int64_t>(flat.size());
    }
    c.values = std::make_shared<Column>(fixedCol<T>(elem, flat, scale));
    return c;
}

inline Column anyCol(std::vector<Value> items) {
    Column c;
    c.rawType = static_cast<uint8_t>(Type::Any);
    c.length = static_cast<int64_t>(items.size());
    c.items = std::move(items);
    return c;
}

inline Value scalarOf(Column c) {
    Value v;
    v.form = Form::Scalar;
    v.column = std::move(c);
    return v;
}
inline Value vectorOf(Column c, Form form = Form::Vector) {
    Value v;
    v.form = form;
    v.column = std::move(c);
    return v;
}
template <class T>
Value scalar(Type t, T value, int32_t scale = 0) {
    return scalarOf(fixedCol<T>(t, {value}, scale));
}
inline Value stringScalar(Type t, const std::string& s) { return scalarOf(strCol(t, {s})); }

inline Value tableOf(std::vector<std::string> names, std::vector<Column> cols, std::string name = "") {
    Value v;
    v.form = Form::Table;
    v.tableName = std::move(name);
    v.columnNames = std::move(names);
    v.columns = std::move(cols);
    v.rows = v.columns.empty() ? 0 : static_cast<int32_t>(v.columns[0].length);
    v.cols = static_cast<int32_t>(v.columns.size());
    return v;
}

template <class T>
T at(const Column& c, int64_t i) {
    T v;
    std::memcpy(&v, c.data->data() + i * sizeof(T), sizeof(T));
    return v;
}

template <class T>
std::vector<T> values(const Column& c) {
    std::vector<T> out(static_cast<size_t>(c.length));
    if (c.length) std::memcpy(out.data(), c.data->data(), out.size() * sizeof(T));
    return out;
}

inline std::vector<std::string> strings(const Column& c) {
    std::vector<std::string> out;
    for (int64_t i = 0; i < c.length; ++i) out.emplace_back(c.stringAt(i));
    return out;
}

// Array vector row i as a vector.
template <class T>
std::vector<T> row(const Column& c, int64_t i) {
    const int64_t* o = c.offsets->as<int64_t>();
    std::vector<T> out;
    for (int64_t k = o[i]; k < o[i + 1]; ++k) out.push_back(at<T>(*c.values, k));
    return out;
}

inline Value decodeHex(std::string_view h) { return deserialize(unhex(h)); }

// A socket-like Source over bytes: remaining() is unknown (-1), as from a connection; running
// out is a ProtocolError ("stream ended"). Records the largest single read.
class StreamSource final : public Source {
public:
    explicit StreamSource(std::string bytes) : bytes_(std::move(bytes)) {}
    void read(void* dst, size_t n) override {
        if (bytes_.size() - pos_ < n) throw ProtocolError("stream ended");
        if (n) std::memcpy(dst, bytes_.data() + pos_, n);
        pos_ += n;
        maxRead_ = std::max(maxRead_, n);
    }
    size_t maxRead() const { return maxRead_; }
    size_t position() const { return pos_; }

private:
    std::string bytes_;
    size_t pos_ = 0;
    size_t maxRead_ = 0;
};

}   // namespace ddbtest
