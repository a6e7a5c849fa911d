// The in-memory object model shared by the codec, the network client and the binding layer.
//
// Columnar, like the wire: every form is built from `Column`s, and every Column keeps its
// values in flat buffers that the decoder fills directly (no per-value objects for fixed-width
// types). The binding hands those buffers to numpy without copying, so a Buffer is shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/types.h"

namespace ddb {

// Owned, 64-byte aligned, uninitialised memory. Shared so a numpy array can keep it alive.
// Or borrowed: memory of someone else's (a numpy array an upload sends in place), kept alive by
// an owner reference for as long as the Buffer lives, never written through and never freed here.
class Buffer {
public:
    static std::shared_ptr<Buffer> allocate(size_t bytes);
    // `bytes`, with room to grow to `expected` without moving when a kept large block that big
    // is at hand (memory already committed, so a peer's claim of `expected` costs nothing).
    static std::shared_ptr<Buffer> allocate(size_t bytes, size_t expected);
    // `owner` keeps `data` alive and unchanged until it is released (with the Buffer).
    static std::shared_ptr<Buffer> borrow(const void* data, size_t bytes, std::shared_ptr<const void> owner);
    ~Buffer();
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    uint8_t* data() { return data_; }
    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    // Borrowed memory is read-only: whoever would write into a buffer copies it first when this is true.
    bool borrowed() const { return owner_ != nullptr; }
    // Grows (or shrinks) keeping the first min(old, new) bytes; borrowed memory becomes an owned copy.
    void resize(size_t bytes);
    // Bytes of freed large blocks kept for reuse by the next large buffers (bounded).
    static size_t keptBytes();
    template <class T>
    T* as() {
        return reinterpret_cast<T*>(data_);
    }
    template <class T>
    const T* as() const {
        return reinterpret_cast<const T*>(data_);
    }

private:
    Buffer() = default;
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
    size_t capacity_ = 0;
    std::shared_ptr<const void> owner_;   // set: data_ is borrowed
};

struct Value;
struct SymbolBase;
namespace pickle {
struct Tree;
}

// How a table column is sent when compression is on (PROTOCOL.md §6). Auto: LZ4, or
// delta-of-delta for integral/temporal columns when a sample encodes smaller.
enum class CompressMethod : uint8_t { None = 0, Lz4 = 1, Delta = 2, Auto = 3 };

// A result of the PICKLE or ARROW protocol (§7): the flag word's form byte had 0x20 added.
enum class Payload : uint8_t { None = 0, Pickle = 1, Arrow = 2 };

// A homogeneous sequence of `length` values: the payload of a scalar (length 1), vector, pair,
// set, matrix (column-major), dictionary keys/values and table columns.
//
//  rawType                       storage
//  fixed width (BOOL..DECIMAL128) data: length * fixedWidth(type) bytes, nulls as sentinels,
//                                 128-bit values as 16 little-endian bytes (wire order)
//  STRING, BLOB, SYMBOL (plain), offsets: int64[length + 1] byte offsets into data;
//  FUNCTIONDEF, HANDLE, CODE ...  data: the bytes, no terminators (BLOB may hold NULs)
//  SYMBOL with a base            symbols: the base (entry 0 is ""); data: int32[length] indices
//  64 + T (array vector)         offsets: int64[length + 1] element offsets into `values`;
//                                 values: the flat Column of element type T
//  ANY                           items: one Value per element
//  VOID                          nothing
struct Column {
    uint8_t rawType = 0;   // a Type, or 64 + Type for array vectors
    int32_t scale = 0;   // DECIMAL32/64/128 (and their array vectors); FUNCTIONDEF: kind byte;
        // VOID scalar: its value byte (0 "nothing", 1 explicit NULL, §5.4)
    int64_t length = 0;
    std::shared_ptr<Buffer> data;
    std::shared_ptr<Buffer> offsets;
    std::shared_ptr<SymbolBase> symbols;
    std::shared_ptr<Column> values;
    std::vector<Value> items;

    Type type() const { return static_cast<Type>(rawType); }
    bool isArrayVector() const { return isArrayType(rawType); }
    bool hasSymbolBase() const { return symbols != nullptr; }

    // Variable-width element i (STRING/BLOB/plain SYMBOL ...), or the symbol it indexes.
    std::string_view stringAt(int64_t i) const;
};

// A symbol base (§5.6). Shared by every table column that uses it.
struct SymbolBase {
    int32_t id = 0;
    Column strings;   // rawType String
};

struct Value {
    Form form = Form::Scalar;
    Column column;   // Scalar, Vector, Pair, Set, Matrix data; Dictionary/Chart keys

    // Matrix: rows x cols, column-major in `column`; optional labels.
    // Table: the decoder also sets rows (row count) and cols (column count); the encoder takes the
    // row count from columns[0] (or `rows` when the table has no columns).
    int32_t rows = 0;
    int32_t cols = 0;
    std::shared_ptr<Column> rowLabels;
    std::shared_ptr<Column> colLabels;

    // Dictionary / Chart values (keys are in `column`).
    std::shared_ptr<Column> dictValues;

    // Table.
    uint8_t tableType = 0;   // 0 basic, 8 compressed columns may follow
    std::string tableName;
    std::vector<std::string> columnNames;
    std::vector<Column> columns;
    // Per column (empty: all Auto): how an upload with compression sends each column.
    std::vector<CompressMethod> compressMethods;

    // PICKLE / ARROW results: `form` is the base form (TABLE, MATRIX ...).
    Payload payload = Payload::None;
    std::shared_ptr<const pickle::Tree> pickled;   // Payload::Pickle: the decoded stream
    std::shared_ptr<Buffer> arrowStream;   // Payload::Arrow: the IPC stream's bytes

    // Chunk / SysObj and other opaque payloads: the raw bytes after the flag word.
    // (CHUNK: the bytes after its INT16 length; column.rawType keeps the flag's type byte.)
    std::string raw;

    Type type() const { return column.type(); }
};

}   // namespace ddb
