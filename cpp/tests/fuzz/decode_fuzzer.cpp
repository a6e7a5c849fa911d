// libFuzzer target for the codec, the framing parsers, the pickle decoder and the Arrow stream
// framing. Any input may be rejected with a
// ddb::Error; anything else (a crash, a sanitizer report, an unstable round trip) is a bug.
//
//   cmake -S . -B build/codec-fuzz -G Ninja -DDDB_BUILD_FUZZ=ON -DDDB_BUILD_PYTHON=OFF -DCMAKE_CXX_COMPILER=clang++
//   cmake --build build/codec-fuzz --target decode_fuzzer
//   build/codec-fuzz/decode_fuzzer -max_total_time=120 corpus/   (seed corpus: the capture files)
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "errors.h"
#include "protocol/arrow_stream.h"
#include "protocol/codec.h"
#include "protocol/framing.h"
#include "protocol/pickle.h"

namespace {

// Remaining size unknown, like a socket: exercises the bounded-growth paths.
class StreamSource final : public ddb::Source {
public:
    StreamSource(const uint8_t* p, size_t n) : p_(p), n_(n) {}
    void read(void* dst, size_t n) override {
        if (n_ - pos_ < n) throw ddb::NetworkError("end of input");
        if (n) std::memcpy(dst, p_ + pos_, n);
        pos_ += n;
    }

private:
    const uint8_t* p_;
    size_t n_;
    size_t pos_ = 0;
};

// A decoded value re-encodes, and that encoding is a fixed point of decode+encode.
void checkRoundTrip(const ddb::Value& v) {
    std::string once;
    try {
        once = ddb::serialize(v);
    } catch (const ddb::Error&) {
        return;
    }
    std::string twice = ddb::serialize(ddb::deserialize(once));
    if (once != twice) std::abort();
}

}   // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        ddb::MemorySource src(data, size);
        checkRoundTrip(ddb::decodeObject(src));
    } catch (const ddb::Error&) {}
    try {
        ddb::MemorySource src(data, size);
        ddb::DecodeOptions o;
        o.swapBytes = true;
        checkRoundTrip(ddb::decodeObject(src, o));
    } catch (const ddb::Error&) {}
    try {
        StreamSource src(data, size);
        ddb::decodeObject(src);
    } catch (const ddb::Error&) {}
    try {
        ddb::MemorySource src(data, size);
        ddb::Response r = ddb::readResponse(src, [](std::string_view) {});
        for (const auto& v : r.objects) checkRoundTrip(v);
    } catch (const ddb::Error&) {}
    try {
        StreamSource src(data, size);
        ddb::readResponse(src);
    } catch (const ddb::Error&) {}
    // PICKLE and ARROW results on their own (the object paths above reach them through 0x20 forms).
    try {
        ddb::MemorySource src(data, size);
        ddb::pickle::decode(src);
    } catch (const ddb::Error&) {}
    try {
        StreamSource src(data, size);
        ddb::pickle::decode(src);
    } catch (const ddb::Error&) {}
    try {
        StreamSource src(data, size);
        ddb::readArrowStream(src, 0xff);
    } catch (const ddb::Error&) {}
    try {
        ddb::MemorySource src(data, size);
        ddb::Request r = ddb::readRequest(src);
        for (const auto& v : r.args) checkRoundTrip(v);
    } catch (const ddb::Error&) {}
    return 0;
}
