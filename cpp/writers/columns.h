// Column operations the bulk writers need, on the core's object model (no Python):
// type categories, temporal casts, row gathers, and a growable column for per-thread buffers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/value.h"

namespace ddb::writers {

// DolphinDB's type categories (what `column [x], expect type T, got type U` compares).
using Category = TypeCategory;
Category categoryOf(Type t);   // System types count as Other
inline Category categoryOf(uint8_t rawType) {
    return isArrayType(rawType) ? Category::Other : categoryOf(static_cast<Type>(rawType));
}

// A temporal column as `target` (BULK_WRITERS.md §1.2): instants floor to the coarser unit, a
// date-bearing value gives its time of day for TIME/MINUTE/SECOND/NANOTIME, NULL stays NULL.
// Throws ConversionError("castTemporal from DATE to TIME not supported ") where DolphinDB has
// no such cast (a date has no time of day; a time of day has no date).
Column castTemporal(const Column& column, Type target);

// Rows `rows[0..n)` of `column`, in that order (any type: fixed, text, symbol base, array vector).
Column take(const Column& column, const int64_t* rows, int64_t n);

// Integral/temporal value of row i as int64; false for NULL.
bool integerAt(const Column& column, int64_t i, int64_t* out);

// A column that grows by appends (one writer thread's queue). Text columns keep offsets and
// bytes; everything else is fixed-width. take() hands the buffers over without copying.
class ColumnBuilder {
public:
    ColumnBuilder(uint8_t rawType, int scale);
    uint8_t rawType() const { return rawType_; }
    int scale() const { return scale_; }
    int64_t length() const { return length_; }
    bool isText() const { return text_; }
    int width() const { return width_; }

    // Room for one fixed-width value; the caller writes width() bytes there.
    uint8_t* appendFixed();
    void appendText(std::string_view s);
    // Rows of another column of the same type (all rows when `rows` is null).
    void appendRows(const Column& column, const int64_t* rows, int64_t n);
    // Back to `length` rows (undoes the appends of a row that failed half-way).
    void truncate(int64_t length);
    Column take();
    // The rows so far as a Column over the builder's own buffers (valid until the next append).
    Column view() const;

private:
    void reserveBytes(std::shared_ptr<Buffer>& buffer, size_t& capacity, size_t needed);
    uint8_t rawType_;
    int scale_;
    bool text_;
    int width_;
    int64_t length_ = 0;
    std::shared_ptr<Buffer> data_;
    size_t dataCapacity_ = 0;
    size_t dataBytes_ = 0;
    std::shared_ptr<Buffer> offsets_;
    size_t offsetsCapacity_ = 0;
    std::vector<Column> arrayRows_;   // array-vector columns: appended pieces, joined on take()
};

}   // namespace ddb::writers
