// Names are data: escapeForMessage keeps any name on one line and can be read back
// exactly; commentSafe keeps it inside a C comment. Checked on hand-picked names and on
// random byte strings against a decoder written here.
#include "compiler/support/Escape.h"

#include <catch2/catch.hpp>

#include <random>

using namespace rnnpoolc;

namespace {

std::string utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

/// The inverse of escapeForMessage, as a reader of the message would apply it.
std::string unescape(const std::string &text) {
  std::string out;
  for (size_t k = 0; k < text.size(); ++k) {
    if (text[k] != '\\') {
      out += text[k];
      continue;
    }
    REQUIRE(k + 1 < text.size());
    const char c = text[++k];
    if (c == 'n' || c == 'r' || c == 't' || c == '\\') {
      out += c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : '\\';
    } else if (c == 'x') {
      REQUIRE(k + 2 < text.size());
      out += static_cast<char>(std::stoi(text.substr(k + 1, 2), nullptr, 16));
      k += 2;
    } else {
      REQUIRE(c == 'u');
      const size_t close = text.find('}', k);
      REQUIRE(close != std::string::npos);
      out += utf8(static_cast<uint32_t>(std::stoul(text.substr(k + 2, close - k - 2), nullptr, 16)));
      k = close;
    }
  }
  return out;
}

std::string randomBytes(std::mt19937 &rng) {
  // Mostly the bytes that matter: controls, '\\', '/', '*', '?', UTF-8 lead and
  // continuation bytes, with some plain letters.
  static constexpr unsigned char kAlphabet[] = {'\n', '\r', '\t', 0x1B, 0x7F, '\\', '/', '*', '?',
                                                'a', 'n', 'x', 'u', '{', '}', 0xC3, 0xA9,
                                                0xE2, 0x80, 0xAE, 0xFF, 0xF0, 0x9F, 0x98, 0x80};
  std::uniform_int_distribution<size_t> length(0, 24), pick(0, sizeof(kAlphabet) - 1);
  std::string s(length(rng), ' ');
  for (char &c : s)
    c = static_cast<char>(kAlphabet[pick(rng)]);
  return s;
}

} // namespace

TEST_CASE("escapeForMessage keeps a name on one line and tells escapes from look-alikes") {
  CHECK(escapeForMessage("conv/1") == "conv/1");
  CHECK(escapeForMessage("a\nb") == "a\\nb");
  CHECK(escapeForMessage("a\\nb") == "a\\\\nb"); // spelt out, not a newline
  CHECK(escapeForMessage("a\x1b[31m") == "a\\x1b[31m");
  CHECK(escapeForMessage("caf\xc3\xa9") == "caf\xc3\xa9");   // UTF-8 stays readable
  CHECK(escapeForMessage("x\xe2\x80\xaey") == "x\\u{202e}y"); // a right-to-left override
  CHECK(escapeForMessage("\xff") == "\\xff");                 // not UTF-8
}

TEST_CASE("escapeForMessage reads back exactly, on one line, for any bytes") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    const std::string name = randomBytes(rng);
    const std::string escaped = escapeForMessage(name);
    INFO("trial " << trial);
    for (char c : escaped)
      CHECK((static_cast<unsigned char>(c) >= 0x20 && c != 0x7F));
    CHECK(unescape(escaped) == name);
  }
}

TEST_CASE("commentSafe output cannot end, open or splice a C comment") {
  CHECK(commentSafe("a*/b") == "a* /b");
  CHECK(commentSafe("a/*b") == "a/ *b");
  CHECK(commentSafe("?\?=") == "? ?=");
  CHECK(commentSafe("end\\") == "end\\ ");
  std::mt19937 rng(11);
  for (int trial = 0; trial < 2000; ++trial) {
    const std::string text = commentSafe(randomBytes(rng));
    INFO("trial " << trial << ": " << text);
    for (char c : text)
      CHECK((c >= 0x20 && c < 0x7F));
    CHECK(text.find("*/") == std::string::npos);
    CHECK(text.find("/*") == std::string::npos);
    CHECK(text.find("??") == std::string::npos);
    CHECK((text.empty() || text.back() != '\\'));
  }
}
