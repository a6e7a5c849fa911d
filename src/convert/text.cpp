#include "convert/text.h"

#include <cstdio>
#include <cstring>

namespace ddbpy::text {

namespace {
constexpr char kHex[] = "0123456789abcdef";

// Big-endian hex of the 16 wire (little-endian) bytes.
void hex(const uint8_t* p, char* out) {
    for (int i = 0; i < 16; ++i) {
        uint8_t b = p[15 - i];
        out[2 * i] = kHex[b >> 4];
        out[2 * i + 1] = kHex[b & 15];
    }
}

int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// 32 hex digits (big-endian text) into 16 wire bytes.
bool fromHex(std::string_view digits, uint8_t* out) {
    if (digits.size() != 32) return false;
    for (int i = 0; i < 16; ++i) {
        int hi = hexDigit(digits[2 * i]), lo = hexDigit(digits[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[15 - i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return true;
}
}   // namespace

bool allZero(const uint8_t* p) {
    for (int i = 0; i < 16; ++i)
        if (p[i]) return false;
    return true;
}

bool isAscii(const uint8_t* p, size_t n) {
    uint64_t high = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t word;
        std::memcpy(&word, p + i, 8);
        high |= word;
    }
    for (; i < n; ++i) high |= p[i];
    return !(high & 0x8080808080808080ULL);
}

bool validUtf8(const uint8_t* p, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t word;
            std::memcpy(&word, p + i, 8);
            if (!(word & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        uint8_t c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) len = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef) len = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4) len = 4, cp = c & 0x07;
        else return false;
        if (i + len > n) return false;
        for (size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xc0) != 0x80) return false;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        i += len;
    }
    return true;
}

std::string int128(const uint8_t* p) {
    std::string s(32, '0');
    hex(p, s.data());
    return s;
}

std::string uuid(const uint8_t* p) {
    char h[32];
    hex(p, h);
    std::string s;
    s.reserve(36);
    s.append(h, 8).push_back('-');
    s.append(h + 8, 4).push_back('-');
    s.append(h + 12, 4).push_back('-');
    s.append(h + 16, 4).push_back('-');
    s.append(h + 20, 12);
    return s;
}

std::string ipaddr(const uint8_t* p) {
    bool v4 = true;
    for (int i = 4; i < 16; ++i)
        if (p[i]) v4 = false;
    char buf[48];
    if (v4) {
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", p[3], p[2], p[1], p[0]);
        return buf;
    }
    // The official client's IPv6 text (reproduced, quirks included): group g (0 = most
    // significant) is wire bytes (15-2g, 14-2g); a group counts as zero for "::" when the wire
    // bytes (2w-1, 2w), w = 7-g, are zero -- one byte off, so a following group's zero high
    // byte counts and a preceding group's low byte is ignored. Only groups 1..6 are candidates;
    // the first run of >= 2 such groups in printing order becomes "::".
    auto zero = [&](int g) {
        int w = 7 - g;
        return p[2 * w - 1] == 0 && p[2 * w] == 0;
    };
    int from = -1, to = -1;
    for (int g = 1; g <= 6 && from < 0; ++g) {
        if (!zero(g)) continue;
        int e = g;
        while (e + 1 <= 6 && zero(e + 1)) ++e;
        if (e - g + 1 >= 2) from = g, to = e;
        g = e;
    }
    std::string out;
    for (int g = 0; g < 8; ++g) {
        if (g == from) {
            out += "::";
            g = to;
            continue;
        }
        if (!out.empty() && out.back() != ':') out.push_back(':');
        std::snprintf(buf, sizeof buf, "%x", (p[15 - 2 * g] << 8) | p[14 - 2 * g]);
        out += buf;
    }
    return out;
}

std::string decimal(__int128 raw, int scale) {
    bool neg = raw < 0;
    unsigned __int128 u = neg ? -static_cast<unsigned __int128>(raw) : static_cast<unsigned __int128>(raw);
    char digits[64];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + static_cast<int>(u % 10));
        u /= 10;
    } while (u);
    while (n <= scale) digits[n++] = '0';   // at least one digit before the point
    std::string s;
    s.reserve(static_cast<size_t>(n) + 2);
    if (neg) s.push_back('-');
    for (int i = n - 1; i >= 0; --i) {
        s.push_back(digits[i]);
        if (i == scale && scale > 0) s.push_back('.');
    }
    return s;
}

bool parseInt128(std::string_view s, uint8_t* out) {
    if (s.empty()) {
        std::memset(out, 0, 16);
        return true;
    }
    return fromHex(s, out);
}

bool parseUuid(std::string_view s, uint8_t* out) {
    if (s.empty()) {
        std::memset(out, 0, 16);
        return true;
    }
    if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return false;
    std::string digits;
    for (char c : s)
        if (c != '-') digits.push_back(c);
    return fromHex(digits, out);
}

bool parseIpaddr(std::string_view s, uint8_t* out) {
    std::memset(out, 0, 16);
    if (s.empty()) return true;
    if (s.find(':') == std::string_view::npos) {   // IPv4
        unsigned parts[4];
        int at = 0;
        size_t i = 0;
        for (; at < 4; ++at) {
            if (i >= s.size() || hexDigit(s[i]) < 0 || s[i] > '9') return false;
            unsigned v = 0;
            int len = 0;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9' && len < 4) v = v * 10 + (s[i++] - '0'), ++len;
            if (v > 255) return false;
            parts[at] = v;
            if (at < 3) {
                if (i >= s.size() || s[i] != '.') return false;
                ++i;
            }
        }
        if (i != s.size()) return false;
        for (int k = 0; k < 4; ++k) out[3 - k] = static_cast<uint8_t>(parts[k]);
        return true;
    }
    // IPv6, with at most one "::".
    uint16_t groups[8] = {};
    int head = 0, tail = 0;
    uint16_t tailGroups[8];
    bool sawGap = false;
    size_t i = 0;
    if (s.substr(0, 2) == "::" || (s.size() >= 2 && s.substr(s.size() - 2) == "::")) return false;   // as the official
    while (i < s.size()) {
        unsigned v = 0;
        int len = 0;
        while (i < s.size() && hexDigit(s[i]) >= 0 && len < 5) v = v * 16 + hexDigit(s[i++]), ++len;
        if (len == 0 || len > 4) return false;
        if (sawGap) {
            if (tail >= 8) return false;
            tailGroups[tail++] = static_cast<uint16_t>(v);
        } else {
            if (head >= 8) return false;
            groups[head++] = static_cast<uint16_t>(v);
        }
        if (i == s.size()) break;
        if (s[i] != ':') return false;
        ++i;
        if (i < s.size() && s[i] == ':') {
            if (sawGap) return false;
            sawGap = true;
            ++i;
        } else if (i == s.size()) {
            return false;
        }
    }
    if (sawGap ? head + tail > 7 : head != 8) return false;
    for (int k = 0; k < tail; ++k) groups[8 - tail + k] = tailGroups[k];
    for (int g = 0; g < 8; ++g) {
        out[15 - 2 * g] = static_cast<uint8_t>(groups[g] >> 8);
        out[14 - 2 * g] = static_cast<uint8_t>(groups[g] & 0xff);
    }
    return true;
}

std::string wide(ddb::Type t, const uint8_t* p) {
    return t == ddb::Type::Uuid ? uuid(p) : t == ddb::Type::IpAddr ? ipaddr(p) : int128(p);
}

bool parseWide(ddb::Type t, std::string_view s, uint8_t* out) {
    return t == ddb::Type::Uuid ? parseUuid(s, out) : t == ddb::Type::IpAddr ? parseIpaddr(s, out) : parseInt128(s, out);
}

}   // namespace ddbpy::text
