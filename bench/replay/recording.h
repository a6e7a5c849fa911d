// A recording made by bench/replay_record.py, mapped read-only: each entry is one distinct request
// (key = kind + header after the session id + LF + body, then its argument bytes) and the reply the
// embedded server gave it, split around the reply's session id so a replayer can put its own in.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace replay {

struct Entry {
    std::string_view key;
    bool anyArgs;   // a login call: its (encrypted) arguments differ on every connection
    std::string_view args;
    std::string_view prefix;   // MSG frames before the reply header
    std::string_view rest;   // the reply after its session id
    std::string_view kind() const { return key.substr(0, key.find(' ')); }
    std::string_view body() const { return key.substr(key.find('\n') + 1); }
};

class Recording {
public:
    explicit Recording(const std::string& path) {
        int fd = ::open(path.c_str(), O_RDONLY);
        if (fd < 0) throw std::runtime_error("cannot open the recording " + path + ": " + std::strerror(errno));
        struct stat st {};
        ::fstat(fd, &st);
        size_ = static_cast<size_t>(st.st_size);
        void* map = size_ ? ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) : MAP_FAILED;
        ::close(fd);
        if (map == MAP_FAILED) throw std::runtime_error("cannot map the recording " + path);
        data_ = static_cast<const char*>(map);
        parse(path);
    }
    ~Recording() { ::munmap(const_cast<char*>(data_), size_); }
    Recording(const Recording&) = delete;
    Recording& operator=(const Recording&) = delete;

    const std::vector<Entry>& entries() const { return entries_; }

private:
    static constexpr std::string_view kMagic = "DDBREPLAY1\n";

    template <typename T>
    T take(size_t& pos, const std::string& path) {
        need(pos, sizeof(T), path);
        T v;
        std::memcpy(&v, data_ + pos, sizeof(T));
        pos += sizeof(T);
        return v;
    }
    std::string_view blob(size_t& pos, size_t n, const std::string& path) {
        need(pos, n, path);
        std::string_view v(data_ + pos, n);
        pos += n;
        return v;
    }
    void need(size_t pos, size_t n, const std::string& path) const {
        if (n > size_ || pos > size_ - n) throw std::runtime_error("the recording " + path + " is truncated");
    }
    void parse(const std::string& path) {
        size_t pos = 0;
        if (blob(pos, kMagic.size(), path) != kMagic) throw std::runtime_error(path + " is not a replay recording");
        uint32_t count = take<uint32_t>(pos, path);
        entries_.reserve(count);
        for (uint32_t i = 0; i < count; ++i) {
            Entry e;
            e.key = blob(pos, take<uint32_t>(pos, path), path);
            e.anyArgs = take<uint8_t>(pos, path) != 0;
            e.args = blob(pos, take<uint64_t>(pos, path), path);
            e.prefix = blob(pos, take<uint64_t>(pos, path), path);
            e.rest = blob(pos, take<uint64_t>(pos, path), path);
            if (e.key.find(' ') == std::string_view::npos || e.key.find('\n') == std::string_view::npos)
                throw std::runtime_error("the recording " + path + " holds a malformed request key");
            entries_.push_back(e);
        }
        if (pos != size_) throw std::runtime_error("the recording " + path + " has trailing bytes");
    }

    const char* data_ = nullptr;
    size_t size_ = 0;
    std::vector<Entry> entries_;
};

}   // namespace replay
