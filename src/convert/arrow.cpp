// ARROW results: the IPC stream the core read off the socket (cpp/protocol/arrow_stream.h) goes
// to pyarrow in one call, over the decoded buffer (no Python file object, no copy).
#include "convert/payloads.h"

#include <cstring>

#include "convert/text.h"
#include "errors.h"

namespace ddbpy {

std::string describe(const py::error_already_set& e) {
    std::string type = py::str(e.type().attr("__name__"));
    std::string text = py::str(e.value());
    return text.empty() ? type : type + ": " + text;
}

namespace {

[[noreturn]] void corrupt(const std::string& what) { throw ddb::ProtocolError("invalid Arrow IPC stream: " + what); }

struct BufferView {
    const uint8_t* data = nullptr;
    int64_t size = 0;
};

BufferView view(const py::handle& buffer) {
    if (buffer.is_none()) return {};
    return {reinterpret_cast<const uint8_t*>(buffer.attr("address").cast<uintptr_t>()), buffer.attr("size").cast<int64_t>()};
}

// The offsets of `length` values from `offset` on: non-decreasing, inside [0, limit].
template <class Offset>
void checkOffsets(const BufferView& offsets, int64_t offset, int64_t length, int64_t limit, const std::string& column) {
    if (length == 0) return;
    if (offsets.size < static_cast<int64_t>((offset + length + 1) * sizeof(Offset)))
        corrupt("column '" + column + "': offsets buffer too small");
    const Offset* o = reinterpret_cast<const Offset*>(offsets.data) + offset;
    if (o[0] < 0) corrupt("column '" + column + "': negative offset");
    for (int64_t i = 0; i < length; ++i)
        if (o[i + 1] < o[i]) corrupt("column '" + column + "': offsets decrease");
    if (o[length] > limit) corrupt("column '" + column + "': offsets point past the data");
}

// What pyarrow would read out of bounds if the stream lied: offsets of variable-width and list
// arrays, dictionary indices; UTF-8 of string arrays (pyarrow's own full validation does the
// same, several times slower). Fixed-width buffer sizes are checked by validate(full=False).
void checkArray(const py::handle& array, const std::string& column, int depth) {
    if (depth > 64) corrupt("column '" + column + "': nested too deeply");
    static auto* types = new py::module_(py::module_::import("pyarrow.types"));
    py::object type = array.attr("type");
    int64_t length = py::len(array);
    int64_t offset = array.attr("offset").cast<int64_t>();
    auto is = [&](const char* predicate) { return types->attr(predicate)(type).cast<bool>(); };
    if (is("is_dictionary")) {
        py::object dictionary = array.attr("dictionary");
        checkArray(dictionary, column, depth + 1);
        py::object indices = array.attr("indices");
        py::list buffers = indices.attr("buffers")();
        BufferView v = view(buffers[1]);
        int width = indices.attr("type").attr("bit_width").cast<int>() / 8;
        int64_t from = indices.attr("offset").cast<int64_t>();
        int64_t n = py::len(dictionary);
        if (length && v.size < (from + length) * width) corrupt("column '" + column + "': indices buffer too small");
        for (int64_t i = 0; i < length; ++i) {
            int64_t k = 0;
            const uint8_t* p = v.data + (from + i) * width;
            switch (width) {
                case 1: k = *reinterpret_cast<const int8_t*>(p); break;
                case 2: {
                    int16_t x;
                    std::memcpy(&x, p, 2);
                    k = x;
                    break;
                }
                case 4: {
                    int32_t x;
                    std::memcpy(&x, p, 4);
                    k = x;
                    break;
                }
                default: std::memcpy(&k, p, 8);
            }
            if (k < 0 || k >= n) {
                // A null slot may hold anything.
                if (array.attr("null_count").cast<int64_t>() > 0 &&
                    !array.attr("is_valid")().attr("__getitem__")(i).attr("as_py")().cast<bool>())
                    continue;
                corrupt("column '" + column + "': dictionary index out of range");
            }
        }
        return;
    }
    bool large = is("is_large_string") || is("is_large_binary");
    if (large || is("is_string") || is("is_binary")) {
        py::list buffers = array.attr("buffers")();
        BufferView data = view(buffers[2]);
        BufferView offsets = view(buffers[1]);
        if (large) checkOffsets<int64_t>(offsets, offset, length, data.size, column);
        else checkOffsets<int32_t>(offsets, offset, length, data.size, column);
        if (length && (is("is_string") || is("is_large_string"))) {
            int64_t from = large ? reinterpret_cast<const int64_t*>(offsets.data)[offset]
                                 : reinterpret_cast<const int32_t*>(offsets.data)[offset];
            int64_t to = large ? reinterpret_cast<const int64_t*>(offsets.data)[offset + length]
                               : reinterpret_cast<const int32_t*>(offsets.data)[offset + length];
            if (!text::validUtf8(data.data + from, static_cast<size_t>(to - from)))
                corrupt("column '" + column + "': invalid UTF-8");
        }
        return;
    }
    bool largeList = is("is_large_list");
    if (largeList || is("is_list")) {
        py::list buffers = array.attr("buffers")();
        py::object values = array.attr("values");   // the whole child, not sliced by the offsets
        int64_t children = py::len(values);
        if (largeList) checkOffsets<int64_t>(view(buffers[1]), offset, length, children, column);
        else checkOffsets<int32_t>(view(buffers[1]), offset, length, children, column);
        checkArray(values, column, depth + 1);
        return;
    }
    if (is("is_struct")) {
        for (int i = 0; i < type.attr("num_fields").cast<int>(); ++i) checkArray(array.attr("field")(i), column, depth + 1);
        return;
    }
    if (is("is_nested")) corrupt("column '" + column + "': unsupported nested type " + py::str(type).cast<std::string>());
}

}   // namespace

py::object arrowTable(py::object stream) {
    py::module_ pa;
    try {
        pa = py::module_::import("pyarrow");
    } catch (py::error_already_set& e) {
        if (!e.matches(PyExc_Exception)) throw;   // KeyboardInterrupt, SystemExit: the caller's
        throw ddb::ConversionError("An ARROW result needs pyarrow: " + describe(e));
    }
    try {
        py::object buffer = pa.attr("py_buffer")(stream);
        py::object table = pa.attr("ipc").attr("open_stream")(buffer).attr("read_all")();
        // Buffer sizes by pyarrow, then offsets, dictionary indices and UTF-8 here, before
        // anyone reads the columns.
        table.attr("validate")(py::arg("full") = false);
        py::list names = table.attr("column_names");
        for (size_t c = 0; c < names.size(); ++c) {
            std::string name = py::str(names[c]);
            py::object column = table.attr("column")(c);   // owned: an accessor would not keep it alive
            py::list chunks = column.attr("chunks");
            for (py::handle chunk : chunks) checkArray(chunk, name, 0);
        }
        return table;
    } catch (py::error_already_set& e) {
        if (e.matches(PyExc_MemoryError) || !e.matches(PyExc_Exception)) throw;
        throw ddb::ProtocolError("invalid Arrow IPC stream: " + describe(e));
    }
}

}   // namespace ddbpy
