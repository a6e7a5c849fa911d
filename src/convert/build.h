// Column builders for uploads (no Python): fixed-width buffers and text columns, filled once.
#pragma once

#include <cstring>
#include <string>
#include <string_view>

#include "protocol/io.h"
#include "protocol/value.h"

namespace ddbpy::build {

inline ddb::Column fixed(ddb::Type t, int64_t n, int scale = 0) {
    ddb::Column c;
    c.rawType = static_cast<uint8_t>(t);
    c.length = n;
    c.scale = scale;
    int w = ddb::fixedWidth(t);
    c.data = ddb::Buffer::allocate(static_cast<size_t>(n) * (w > 0 ? w : 1));
    return c;
}

// STRING / SYMBOL / BLOB column: append every element in order, then take().
class Text {
public:
    Text(ddb::Type t, int64_t n) : type_(t), n_(n), offsets_(ddb::Buffer::allocate(static_cast<size_t>(n + 1) * 8)) {
        offsets_->as<int64_t>()[0] = 0;
    }
    void add(std::string_view s) {
        bytes_.write(s.data(), s.size());
        offsets_->as<int64_t>()[++i_] = static_cast<int64_t>(bytes_.size());
    }
    // Room for `more` bytes of the elements still to come (when the source knows their total).
    void reserve(size_t more) { bytes_.reserve(more); }
    ddb::Column take() {
        while (i_ < n_) add({});
        ddb::Column c;
        c.rawType = static_cast<uint8_t>(type_);
        c.length = n_;
        c.offsets = offsets_;
        c.data = bytes_.takeWritten();
        return c;
    }

private:
    ddb::Type type_;
    int64_t n_;
    int64_t i_ = 0;
    std::shared_ptr<ddb::Buffer> offsets_;
    ddb::Sink bytes_;   // grows in place; take() hands its buffer over without a copy
};

inline ddb::Value scalar(ddb::Column c) {
    ddb::Value v;
    v.form = ddb::Form::Scalar;
    v.column = std::move(c);
    return v;
}
inline ddb::Value vector(ddb::Column c, ddb::Form form = ddb::Form::Vector) {
    ddb::Value v;
    v.form = form;
    v.column = std::move(c);
    return v;
}

}   // namespace ddbpy::build
