#include "protocol/value.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#include "errors.h"

namespace ddb {

namespace {
constexpr size_t kAlignment = 64;
constexpr size_t kHugePage = 2 << 20;

size_t roundUp(size_t bytes) {
    size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    return rounded == 0 ? kAlignment : rounded;
}

// Large blocks freed by one result are kept for the next one. A large download fills a fresh
// block front to back, and with glibc (which maps and unmaps every block above 32 MiB) each
// 4 KiB of it is a page fault plus zeroing: about half the client CPU of a receive-bound
// download. A kept block is reused by any request of at least half its size; at most
// kRetainedLimit bytes are kept, the least recently freed given back first.
class LargeBlocks {
public:
    static constexpr size_t kLarge = 8 << 20;
    static constexpr size_t kRetainedLimit = 256 << 20;

    static LargeBlocks& instance() {
        static auto* blocks = new LargeBlocks();   // never destroyed: buffers may outlive statics
        return *blocks;
    }

    // A block of at least `bytes` (its capacity in *capacity), or nullptr. The smallest that
    // fits, so a smaller request does not take the block a larger column needs; among equals
    // the most recently freed (still in cache).
    uint8_t* take(size_t bytes, size_t* capacity) {
        std::lock_guard<std::mutex> lock(mu_);
        size_t best = blocks_.size();
        for (size_t i = blocks_.size(); i-- > 0;) {
            size_t c = blocks_[i].capacity;
            if (c >= bytes && c / 2 <= bytes && (best == blocks_.size() || c < blocks_[best].capacity)) best = i;
        }
        if (best == blocks_.size()) return nullptr;
        Block b = blocks_[best];
        blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(best));
        retained_ -= b.capacity;
        *capacity = b.capacity;
        return b.data;
    }

    size_t retained() {
        std::lock_guard<std::mutex> lock(mu_);
        return retained_;
    }

    void give(uint8_t* data, size_t capacity) {
        std::vector<uint8_t*> released;
        {
            std::lock_guard<std::mutex> lock(mu_);
            blocks_.push_back({data, capacity});
            retained_ += capacity;
            while (retained_ > kRetainedLimit) {
                released.push_back(blocks_.front().data);
                retained_ -= blocks_.front().capacity;
                blocks_.erase(blocks_.begin());
            }
        }
        for (uint8_t* p : released) std::free(p);
    }

private:
    struct Block {
        uint8_t* data;
        size_t capacity;
    };
    std::mutex mu_;
    std::vector<Block> blocks_;
    size_t retained_ = 0;
};

// A fresh large block is aligned to and sized in huge pages, so a kernel with transparent huge
// pages "always" can back it by them. It is not madvise(MADV_HUGEPAGE)d: with the common
// defrag=madvise setting that makes each fault compact memory directly, and filling fresh 80 MB
// columns ran at 0.4 GB/s instead of 1.7 GB/s on our CI machines.
uint8_t* freshLarge(size_t bytes, size_t* capacity) {
    size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p = std::aligned_alloc(kHugePage, rounded);
    if (!p) throw std::bad_alloc();
    *capacity = rounded;
    return static_cast<uint8_t*>(p);
}

uint8_t* alignedAlloc(size_t bytes, size_t* capacity) {
    size_t rounded = roundUp(bytes);
    if (rounded >= LargeBlocks::kLarge) {
        if (uint8_t* kept = LargeBlocks::instance().take(rounded, capacity)) return kept;
        return freshLarge(rounded, capacity);
    }
    void* p = std::aligned_alloc(kAlignment, rounded);
    if (!p) throw std::bad_alloc();
    *capacity = rounded;
    return static_cast<uint8_t*>(p);
}

void release(uint8_t* data, size_t capacity) {
    if (!data) return;
    if (capacity >= LargeBlocks::kLarge) LargeBlocks::instance().give(data, capacity);
    else std::free(data);
}
}   // namespace

std::shared_ptr<Buffer> Buffer::allocate(size_t bytes) {
    std::shared_ptr<Buffer> b(new Buffer());
    b->data_ = alignedAlloc(bytes, &b->capacity_);
    b->size_ = bytes;
    return b;
}

std::shared_ptr<Buffer> Buffer::allocate(size_t bytes, size_t expected) {
    if (expected > bytes && roundUp(expected) >= LargeBlocks::kLarge) {
        size_t capacity;
        if (uint8_t* kept = LargeBlocks::instance().take(roundUp(expected), &capacity)) {
            std::shared_ptr<Buffer> b(new Buffer());
            b->data_ = kept;
            b->capacity_ = capacity;
            b->size_ = bytes;
            return b;
        }
    }
    return allocate(bytes);
}

std::shared_ptr<Buffer> Buffer::borrow(const void* data, size_t bytes, std::shared_ptr<const void> owner) {
    std::shared_ptr<Buffer> b(new Buffer());
    b->data_ = static_cast<uint8_t*>(const_cast<void*>(data));
    b->size_ = bytes;
    b->capacity_ = bytes;
    b->owner_ = owner ? std::move(owner) : std::make_shared<int>(0);
    return b;
}

Buffer::~Buffer() {
    if (!owner_) release(data_, capacity_);
}

size_t Buffer::keptBytes() { return LargeBlocks::instance().retained(); }

void Buffer::resize(size_t bytes) {
    if (bytes <= capacity_ && !owner_) {
        size_ = bytes;
        return;
    }
    size_t capacity;
    uint8_t* fresh = alignedAlloc(bytes, &capacity);
    if (size_) std::memcpy(fresh, data_, std::min(size_, bytes));
    if (owner_) owner_.reset();
    else release(data_, capacity_);
    data_ = fresh;
    size_ = bytes;
    capacity_ = capacity;
}

std::string_view Column::stringAt(int64_t i) const {
    if (symbols) {
        int32_t index = data->as<int32_t>()[i];
        return symbols->strings.stringAt(index);
    }
    const int64_t* off = offsets->as<int64_t>();
    return std::string_view(reinterpret_cast<const char*>(data->data()) + off[i], off[i + 1] - off[i]);
}

}   // namespace ddb
