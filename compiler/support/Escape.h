// Names in a model are data chosen by whoever wrote it: printed in a message or written
// into a C comment they must not break the line, start or end the comment, or reorder
// the text around them. These escape them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rnnpoolc {

namespace detail {

/// Decodes one UTF-8 sequence at text[k]: its code point and length, or length 0 when the
/// bytes there are not well-formed UTF-8 (overlong forms and surrogates included).
inline size_t decodeUtf8(std::string_view text, size_t k, uint32_t &cp) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b = byte(k);
  size_t n = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
  if (n == 0 || k + n > text.size())
    return 0;
  cp = n == 1 ? b : b & (0x7F >> n);
  for (size_t i = 1; i < n; ++i) {
    if ((byte(k + i) & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (byte(k + i) & 0x3F);
  }
  static constexpr uint32_t kLeast[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kLeast[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

/// Code points that are invisible or change the display order of the text around them:
/// controls of Latin-1, bidirectional embeddings, overrides, isolates and marks,
/// zero-width characters, line and paragraph separators, the byte-order mark.
inline bool isFormatCharacter(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0xAD || cp == 0x61C || cp == 0x180E ||
         (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
         (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB);
}

inline std::string hexByte(unsigned char b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return {'\\', 'x', kDigits[b >> 4], kDigits[b & 15]};
}

inline std::string codePoint(uint32_t cp) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s = "\\u{";
  bool started = false;
  for (int shift = 20; shift >= 0; shift -= 4) {
    unsigned digit = (cp >> shift) & 15;
    if (digit || started || shift == 0)
      s += kDigits[digit], started = true;
  }
  return s + "}";
}

} // namespace detail

/// `text` as one line of readable text: control characters (newline, carriage return,
/// escape, ...) become \n, \r, \t or \xNN, format characters (bidirectional overrides,
/// zero-width spaces, ...) become \u{NNNN}, bytes that are not UTF-8 become \xNN, and a
/// backslash is doubled, so that a name spelling "\n" cannot pass for a newline; every
/// other character, ASCII or not, stays as it is.
inline std::string escapeForMessage(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t k = 0; k < text.size();) {
    const auto b = static_cast<unsigned char>(text[k]);
    if (b == '\n' || b == '\r' || b == '\t' || b == '\\') {
      out += b == '\n' ? "\\n" : b == '\r' ? "\\r" : b == '\t' ? "\\t" : "\\\\";
      ++k;
      continue;
    }
    if (b < 0x20 || b == 0x7F) {
      out += detail::hexByte(b);
      ++k;
      continue;
    }
    uint32_t cp = 0;
    size_t n = detail::decodeUtf8(text, k, cp);
    if (n == 0) {
      out += detail::hexByte(b);
      ++k;
    } else if (detail::isFormatCharacter(cp)) {
      out += detail::codePoint(cp);
      k += n;
    } else {
      out.append(text.substr(k, n));
      k += n;
    }
  }
  return out;
}

/// `text` for the inside of a C block comment: printable ASCII only (anything else as
/// \xNN or \u{NNNN}, as escapeForMessage), with no comment delimiter ("/*", "*/"), no
/// trigraph ("??" starts every one) and no trailing backslash (a line splice), so that it
/// compiles under -Wall -Wextra -Werror -pedantic whatever the name.
inline std::string commentSafe(std::string_view text) {
  std::string out;
  auto put = [&](char c) {
    // A space between the two characters of "*/", "/*" and "??".
    if (!out.empty() && ((out.back() == '*' && c == '/') || (out.back() == '/' && c == '*') ||
                         (out.back() == '?' && c == '?')))
      out += ' ';
    out += c;
  };
  for (size_t k = 0; k < text.size();) {
    const auto b = static_cast<unsigned char>(text[k]);
    if (b >= 0x20 && b < 0x7F) {
      put(static_cast<char>(b));
      ++k;
      continue;
    }
    uint32_t cp = 0;
    size_t n = b < 0x80 ? 0 : detail::decodeUtf8(text, k, cp);
    std::string escaped = n ? detail::codePoint(cp) : detail::hexByte(b);
    for (char c : escaped)
      put(c);
    k += n ? n : 1;
  }
  if (!out.empty() && out.back() == '\\')
    out += ' ';
  return out;
}

} // namespace rnnpoolc
