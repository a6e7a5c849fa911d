// TlsStream over a real loopback socket against an OpenSSL server thread, with a certificate
// made at test time: verification, host names, buffering, timeouts, abort and peers that do not
// speak TLS.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "errors.h"
#include "net/tls.h"

namespace {

using namespace ddb;

// A self-signed certificate for `san` ("IP:127.0.0.1", "DNS:db.example.com") and its key.
struct Identity {
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
    std::string pemPath;   // the certificate, to trust it as a CA file

    explicit Identity(const char* san) {
        key = EVP_EC_gen("P-256");
        cert = X509_new();
        X509_set_version(cert, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert), -300);
        X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
        X509_set_pubkey(cert, key);
        X509_NAME* name = X509_get_subject_name(cert);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("test"), -1, -1, 0);
        X509_set_issuer_name(cert, name);
        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
        for (auto [nid, value] :
             {std::pair<int, const char*>{NID_subject_alt_name, san}, {NID_basic_constraints, "critical,CA:TRUE"}}) {
            X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
            X509_add_ext(cert, ext, -1);
            X509_EXTENSION_free(ext);
        }
        X509_sign(cert, key, EVP_sha256());
        char path[] = "/tmp/ddb-tls-test-XXXXXX";
        int fd = mkstemp(path);
        FILE* f = fdopen(fd, "w");
        PEM_write_X509(f, cert);
        fclose(f);
        pemPath = path;
    }
    ~Identity() {
        std::remove(pemPath.c_str());
        X509_free(cert);
        EVP_PKEY_free(key);
    }
};

// One connection served on a loopback port by a thread: TLS (handshake, then `serve`) or, with
// no identity, the raw socket handed to `serveRaw`.
class Peer {
public:
    Peer(const Identity* identity, std::function<void(SSL*)> serve, std::function<void(int)> serveRaw = {}) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        socklen_t len = sizeof addr;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        ::listen(listener_, 4);
        thread_ = std::thread([=, this] {
            int fd = ::accept(listener_, nullptr, nullptr);
            if (fd < 0) return;
            if (!identity) {
                serveRaw(fd);
                ::close(fd);
                return;
            }
            SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
            SSL_CTX_use_certificate(ctx, identity->cert);
            SSL_CTX_use_PrivateKey(ctx, identity->key);
            SSL* ssl = SSL_new(ctx);
            SSL_set_fd(ssl, fd);
            if (SSL_accept(ssl) == 1) serve(ssl);
            SSL_free(ssl);
            SSL_CTX_free(ctx);
            ::close(fd);
        });
    }
    ~Peer() {
        released.store(true);
        thread_.join();
        ::close(listener_);
    }
    int port() const { return port_; }
    void holdUntilReleased() const {
        while (!released.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::atomic<bool> released{false};

private:
    int listener_ = -1;
    int port_ = 0;
    std::thread thread_;
};

std::shared_ptr<const TlsContext> trusting(const Identity& id) {
    return std::make_shared<const TlsContext>(TlsOptions{id.pemPath, true});
}

std::string readExactly(Transport& t, size_t n) {
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) got += t.readSome(out.data() + got, n - got);
    return out;
}

TEST(Tls, RoundTripsLargeMessagesBothWays) {
    Identity id("IP:127.0.0.1");
    const size_t size = 3 * 1000 * 1000 + 7;
    Peer peer(&id, [&](SSL* ssl) {   // echo `size` bytes
        std::string buf(size, '\0');
        size_t got = 0;
        while (got < size) {
            size_t n = 0;
            if (SSL_read_ex(ssl, buf.data() + got, size - got, &n) != 1) return;
            got += n;
        }
        size_t written = 0;
        SSL_write_ex(ssl, buf.data(), size, &written);
    });
    Socket socket;
    socket.connect("127.0.0.1", peer.port(), 3000, false);
    TlsStream tls(socket, trusting(id), "127.0.0.1");
    tls.handshake(3000);
    EXPECT_NE(tls.describe().find("TLSv1."), std::string::npos);
    std::string data(size, '\0');
    for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>(i * 31 + 7);
    tls.writeAll(data.data(), data.size());
    EXPECT_EQ(readExactly(tls, size), data);
}

TEST(Tls, BufferedRecordsAreReportedSoAPollerNeedNotWaitForThem) {
    Identity id("IP:127.0.0.1");
    Peer peer(&id, [&](SSL* ssl) {
        size_t n;
        SSL_write_ex(ssl, "first", 5, &n);
        SSL_write_ex(ssl, "second", 6, &n);
        char ack;
        SSL_read_ex(ssl, &ack, 1, &n);   // stay open until the client has read
    });
    Socket socket;
    socket.connect("127.0.0.1", peer.port(), 3000, false);
    TlsStream tls(socket, trusting(id), "127.0.0.1");
    tls.handshake(3000);
    std::string all;
    while (all.size() < 11) {
        char c;
        ASSERT_EQ(tls.readSome(&c, 1), 1u);
        all.push_back(c);
        if (all.size() < 5) {
            EXPECT_TRUE(tls.hasBuffered());   // the rest of "first" is decrypted already
        }
    }
    EXPECT_EQ(all, "firstsecond");
    EXPECT_FALSE(tls.hasBuffered());
    tls.writeAll("k", 1);
}

TEST(Tls, AnUntrustedCertificateFailsTheHandshake) {
    Identity server("IP:127.0.0.1");
    Identity stranger("IP:127.0.0.1");
    Peer peer(&server, [](SSL*) {});
    Socket socket;
    socket.connect("127.0.0.1", peer.port(), 3000, false);
    TlsStream tls(socket, trusting(stranger), "127.0.0.1");
    try {
        tls.handshake(3000);
        FAIL() << "handshake succeeded";
    } catch (const TlsError& e) {
        EXPECT_NE(std::string(e.what()).find("certificate is not trusted"), std::string::npos) << e.what();
    }
}

TEST(Tls, TheHostNameMustMatchUnlessVerificationIsOff) {
    Identity id("DNS:db.example.com");
    for (bool verify : {true, false}) {
        Peer peer(&id, [](SSL* ssl) {
            size_t n;
            SSL_write_ex(ssl, "x", 1, &n);
        });
        Socket socket;
        socket.connect("127.0.0.1", peer.port(), 3000, false);
        auto context = verify ? trusting(id) : std::make_shared<const TlsContext>(TlsOptions{"", false});
        TlsStream tls(socket, context, "127.0.0.1");
        if (verify) {
            try {
                tls.handshake(3000);
                FAIL() << "handshake succeeded";
            } catch (const TlsError& e) {
                EXPECT_NE(std::string(e.what()).find("not issued for '127.0.0.1'"), std::string::npos) << e.what();
            }
        } else {
            tls.handshake(3000);
            EXPECT_EQ(readExactly(tls, 1), "x");
        }
    }
}

TEST(Tls, ReadsTimeOutAndAbortWakesThem) {
    Identity id("IP:127.0.0.1");
    std::unique_ptr<Peer> peer;
    peer = std::make_unique<Peer>(&id, [&](SSL*) { peer->holdUntilReleased(); });
    Socket socket;
    socket.connect("127.0.0.1", peer->port(), 3000, false);
    TlsStream tls(socket, trusting(id), "127.0.0.1");
    tls.handshake(3000);
    char c;
    socket.setReadTimeout(100);
    EXPECT_THROW(tls.readSome(&c, 1), TimeoutError);
    socket.setReadTimeout(-1);
    std::thread aborter([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        socket.abort();
    });
    EXPECT_THROW(tls.readSome(&c, 1), NetworkError);
    aborter.join();
}

TEST(Tls, APeerThatDoesNotSpeakTlsFailsOrTimesOutTheHandshake) {
    {
        Peer closes(nullptr, {}, [](int fd) {
            char buf[512];
            [[maybe_unused]] ssize_t n = ::recv(fd, buf, sizeof buf, 0);   // the ClientHello, then close
        });
        Socket socket;
        socket.connect("127.0.0.1", closes.port(), 3000, false);
        TlsStream tls(socket, std::make_shared<const TlsContext>(TlsOptions{"", false}), "127.0.0.1");
        try {
            tls.handshake(3000);
            FAIL() << "handshake succeeded";
        } catch (const TlsError& e) {
            EXPECT_NE(std::string(e.what()).find("does it serve TLS?"), std::string::npos) << e.what();
        }
    }
    {
        std::unique_ptr<Peer> silent;
        silent = std::make_unique<Peer>(nullptr, nullptr, [&](int) { silent->holdUntilReleased(); });
        Socket socket;
        socket.connect("127.0.0.1", silent->port(), 3000, false);
        TlsStream tls(socket, std::make_shared<const TlsContext>(TlsOptions{"", false}), "127.0.0.1");
        EXPECT_THROW(tls.handshake(150), TimeoutError);
    }
}

TEST(Tls, AMissingCaFileIsNamed) {
    try {
        TlsContext context(TlsOptions{"/nonexistent/ca.pem", true});
        FAIL() << "loaded";
    } catch (const TlsError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/ca.pem"), std::string::npos) << e.what();
    }
}

}   // namespace
