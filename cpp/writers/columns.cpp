#include "writers/columns.h"

#include <algorithm>
#include <cstring>

#include "errors.h"
#include "protocol/temporal.h"

namespace ddb::writers {

Category categoryOf(Type t) {
    const Category c = typeInfo(t).category;
    return c == Category::System ? Category::Other : c;   // the writers have no use for system types
}

namespace {

const TypeInfo& temporalInfo(Type t) {
    const TypeInfo& info = typeInfo(t);
    if (info.temporal == TemporalKind::None)
        throw ConversionError("castTemporal: " + typeName(static_cast<uint8_t>(t)) + " is not a temporal type");
    return info;
}

int64_t readAt(const Column& c, int64_t i, int width) { return width == 8 ? c.data->as<int64_t>()[i] : c.data->as<int32_t>()[i]; }

}   // namespace

bool integerAt(const Column& c, int64_t i, int64_t* out) {
    switch (fixedWidth(c.type())) {
        case 1: {
            int8_t v = c.data->as<int8_t>()[i];
            *out = v;
            return v != kNullChar;
        }
        case 2: {
            int16_t v = c.data->as<int16_t>()[i];
            *out = v;
            return v != kNullShort;
        }
        case 4: {
            int32_t v = c.data->as<int32_t>()[i];
            *out = v;
            return v != kNullInt;
        }
        case 8: {
            int64_t v = c.data->as<int64_t>()[i];
            *out = v;
            return v != kNullLong;
        }
        default: throw ConversionError("not an integral column: " + typeName(c.rawType));
    }
}

Column castTemporal(const Column& c, Type target) {
    Type source = c.type();
    if (source == target) return c;
    const TypeInfo &from = temporalInfo(source), &to = temporalInfo(target);
    bool dateless = from.temporal == TemporalKind::TimeOfDay;
    bool impossible = dateless ? to.temporal != TemporalKind::TimeOfDay
                               : to.temporal == TemporalKind::TimeOfDay && (source == Type::Date || source == Type::Month);
    if (impossible)
        throw ConversionError("castTemporal from " + typeName(c.rawType) + " to " + typeName(static_cast<uint8_t>(target)) +
                              " not supported ");
    int inWidth = fixedWidth(source), outWidth = fixedWidth(target);
    Column out;
    out.rawType = static_cast<uint8_t>(target);
    out.length = c.length;
    out.data = Buffer::allocate(static_cast<size_t>(std::max<int64_t>(c.length, 1)) * outWidth);
    for (int64_t i = 0; i < c.length; ++i) {
        int64_t v = readAt(c, i, inWidth);
        bool null = inWidth == 8 ? v == kNullLong : v == kNullInt;
        int64_t r;
        if (null) {
            r = outWidth == 8 ? kNullLong : kNullInt;
        } else {
            __int128 ns = from.temporal == TemporalKind::Month
                ? static_cast<__int128>(daysFromCivil(v / 12, v % 12 + 1, 1)) * kNsPerDay
                : static_cast<__int128>(v) * from.nsPerUnit;
            r = temporalFromNanos(ns, target);
        }
        if (outWidth == 8) out.data->as<int64_t>()[i] = r;
        else out.data->as<int32_t>()[i] = static_cast<int32_t>(r);
    }
    return out;
}

Column take(const Column& c, const int64_t* rows, int64_t n) {
    Column out;
    out.rawType = c.rawType;
    out.scale = c.scale;
    out.length = n;
    if (c.isArrayVector()) {
        const int64_t* off = c.offsets->as<int64_t>();
        std::vector<int64_t> elements;
        out.offsets = Buffer::allocate(static_cast<size_t>(n + 1) * 8);
        int64_t* o = out.offsets->as<int64_t>();
        o[0] = 0;
        for (int64_t k = 0; k < n; ++k) {
            for (int64_t e = off[rows[k]]; e < off[rows[k] + 1]; ++e) elements.push_back(e);
            o[k + 1] = static_cast<int64_t>(elements.size());
        }
        out.values = std::make_shared<Column>(take(*c.values, elements.data(), static_cast<int64_t>(elements.size())));
        return out;
    }
    if (c.symbols) {
        out.symbols = c.symbols;
        out.data = Buffer::allocate(static_cast<size_t>(std::max<int64_t>(n, 1)) * 4);
        const int32_t* in = c.data->as<int32_t>();
        int32_t* o = out.data->as<int32_t>();
        for (int64_t k = 0; k < n; ++k) o[k] = in[rows[k]];
        return out;
    }
    int w = fixedWidth(c.type());
    if (w > 0) {
        out.data = Buffer::allocate(static_cast<size_t>(std::max<int64_t>(n, 1)) * w);
        const uint8_t* in = c.data->data();
        uint8_t* o = out.data->data();
        for (int64_t k = 0; k < n; ++k) std::memcpy(o + k * w, in + rows[k] * w, w);
        return out;
    }
    if (c.offsets) {
        const int64_t* off = c.offsets->as<int64_t>();
        size_t bytes = 0;
        for (int64_t k = 0; k < n; ++k) bytes += off[rows[k] + 1] - off[rows[k]];
        out.offsets = Buffer::allocate(static_cast<size_t>(n + 1) * 8);
        out.data = Buffer::allocate(std::max<size_t>(bytes, 1));
        int64_t* o = out.offsets->as<int64_t>();
        uint8_t* d = out.data->data();
        o[0] = 0;
        for (int64_t k = 0; k < n; ++k) {
            int64_t len = off[rows[k] + 1] - off[rows[k]];
            std::memcpy(d + o[k], c.data->data() + off[rows[k]], len);
            o[k + 1] = o[k] + len;
        }
        return out;
    }
    if (c.type() == Type::Void) return out;
    throw ConversionError("cannot select rows of a " + typeName(c.rawType) + " column");
}

ColumnBuilder::ColumnBuilder(uint8_t rawType, int scale)
    : rawType_(rawType),
      scale_(scale),
      text_(!isArrayType(rawType) && fixedWidth(static_cast<Type>(rawType)) == 0),
      width_(isArrayType(rawType) ? 0 : fixedWidth(static_cast<Type>(rawType))) {}

void ColumnBuilder::reserveBytes(std::shared_ptr<Buffer>& buffer, size_t& capacity, size_t needed) {
    if (needed <= capacity && buffer) return;
    size_t grown = std::max<size_t>({needed, capacity * 2, 1024});
    if (!buffer) buffer = Buffer::allocate(grown);
    else buffer->resize(grown);
    capacity = grown;
}

uint8_t* ColumnBuilder::appendFixed() {
    reserveBytes(data_, dataCapacity_, dataBytes_ + width_);
    uint8_t* p = data_->data() + dataBytes_;
    dataBytes_ += width_;
    ++length_;
    return p;
}

void ColumnBuilder::appendText(std::string_view s) {
    if (!offsets_) {
        reserveBytes(offsets_, offsetsCapacity_, 8 * 64);
        offsets_->as<int64_t>()[0] = 0;
    }
    reserveBytes(offsets_, offsetsCapacity_, static_cast<size_t>(length_ + 2) * 8);
    reserveBytes(data_, dataCapacity_, dataBytes_ + s.size());
    if (!s.empty()) std::memcpy(data_->data() + dataBytes_, s.data(), s.size());
    dataBytes_ += s.size();
    offsets_->as<int64_t>()[++length_] = static_cast<int64_t>(dataBytes_);
}

void ColumnBuilder::appendRows(const Column& c, const int64_t* rows, int64_t n) {
    if (isArrayType(rawType_)) {
        if (rows) {
            arrayRows_.push_back(writers::take(c, rows, n));
        } else {
            arrayRows_.push_back(c);
        }
        length_ += n;
        return;
    }
    if (text_) {
        for (int64_t k = 0; k < n; ++k) appendText(c.stringAt(rows ? rows[k] : k));
        return;
    }
    reserveBytes(data_, dataCapacity_, dataBytes_ + static_cast<size_t>(n) * width_);
    uint8_t* o = data_->data() + dataBytes_;
    const uint8_t* in = c.data->data();
    if (!rows) std::memcpy(o, in, static_cast<size_t>(n) * width_);
    else
        for (int64_t k = 0; k < n; ++k) std::memcpy(o + k * width_, in + rows[k] * width_, width_);
    dataBytes_ += static_cast<size_t>(n) * width_;
    length_ += n;
}

void ColumnBuilder::truncate(int64_t length) {
    if (length >= length_) return;
    if (isArrayType(rawType_)) {
        // Array rows arrive only as whole pieces (one per appendRows), so a failed row is the last piece.
        while (length_ > length && !arrayRows_.empty()) {
            length_ -= arrayRows_.back().length;
            arrayRows_.pop_back();
        }
        return;
    }
    length_ = length;
    dataBytes_ =
        text_ ? static_cast<size_t>(length == 0 ? 0 : offsets_->as<int64_t>()[length]) : static_cast<size_t>(length) * width_;
}

Column ColumnBuilder::view() const {
    if (isArrayType(rawType_)) throw ConversionError("an array vector column cannot be viewed");
    Column out;
    out.rawType = rawType_;
    out.scale = scale_;
    out.length = length_;
    out.data = data_;
    out.offsets = offsets_;
    return out;
}

Column ColumnBuilder::take() {
    Column out;
    out.rawType = rawType_;
    out.scale = scale_;
    out.length = length_;
    if (isArrayType(rawType_)) {
        Type element = elementTypeOf(rawType_);
        ColumnBuilder values(static_cast<uint8_t>(element), scale_);
        out.offsets = Buffer::allocate(static_cast<size_t>(length_ + 1) * 8);
        int64_t* o = out.offsets->as<int64_t>();
        o[0] = 0;
        int64_t row = 0;
        for (const Column& piece : arrayRows_) {
            const int64_t* off = piece.offsets->as<int64_t>();
            for (int64_t k = 0; k < piece.length; ++k, ++row) o[row + 1] = o[row] + off[k + 1] - off[k];
            values.appendRows(*piece.values, nullptr, piece.values->length);
        }
        out.values = std::make_shared<Column>(values.take());
        arrayRows_.clear();
    } else if (text_) {
        if (!offsets_) {
            offsets_ = Buffer::allocate(8);
            offsets_->as<int64_t>()[0] = 0;
        }
        out.offsets = std::move(offsets_);
        out.data = data_ ? std::move(data_) : Buffer::allocate(1);
    } else {
        out.data = data_ ? std::move(data_) : Buffer::allocate(std::max(width_, 1));
    }
    data_.reset();
    offsets_.reset();
    dataCapacity_ = offsetsCapacity_ = dataBytes_ = 0;
    length_ = 0;
    return out;
}

}   // namespace ddb::writers
