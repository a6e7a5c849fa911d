#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "protocol/io.h"
#include "protocol/value.h"

using namespace ddb;

TEST(Buffer, AllocateIsAlignedAndResizeKeepsContents) {
    auto b = Buffer::allocate(10);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b->data()) % 64, 0u);
    std::memcpy(b->data(), "0123456789", 10);
    b->resize(1 << 20);
    EXPECT_EQ(std::memcmp(b->data(), "0123456789", 10), 0);
    EXPECT_EQ(b->size(), size_t(1) << 20);
}

TEST(MemorySource, ReadPastEndIsAProtocolError) {
    MemorySource src("abc", 3);
    char out[4];
    EXPECT_THROW(src.read(out, 4), ProtocolError);
    std::string s;
    MemorySource strings("ab\0cd", 5);
    strings.readUntil('\0', s, 100);
    EXPECT_EQ(s, "ab");
    s.clear();
    EXPECT_THROW(strings.readUntil('\0', s, 100), ProtocolError);
}

TEST(Buffer, LargeBlocksAreReusedByTheNextLargeResult) {
    const uint8_t* first;
    {
        auto a = Buffer::allocate(16 << 20);
        first = a->data();
        std::memset(a->data(), 1, a->size());
    }
    auto b = Buffer::allocate(12 << 20);   // at least half the kept block: reused
    EXPECT_EQ(b->data(), first);
    EXPECT_EQ(b->size(), size_t(12) << 20);
    b->resize(16 << 20);   // within the block's capacity: no new allocation
    EXPECT_EQ(b->data(), first);
    auto c = Buffer::allocate(16 << 20);   // the block is taken: a fresh one
    EXPECT_NE(c->data(), first);
    auto small = Buffer::allocate(1 << 20);   // small buffers never come from the kept blocks
    EXPECT_NE(small->data(), first);
}

TEST(Buffer, KeptLargeBlocksAreBounded) {
    std::vector<std::shared_ptr<Buffer>> many;
    for (int i = 0; i < 40; ++i) many.push_back(Buffer::allocate(16 << 20));   // 640 MiB live
    many.clear();
    EXPECT_LE(Buffer::keptBytes(), size_t(256) << 20);
    EXPECT_GE(Buffer::keptBytes(), size_t(16) << 20);
    auto again = Buffer::allocate(16 << 20);
    EXPECT_LE(Buffer::keptBytes(), size_t(240) << 20);   // taken from what was kept
}

TEST(Buffer, ExpectedSizeComesOnlyFromAKeptBlock) {
    const uint8_t* kept;
    {
        auto a = Buffer::allocate(20 << 20);
        kept = a->data();
    }
    auto b = Buffer::allocate(1 << 20, 20 << 20);   // room for 20 MiB in the block already at hand
    EXPECT_EQ(b->data(), kept);
    EXPECT_EQ(b->size(), size_t(1) << 20);
    b->resize(20 << 20);
    EXPECT_EQ(b->data(), kept);
    auto c = Buffer::allocate(1 << 20, 44 << 20);   // no kept block that large: just the 1 MiB
    EXPECT_EQ(c->size(), size_t(1) << 20);
    EXPECT_NE(c->data(), kept);
}

TEST(Buffer, TheSmallestKeptBlockThatFitsIsTaken) {
    const uint8_t* fits;
    {
        auto small = Buffer::allocate(22 << 20);
        auto large = Buffer::allocate(34 << 20);
        fits = small->data();
        small.reset();   // freed first: the larger block is the more recent one
    }
    auto b = Buffer::allocate(21 << 20);
    EXPECT_EQ(b->data(), fits);
    auto c = Buffer::allocate(30 << 20);   // the larger block is still there for a larger request
    EXPECT_NE(c->data(), fits);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(c->data()) % (2 << 20), 0u);   // large blocks: huge-page aligned
}
