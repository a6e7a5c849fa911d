#include <gtest/gtest.h>

#include <cstring>

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
