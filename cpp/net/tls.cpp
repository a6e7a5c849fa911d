#include "net/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>

#include "errors.h"

namespace ddb {

namespace {

// Everything on this thread's OpenSSL error queue, oldest first, and the queue left empty.
std::string drainErrors() {
    std::string text;
    while (unsigned long e = ERR_get_error()) {
        const char* reason = ERR_reason_error_string(e);
        if (!text.empty()) text += "; ";
        text += reason ? reason : "error " + std::to_string(e);
    }
    return text;
}

bool isIpLiteral(const std::string& host) {
    unsigned char addr[16];
    return inet_pton(AF_INET, host.c_str(), addr) == 1 || inet_pton(AF_INET6, host.c_str(), addr) == 1;
}

// The system trust store. OpenSSL's default paths are where the libssl in use was configured to
// look, which is not where this system keeps its CAs when the library came bundled in a wheel
// built elsewhere. So, unless SSL_CERT_FILE / SSL_CERT_DIR say otherwise, the first CA bundle
// found at the places Linux distributions use is loaded too.
int loadSystemTrust(SSL_CTX* ctx) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) return 0;
    if (std::getenv("SSL_CERT_FILE") || std::getenv("SSL_CERT_DIR")) return 1;
    for (const char* bundle : {"/etc/ssl/certs/ca-certificates.crt",   // Debian, Ubuntu, Arch
                               "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",   // RHEL, Fedora
                               "/etc/pki/tls/certs/ca-bundle.crt",   // older RHEL
                               "/etc/ssl/ca-bundle.pem",   // openSUSE
                               "/etc/ssl/cert.pem"}) {   // Alpine
        if (::access(bundle, R_OK) == 0) return SSL_CTX_load_verify_locations(ctx, bundle, nullptr);
    }
    return 1;
}

constexpr size_t kChunk = 64 * 1024;
constexpr size_t kWriteChunk = 256 * 1024;   // plaintext encrypted per socket write

}   // namespace

TlsContext::TlsContext(TlsOptions options) : options_(std::move(options)) {
    ERR_clear_error();
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ctx_) throw TlsError("Cannot create a TLS context: " + drainErrors());
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    if (!options_.verify) {
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
        return;
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    int loaded =
        options_.caFile.empty() ? loadSystemTrust(ctx_) : SSL_CTX_load_verify_locations(ctx_, options_.caFile.c_str(), nullptr);
    if (loaded != 1) {
        std::string reason = drainErrors();
        SSL_CTX_free(ctx_);
        ctx_ = nullptr;
        if (options_.caFile.empty()) throw TlsError("Cannot load the system's trusted CAs: " + reason);
        throw TlsError("Cannot load the CA file '" + options_.caFile + "': " + reason);
    }
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

TlsStream::TlsStream(Socket& socket, std::shared_ptr<const TlsContext> context, const std::string& host)
    : socket_(socket), context_(std::move(context)), host_(host) {
    ERR_clear_error();
    ssl_ = SSL_new(context_->native());
    input_ = BIO_new(BIO_s_mem());
    output_ = BIO_new(BIO_s_mem());
    if (!ssl_ || !input_ || !output_) {
        BIO_free(input_);
        BIO_free(output_);
        SSL_free(ssl_);
        throw TlsError("Cannot start a TLS session: " + drainErrors());
    }
    BIO_set_mem_eof_return(input_, -1);   // no bytes yet means "read more", not end of stream
    SSL_set_bio(ssl_, input_, output_);
    SSL_set_connect_state(ssl_);
    bool ip = isIpLiteral(host_);
    if (!ip) SSL_set_tlsext_host_name(ssl_, host_.c_str());
    if (context_->options().verify) {
        SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host_.c_str()) : SSL_set1_host(ssl_, host_.c_str());
        if (ok != 1) {
            SSL_free(ssl_);
            throw TlsError("Cannot verify the host name '" + host_ + "': " + drainErrors());
        }
    }
}

TlsStream::~TlsStream() { SSL_free(ssl_); }

void TlsStream::handshake(int timeoutMs) {
    using Clock = std::chrono::steady_clock;
    const std::string what = "TLS handshake with " + socket_.peer();
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    // A plaintext server waits for a request line the ClientHello never ends: it looks like this.
    const std::string timedOut = what + " timed out after " + std::to_string(timeoutMs) + " ms (does the server serve TLS?)";
    const int readTimeout = socket_.readTimeout();
    for (;;) {
        ERR_clear_error();
        int rc = SSL_do_handshake(ssl_);
        if (rc == 1) {
            flushOutput();
            break;
        }
        if (SSL_get_error(ssl_, rc) != SSL_ERROR_WANT_READ) {
            try {
                flushOutput();   // the alert tells the server why we hang up
            } catch (const Error&) {}
            fail(what + " failed", rc);
        }
        flushOutput();
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) throw TimeoutError(timedOut);
        socket_.setReadTimeout(static_cast<int>(left));
        try {
            receiveInput();
        } catch (const TimeoutError&) {
            throw TimeoutError(timedOut);
        } catch (const NetworkError& e) {
            throw TlsError(what + " failed: the server ended the connection (does it serve TLS?): " + e.what());
        }
    }
    socket_.setReadTimeout(readTimeout);
}

size_t TlsStream::readSome(void* dst, size_t n) {
    int want = static_cast<int>(std::min<size_t>(n, INT_MAX));
    for (;;) {
        ERR_clear_error();
        int got = SSL_read(ssl_, dst, want);
        if (got > 0) {
            if (BIO_ctrl_pending(output_) > 0) flushOutput();   // e.g. the answer to a key update
            return static_cast<size_t>(got);
        }
        int err = SSL_get_error(ssl_, got);
        if (err == SSL_ERROR_WANT_READ) {
            flushOutput();
            receiveInput();
            continue;
        }
        if (err == SSL_ERROR_ZERO_RETURN) throw NetworkError("Connection to " + socket_.peer() + " was closed by the server");
        fail("TLS read from " + socket_.peer() + " failed", got);
    }
}

void TlsStream::writeAll(std::span<const ByteRange> ranges) {
    for (const ByteRange& range : ranges) {
        const uint8_t* p = range.data;
        size_t n = range.size;
        while (n > 0) {
            int chunk = static_cast<int>(std::min(n, kWriteChunk));
            ERR_clear_error();
            int put = SSL_write(ssl_, p, chunk);   // into the memory BIO: all of it, or an error
            if (put <= 0) fail("TLS write to " + socket_.peer() + " failed", put);
            flushOutput();
            p += put;
            n -= static_cast<size_t>(put);
        }
    }
}

bool TlsStream::hasBuffered() const { return SSL_pending(ssl_) > 0 || BIO_ctrl_pending(input_) > 0; }

std::string TlsStream::describe() const {
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
    return std::string(SSL_get_version(ssl_)) + " " + (cipher ? SSL_CIPHER_get_name(cipher) : "(none)");
}

void TlsStream::flushOutput() {
    if (scratch_.size() < kChunk) scratch_.resize(kChunk);
    for (;;) {
        int got = BIO_read(output_, scratch_.data(), static_cast<int>(scratch_.size()));
        if (got <= 0) return;
        socket_.writeAll(scratch_.data(), static_cast<size_t>(got));
    }
}

void TlsStream::receiveInput() {
    if (scratch_.size() < kChunk) scratch_.resize(kChunk);
    size_t got = socket_.readSome(scratch_.data(), scratch_.size());
    if (BIO_write(input_, scratch_.data(), static_cast<int>(got)) != static_cast<int>(got))
        throw TlsError("TLS session with " + socket_.peer() + ": out of memory buffering received bytes");
}

void TlsStream::fail(const std::string& what, int sslResult) {
    long verify = SSL_get_verify_result(ssl_);
    if (context_->options().verify && verify != X509_V_OK) {
        ERR_clear_error();
        std::string reason = std::string("the server's certificate is not trusted: ") + X509_verify_cert_error_string(verify);
        if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
            reason += " (the certificate is not issued for '" + host_ + "')";
        throw TlsError(what + ": " + reason);
    }
    int code = SSL_get_error(ssl_, sslResult);
    std::string reason = drainErrors();
    if (reason.empty()) reason = "SSL error " + std::to_string(code);
    throw TlsError(what + ": " + reason);
}

}   // namespace ddb
