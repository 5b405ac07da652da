// A minimal streaming JSON writer for reports (inspect --json, plan JSON). Output is
// deterministic: keys come out in the order they are written.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rnnpoolc {

class JsonWriter {
public:
  JsonWriter &beginObject() { return open('{'); }
  JsonWriter &endObject() { return close('}'); }
  JsonWriter &beginArray() { return open('['); }
  JsonWriter &endArray() { return close(']'); }

  /// Writes the key of the next member of the current object.
  JsonWriter &key(std::string_view k) {
    separate();
    quote(k);
    out_ += ": ";
    afterKey_ = true;
    return *this;
  }

  JsonWriter &value(std::string_view s) {
    separate();
    quote(s);
    return *this;
  }
  JsonWriter &value(const char *s) { return value(std::string_view(s)); }
  JsonWriter &value(bool b) { return raw(b ? "true" : "false"); }
  JsonWriter &value(int64_t n) { return raw(std::to_string(n)); }
  JsonWriter &value(int n) { return value(static_cast<int64_t>(n)); }
  JsonWriter &value(size_t n) { return raw(std::to_string(n)); }
  JsonWriter &value(double d) {
    if (!std::isfinite(d))
      return raw("null");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", d);
    return raw(buf);
  }
  JsonWriter &value(const std::vector<int64_t> &ints) {
    beginArray();
    for (int64_t v : ints)
      value(v);
    return endArray();
  }

  template <typename T> JsonWriter &member(std::string_view k, const T &v) {
    key(k);
    return value(v);
  }

  const std::string &str() const { return out_; }

private:
  JsonWriter &open(char c) {
    separate();
    out_ += c;
    first_.push_back(true);
    return *this;
  }
  JsonWriter &close(char c) {
    bool empty = first_.back();
    first_.pop_back();
    if (!empty)
      newline();
    out_ += c;
    return *this;
  }
  JsonWriter &raw(std::string_view text) {
    separate();
    out_ += text;
    return *this;
  }
  void separate() {
    if (afterKey_) {
      afterKey_ = false;
      return;
    }
    if (first_.empty())
      return;
    if (!first_.back())
      out_ += ',';
    first_.back() = false;
    newline();
  }
  void newline() {
    out_ += '\n';
    out_.append(2 * first_.size(), ' ');
  }
  void quote(std::string_view s) {
    out_ += '"';
    for (char c : s) {
      switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\t': out_ += "\\t"; break;
      case '\r': out_ += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out_ += buf;
        } else {
          out_ += c;
        }
      }
    }
    out_ += '"';
  }

  std::string out_;
  std::vector<bool> first_;
  bool afterKey_ = false;
};

} // namespace rnnpoolc
