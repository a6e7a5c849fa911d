// The arguments of the login function call (PROTOCOL.md §1.4): login(user, password, encrypted).
// Encrypted, as the official C++ and Java clients log in by default: the user id and the
// password are each encrypted with the server's RSA public key (the PEM text
// getDynamicPublicKey() returns) with PKCS#1 v1.5 padding and base64-encoded, so neither
// crosses the network in clear.
#pragma once

#include <string>
#include <vector>

#include "protocol/value.h"

namespace ddb {

// Throws AuthenticationError when the key cannot be read or used.
std::vector<Value> encryptedLoginArguments(const std::string& user, const std::string& password, const std::string& publicKeyPem);
std::vector<Value> plainLoginArguments(const std::string& user, const std::string& password);

}   // namespace ddb
