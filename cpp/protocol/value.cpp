#include "protocol/value.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "errors.h"

namespace ddb {

namespace {
constexpr size_t kAlignment = 64;

uint8_t* alignedAlloc(size_t bytes) {
    size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    if (rounded == 0) rounded = kAlignment;
    void* p = std::aligned_alloc(kAlignment, rounded);
    if (!p) throw std::bad_alloc();
    return static_cast<uint8_t*>(p);
}
}  // namespace

std::shared_ptr<Buffer> Buffer::allocate(size_t bytes) {
    std::shared_ptr<Buffer> b(new Buffer());
    b->data_ = alignedAlloc(bytes);
    b->size_ = bytes;
    b->capacity_ = bytes;
    return b;
}

Buffer::~Buffer() { std::free(data_); }

void Buffer::resize(size_t bytes) {
    if (bytes <= capacity_) {
        size_ = bytes;
        return;
    }
    uint8_t* fresh = alignedAlloc(bytes);
    if (size_) std::memcpy(fresh, data_, size_);
    std::free(data_);
    data_ = fresh;
    size_ = capacity_ = bytes;
}

std::string_view Column::stringAt(int64_t i) const {
    if (symbols) {
        int32_t index = data->as<int32_t>()[i];
        return symbols->strings.stringAt(index);
    }
    const int64_t* off = offsets->as<int64_t>();
    return std::string_view(reinterpret_cast<const char*>(data->data()) + off[i], off[i + 1] - off[i]);
}

}  // namespace ddb
