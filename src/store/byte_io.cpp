// src/store/byte_io.cpp - the little-endian byte_writer (buffered or streaming) and the checked
// byte_reader of state payloads (state_file.hpp).
#include "store/state_file.hpp"

#include <algorithm>
#include <string>

namespace retold::detail {

// ---- byte_writer

void byte_writer::flush() {
  if (!sink_ || buf_.empty()) return;
  sink_->write(buf_);
  buf_.clear();  // keeps the capacity: one buffer for the whole payload
}

void byte_writer::raw(std::span<const std::uint8_t> b) {
  if (sink_ && b.size() >= flush_bytes_) {  // a large item goes out directly, never copied
    flush();
    sink_->write(b);
    return;
  }
  buf_.insert(buf_.end(), b.begin(), b.end());
  spill();
}

// Streaming: in pieces of about flush_bytes, so an array never sits whole in the buffer.
template <class T, class Put>
void byte_writer::array(std::span<const T> a, Put put) {
  u64(a.size());
  const std::size_t piece = sink_ ? std::max<std::size_t>(1, flush_bytes_ / sizeof(T)) : a.size();
  for (std::size_t i = 0; i < a.size(); i += piece) {
    const std::size_t n = std::min(piece, a.size() - i);
    buf_.reserve(buf_.size() + n * sizeof(T));
    for (std::size_t k = i; k < i + n; ++k) put(a[k]);
    spill();
  }
}

void byte_writer::u32_array(std::span<const std::uint32_t> a) {
  array(a, [this](std::uint32_t v) { put_le(v); });
}
void byte_writer::f32_array(std::span<const float> a) {
  array(a, [this](float v) {
    std::uint32_t b;
    std::memcpy(&b, &v, 4);
    put_le(b);
  });
}
void byte_writer::u64_array(std::span<const std::uint64_t> a) {
  array(a, [this](std::uint64_t v) { put_le(v); });
}

// ---- byte_reader

void byte_reader::fail(const std::string& why) const {
  throw error(errc::corrupted_state, what_ + ": " + why + " (at byte " + std::to_string(pos_) + " of " +
                                         std::to_string(data_.size()) + ")");
}
void byte_reader::need(std::size_t n) const {
  if (n > remaining())
    fail("truncated: needs " + std::to_string(n) + " more bytes, " + std::to_string(remaining()) + " left");
}
void byte_reader::expect_end() const {
  if (remaining() != 0) fail(std::to_string(remaining()) + " unexpected trailing bytes");
}
std::uint8_t byte_reader::u8() {
  need(1);
  return data_[pos_++];
}
std::uint32_t byte_reader::u32() {
  need(4);
  const auto v = load_le32(data_.data() + pos_);
  pos_ += 4;
  return v;
}
std::uint64_t byte_reader::u64() {
  need(8);
  const auto v = load_le64(data_.data() + pos_);
  pos_ += 8;
  return v;
}
float byte_reader::f32() {
  const std::uint32_t b = u32();
  float v;
  std::memcpy(&v, &b, 4);
  return v;
}
double byte_reader::f64() {
  const std::uint64_t b = u64();
  double v;
  std::memcpy(&v, &b, 8);
  return v;
}
std::string byte_reader::str(std::size_t max_len) {
  const std::uint64_t n = u64();
  if (n > max_len) fail("string length " + std::to_string(n) + " exceeds the limit " + std::to_string(max_len));
  need(static_cast<std::size_t>(n));
  std::string s(reinterpret_cast<const char*>(data_.data() + pos_), static_cast<std::size_t>(n));
  pos_ += static_cast<std::size_t>(n);
  return s;
}
std::vector<std::uint8_t> byte_reader::bytes(std::size_t max_len) {
  const std::uint64_t n = u64();
  if (n > max_len) fail("byte string length " + std::to_string(n) + " exceeds the limit " + std::to_string(max_len));
  need(static_cast<std::size_t>(n));
  std::vector<std::uint8_t> b(data_.begin() + static_cast<std::ptrdiff_t>(pos_),
                              data_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
  pos_ += static_cast<std::size_t>(n);
  return b;
}
std::vector<std::uint32_t> byte_reader::u32_array() {
  const std::uint64_t n = u64();
  if (n > remaining() / 4) fail("array of " + std::to_string(n) + " u32 exceeds the remaining bytes");
  std::vector<std::uint32_t> a(static_cast<std::size_t>(n));
  for (auto& v : a) v = load_le32(data_.data() + pos_), pos_ += 4;
  return a;
}
std::vector<float> byte_reader::f32_array() {
  const std::uint64_t n = u64();
  if (n > remaining() / 4) fail("array of " + std::to_string(n) + " f32 exceeds the remaining bytes");
  std::vector<float> a(static_cast<std::size_t>(n));
  for (auto& v : a) {
    const std::uint32_t b = load_le32(data_.data() + pos_);
    std::memcpy(&v, &b, 4);
    pos_ += 4;
  }
  return a;
}
std::vector<std::uint64_t> byte_reader::u64_array() {
  const std::uint64_t n = u64();
  if (n > remaining() / 8) fail("array of " + std::to_string(n) + " u64 exceeds the remaining bytes");
  std::vector<std::uint64_t> a(static_cast<std::size_t>(n));
  for (auto& v : a) v = load_le64(data_.data() + pos_), pos_ += 8;
  return a;
}

}  // namespace retold::detail
