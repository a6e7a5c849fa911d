#include "net/login.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstring>
#include <memory>

#include "errors.h"

namespace ddb {

namespace {

Value stringScalar(const std::string& text) {
    Value v;
    v.column.rawType = static_cast<uint8_t>(Type::String);
    v.column.length = 1;
    v.column.offsets = Buffer::allocate(2 * sizeof(int64_t));
    v.column.offsets->as<int64_t>()[0] = 0;
    v.column.offsets->as<int64_t>()[1] = static_cast<int64_t>(text.size());
    v.column.data = Buffer::allocate(text.size());
    if (!text.empty()) std::memcpy(v.column.data->data(), text.data(), text.size());
    return v;
}

Value boolScalar(bool b) {
    Value v;
    v.column.rawType = static_cast<uint8_t>(Type::Bool);
    v.column.length = 1;
    v.column.data = Buffer::allocate(1);
    v.column.data->data()[0] = b ? 1 : 0;
    return v;
}

struct KeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct ContextFree {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

[[noreturn]] void refuse(const std::string& why) { throw AuthenticationError("Encrypted login failed: " + why); }

Key readPublicKey(const std::string& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    if (!bio) refuse("out of memory");
    Key key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key || EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA)
        refuse("the server's getDynamicPublicKey() is not a PEM RSA public key");
    return key;
}

std::string encryptBase64(EVP_PKEY* key, const std::string& plain) {
    std::unique_ptr<EVP_PKEY_CTX, ContextFree> ctx(EVP_PKEY_CTX_new(key, nullptr));
    size_t size = 0;
    if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) <= 0 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0 ||
        EVP_PKEY_encrypt(ctx.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(plain.data()), plain.size()) <= 0)
        refuse("the server's RSA key cannot encrypt");
    std::string cipher(size, '\0');
    if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(cipher.data()), &size,
                         reinterpret_cast<const unsigned char*>(plain.data()), plain.size()) <= 0)
        refuse("the user name or password is too long for the server's RSA key");
    cipher.resize(size);
    std::string text(4 * ((size + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), reinterpret_cast<const unsigned char*>(cipher.data()),
                            static_cast<int>(size));
    text.resize(static_cast<size_t>(n));
    return text;
}

}   // namespace

std::vector<Value> encryptedLoginArguments(const std::string& user, const std::string& password,
                                           const std::string& publicKeyPem) {
    Key key = readPublicKey(publicKeyPem);
    return {stringScalar(encryptBase64(key.get(), user)), stringScalar(encryptBase64(key.get(), password)), boolScalar(true)};
}

std::vector<Value> plainLoginArguments(const std::string& user, const std::string& password) {
    return {stringScalar(user), stringScalar(password), boolScalar(false)};
}

}   // namespace ddb
