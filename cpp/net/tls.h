// TLS for client connections (OpenSSL). A TlsContext holds what every connection of a Session
// or pool shares (trusted CAs, verification on or off); a TlsStream runs one TLS session over a
// connected Socket through memory BIOs, so all socket I/O stays in Socket: its timeouts, its
// abort() and its MSG_NOSIGNAL writes apply to TLS connections unchanged.
#pragma once

#include <memory>
#include <string>

#include "net/socket.h"
#include "net/transport.h"

struct ssl_ctx_st;
struct ssl_st;
struct bio_st;

namespace ddb {

struct TlsOptions {
    // PEM file of the CAs to trust; empty: the system's trust store (OpenSSL's default paths,
    // SSL_CERT_FILE / SSL_CERT_DIR, or the distribution's CA bundle).
    std::string caFile;
    // false: neither the certificate chain nor the host name is checked. The traffic is still
    // encrypted but anyone on the path can impersonate the server.
    bool verify = true;
};

class TlsContext {
public:
    // Throws TlsError when the CA file cannot be read or holds no certificate.
    explicit TlsContext(TlsOptions options);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    const TlsOptions& options() const { return options_; }
    ssl_ctx_st* native() const { return ctx_; }

private:
    TlsOptions options_;
    ssl_ctx_st* ctx_ = nullptr;
};

class TlsStream final : public Transport {
public:
    // `host` is the name the certificate must carry (a DNS name or an IP address literal); it is
    // also sent as SNI when it is a DNS name.
    TlsStream(Socket& socket, std::shared_ptr<const TlsContext> context, const std::string& host);
    ~TlsStream() override;
    TlsStream(const TlsStream&) = delete;
    TlsStream& operator=(const TlsStream&) = delete;

    // The whole handshake within timeoutMs. Throws TlsError (untrusted or mismatched certificate,
    // a peer that does not speak TLS or closes the connection), TimeoutError or NetworkError.
    void handshake(int timeoutMs);
    size_t readSome(void* dst, size_t n) override;
    using Transport::writeAll;
    // Each range is encrypted from where it lies, a chunk at a time, so a request's column
    // buffers are not first gathered into one plaintext copy.
    void writeAll(std::span<const ByteRange> ranges) override;
    bool hasBuffered() const override;
    // "TLSv1.3 TLS_AES_256_GCM_SHA384" once the handshake is done.
    std::string describe() const;

private:
    void flushOutput();   // ciphertext OpenSSL produced -> socket
    void receiveInput();   // socket -> OpenSSL (waits for at least one byte)
    [[noreturn]] void fail(const std::string& what, int sslResult);

    Socket& socket_;
    std::shared_ptr<const TlsContext> context_;
    std::string host_;
    ssl_st* ssl_ = nullptr;
    bio_st* input_ = nullptr;   // owned by ssl_
    bio_st* output_ = nullptr;   // owned by ssl_
    std::string scratch_;
};

}   // namespace ddb
