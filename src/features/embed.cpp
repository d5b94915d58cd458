// The built-in TF-IDF embedder (see include/retold/embed.hpp for the model).
#include <retold/embed.hpp>
#include <retold/error.hpp>

#include "features/detail/embed_simd.hpp"
#include "features/detail/hash_mix.hpp"

#include <Eigen/Core>
#define XXH_INLINE_ALL  // short inputs dominate: let the compiler inline XXH3
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <cstdlib>
#include <new>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define RETOLD_EMBED_AVX512 1
#endif

namespace retold {
namespace {

// Kinds live in the two low bits of a term hash.
constexpr std::uint64_t kind_word = 0;
constexpr std::uint64_t kind_number = 1;
constexpr std::uint64_t kind_char = 2;
constexpr std::uint64_t kind_ngram = 3;

constexpr std::uint64_t seed_mix = 0x9E3779B97F4A7C15ULL;

inline std::uint64_t tag(std::uint64_t h, std::uint64_t kind) noexcept { return (h & ~std::uint64_t{3}) | kind; }

inline bool is_continuation(unsigned char c) noexcept { return (c & 0xC0) == 0x80; }

// Whether a token is all ASCII and whether it holds an ASCII digit, in one pass, eight bytes at a
// time (a digit test and an ASCII test, byte by byte, were a tenth of extract()).
struct token_bytes {
  bool ascii = true;
  bool digit = false;
};
// `tail8`: the 8 bytes from the token's last (partial) group of 8 may be read, so its tail is
// one masked word instead of a loop over bytes (zero bytes are neither high nor digits).
inline token_bytes scan_token(std::string_view tok, bool tail8 = false) noexcept {
  token_bytes r;
  const char* p = tok.data();
  std::size_t n = tok.size(), i = 0;
  std::uint64_t high = 0, digits = 0;
  for (; i + 8 <= n || (tail8 && i < n); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (i + 8 > n) {  // the masked tail: keep the token's n - i bytes (1..7)
      const unsigned drop = 8 * static_cast<unsigned>(8 - (n - i));
      w &= std::endian::native == std::endian::little ? ~std::uint64_t{0} >> drop : ~std::uint64_t{0} << drop;
    }
    high |= w;
    // Bytes 0x30..0x39: (b ^ 0x30) < 10 for ASCII bytes, found per byte without carries between
    // bytes: ((x & 0x7F) + 0x76) sets bit 7 exactly when x & 0x7F >= 10.
    const std::uint64_t x = w ^ 0x3030303030303030ULL;
    const std::uint64_t ge10 = ((x & 0x7F7F7F7F7F7F7F7FULL) + 0x7676767676767676ULL) | x;
    digits |= ~ge10 & ~w & 0x8080808080808080ULL;
  }
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    high |= c;
    digits |= (c >= '0' && c <= '9') ? 0x80u : 0u;
  }
  r.ascii = (high & 0x8080808080808080ULL) == 0;
  r.digit = digits != 0;
  return r;
}

using detail::fmix64;

// Hash of a character n-gram's bytes. Windows of up to 8 bytes (every ASCII 4-gram, most
// 2-byte-script 4-grams) are read as one little-endian integer and mixed with the murmur3
// finalizer, a bijection, so distinct windows of one length never collide; longer ones go through
// XXH3. `p` must have 8 readable bytes (extract pads its buffer). Both paths of extract() use
// this function, so a gram hashes the same in any word and on any host.
inline std::uint64_t gram_hash(const char* p, std::size_t len, std::uint64_t seed) noexcept {
  if (len <= 8) {
    std::uint64_t x;
    std::memcpy(&x, p, 8);
    if constexpr (std::endian::native == std::endian::big) x = __builtin_bswap64(x);
    if (len < 8) x &= (std::uint64_t{1} << (8 * len)) - 1;
    return fmix64(x ^ seed ^ (0x9E3779B97F4A7C15ULL * (len + 1)));
  }
  return XXH3_64bits_withSeed(p, len, seed);
}

// A hashed term and how often it occurs.
struct hc {
  std::uint64_t h;
  std::uint32_t c;
};

// Writes the distinct hashes of v[0 .. n) in ascending order to terms[] and the sum of their
// counts, as floats added in the order of v, to counts[]; returns how many. Both outputs have room
// for n. The hashes are uniformly distributed 64-bit values: two counting passes order them by
// their top 16 bits (tmp), then one pass inserts each into the output, which is sorted so far,
// merging it with an equal hash: almost always at the end. Crafted input could give many hashes
// the same top bits; the insertions give up after a budget of moves (8 per value, plus a
// constant) and a stable sort does the rest: O(n log n) at worst.
std::size_t sort_merge(const hc* v, std::size_t n, std::vector<hc>& tmp, std::vector<std::uint32_t>& hist,
                       std::uint64_t* terms, float* counts) {
  const hc* in = v;
  if (n >= 64) {  // fewer: inserting them in place is cheaper than the passes
    // Two stable counting passes (LSD radix) on bits 48..55, then 56..63: ordered by the top 16
    // bits, with equal hashes in the order of v. A few thousand values rarely share 16 bits, so
    // the insertion below seldom moves one (and its branches are predictable).
    hist.assign(512, 0);
    std::uint32_t* const lo = hist.data();
    std::uint32_t* const hi = lo + 256;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t h = v[i].h;
      ++lo[(h >> 48) & 0xFF];
      ++hi[h >> 56];
    }
    std::uint32_t sl = 0, sh = 0;
    for (std::size_t b = 0; b < 256; ++b) {
      const std::uint32_t a = lo[b], c = hi[b];
      lo[b] = sl;
      hi[b] = sh;
      sl += a;
      sh += c;
    }
    if (tmp.size() < 2 * n) tmp.resize(2 * n);
    hc* const t = tmp.data();
    hc* const t2 = t + n;
    for (std::size_t i = 0; i < n; ++i) t[lo[(v[i].h >> 48) & 0xFF]++] = v[i];
    for (std::size_t i = 0; i < n; ++i) t2[hi[t[i].h >> 56]++] = t[i];
    in = t2;
  }
  if (n == 0) return 0;
  terms[0] = in[0].h;
  counts[0] = static_cast<float>(in[0].c);
  std::size_t u = 1, budget = 8 * n + 4096;  // 4,096: more than any insertion sort of < 64 values
  for (std::size_t i = 1; i < n; ++i) {
    const std::uint64_t h = in[i].h;
    const float c = static_cast<float>(in[i].c);
    const std::uint64_t prev = terms[u - 1];
    if (prev <= h) [[likely]] {  // in order already: append, or add to the last (no branch)
      const bool dup = prev == h;
      counts[u - 1] += dup ? c : 0.0f;  // + 0 leaves a count (>= 1) exactly as it is
      terms[u] = h;
      counts[u] = c;
      u += dup ? 0 : 1;
      continue;
    }
    std::size_t j = u - 1;
    while (j > 0 && terms[j - 1] > h) --j;
    if (terms[j] == h) {
      counts[j] += c;
    } else if (j > 0 && terms[j - 1] == h) {
      counts[j - 1] += c;
    } else {
      const std::size_t moves = u - j;
      if (moves > budget) [[unlikely]] {
        // The slow way from here: the values not yet placed, stably sorted, merged into the
        // output with the same float additions in the same order.
        std::vector<hc> rest(in + i, in + n);
        std::stable_sort(rest.begin(), rest.end(), [](const hc& a, const hc& b) { return a.h < b.h; });
        std::vector<std::uint64_t> t0(terms, terms + u);
        std::vector<float> c0(counts, counts + u);
        std::size_t a = 0, r = 0, k = 0;
        while (a < u || r < rest.size()) {
          if (r == rest.size() || (a < u && t0[a] <= rest[r].h)) {
            const std::uint64_t x = t0[a];
            float sum = c0[a++];
            // equal hashes later in v were placed after the earlier ones: add them after
            while (r < rest.size() && rest[r].h == x) sum += static_cast<float>(rest[r++].c);
            terms[k] = x;
            counts[k++] = sum;
          } else {
            const std::uint64_t x = rest[r].h;
            float sum = static_cast<float>(rest[r++].c);
            while (r < rest.size() && rest[r].h == x) sum += static_cast<float>(rest[r++].c);
            terms[k] = x;
            counts[k++] = sum;
          }
        }
        return k;
      }
      budget -= moves;
      for (std::size_t k = u; k > j; --k) {
        terms[k] = terms[k - 1];
        counts[k] = counts[k - 1];
      }
      terms[j] = h;
      counts[j] = c;
      ++u;
    }
  }
  return u;
}

// A distinct token of the document: its hash, how often it occurs, and where it first occurs.
struct word_slot {
  std::uint64_t h;
  std::uint32_t count;
  std::uint32_t first;
};

struct scratch {
  std::vector<hc> hashes;  // the terms as generated (sized to the largest bound seen: no clearing)
  std::vector<hc> tmp;
  // Open-addressing table of distinct tokens. A slot is in use when its stamp equals `gen`, the
  // number of the current call, so a call starts with an empty table without clearing it.
  std::vector<word_slot> words;
  std::vector<std::uint32_t> stamps;
  std::uint32_t gen = 0;
  std::vector<std::uint32_t> distinct;
  std::vector<std::uint32_t> hist;
  std::vector<std::string_view> toks;
  std::string padded;
  std::vector<std::uint32_t> offsets;
};

// ln(1 + k) as float(std::log1p(double(k))), looked up instead of computed: the per-term idf
// and sublinear tf need no log call. The first 4,096 values are built at start; above them the
// table grows in chunks of 4,096 values on first use, up to 2^24 (a document frequency past
// 4,096 is every term of a common word at 100k documents, and computing its log was the one
// cost of an embedding that grew with the corpus). Chunks are published with a compare-exchange,
// so concurrent readers never lock; a chunk holds exactly the values std::log1p gives, so a
// lookup equals the computation whichever thread filled it. Past 2^24, or when a chunk cannot be
// allocated, the value is computed.
class log_table {
 public:
  log_table() {
    for (std::size_t k = 0; k < chunk; ++k) first_[k] = exact(k);
  }
  ~log_table() {
    for (auto& c : more_) delete[] c.load(std::memory_order_acquire);
  }
  log_table(const log_table&) = delete;
  log_table& operator=(const log_table&) = delete;

  /// ln(1 + k) for k < small_count, an array (the projection kernel gathers from it).
  static constexpr std::size_t small_count = std::size_t{1} << 12;
  const float* small() const noexcept { return first_.data(); }

  float log1p(std::uint64_t k) const noexcept {
    if (k < chunk) [[likely]] return first_[k];
    const std::uint64_t c = k >> chunk_bits;
    if (c >= chunks) return exact(k);
    const float* p = more_[c].load(std::memory_order_acquire);
    if (p == nullptr) [[unlikely]] {
      p = fill(static_cast<std::size_t>(c));
      if (p == nullptr) return exact(k);
    }
    return p[k & (chunk - 1)];
  }

 private:
  static constexpr std::size_t chunk_bits = 12, chunk = std::size_t{1} << chunk_bits;
  static constexpr std::size_t chunks = std::size_t{1} << (24 - chunk_bits);
  static float exact(std::uint64_t k) noexcept { return static_cast<float>(std::log1p(static_cast<double>(k))); }

  const float* fill(std::size_t c) const noexcept {
    float* fresh = new (std::nothrow) float[chunk];
    if (fresh == nullptr) return nullptr;
    for (std::size_t i = 0; i < chunk; ++i) fresh[i] = exact((std::uint64_t{c} << chunk_bits) + i);
    const float* expected = nullptr;
    if (more_[c].compare_exchange_strong(expected, fresh, std::memory_order_acq_rel)) return fresh;
    delete[] fresh;  // another thread published the same values first
    return expected;
  }

  std::array<float, chunk> first_{};
  mutable std::array<std::atomic<const float*>, chunks> more_{};
};
const log_table& logs() {
  static const log_table t;
  return t;
}

// ---- little-endian serialization helpers
void put_u32(std::vector<std::uint8_t>& o, std::uint32_t x) {
  for (int i = 0; i < 4; ++i) o.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
}
void put_u64(std::vector<std::uint8_t>& o, std::uint64_t x) {
  for (int i = 0; i < 8; ++i) o.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
}
void put_f32(std::vector<std::uint8_t>& o, float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  put_u32(o, x);
}
struct reader {
  std::span<const std::uint8_t> b;
  std::size_t pos = 0;
  void need(std::size_t n) const {
    if (b.size() - pos < n)
      throw error(errc::corrupted_state, "tfidf_embedder state truncated at byte " + std::to_string(pos));
  }
  std::uint32_t u32() {
    need(4);
    std::uint32_t x = 0;
    for (int i = 0; i < 4; ++i) x |= std::uint32_t{b[pos + i]} << (8 * i);
    pos += 4;
    return x;
  }
  std::uint64_t u64() {
    need(8);
    std::uint64_t x = 0;
    for (int i = 0; i < 8; ++i) x |= std::uint64_t{b[pos + i]} << (8 * i);
    pos += 8;
    return x;
  }
  float f32() {
    const std::uint32_t x = u32();
    float f;
    std::memcpy(&f, &x, 4);
    return f;
  }
};

// ---- The projection's term weights, 8 at a time (AVX-512)

#ifdef RETOLD_EMBED_AVX512
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12's own _mm*_undefined_* in the intrinsics
#endif
constexpr std::size_t prefetch_ahead = 64;

// The character 4-grams of one padded ASCII token p[0 .. g + 3), g >= 1, eight at a time: out[i] =
// {tag(fmix64(le32(p + i) ^ key), kind_char), count}, gram_hash's values. Writes whole groups
// of 8 records (up to 7 past g, which the caller overwrites or ignores); reads p[0 .. g + 11).
__attribute__((target("avx512f,avx512dq"))) void grams4_avx512(const char* p, std::size_t g, std::uint64_t key,
                                                                std::uint32_t count, hc* out) noexcept {
  static_assert(sizeof(hc) == 16 && offsetof(hc, h) == 0 && offsetof(hc, c) == 8);
  const __m512i shifts = _mm512_setr_epi64(0, 8, 16, 24, 0, 8, 16, 24);
  const __m512i low32 = _mm512_set1_epi64(0xFFFFFFFFLL), keys = _mm512_set1_epi64(static_cast<long long>(key));
  const __m512i m1 = _mm512_set1_epi64(static_cast<long long>(0xff51afd7ed558ccdULL));
  const __m512i m2 = _mm512_set1_epi64(static_cast<long long>(0xc4ceb9fe1a85ec53ULL));
  const __m512i notag = _mm512_set1_epi64(~3LL), kind = _mm512_set1_epi64(static_cast<long long>(kind_char));
  const __m512i counts = _mm512_set1_epi64(count);
  const __m512i lo_idx = _mm512_setr_epi64(0, 8, 1, 8, 2, 8, 3, 8), hi_idx = _mm512_setr_epi64(4, 8, 5, 8, 6, 8, 7, 8);
  for (std::size_t k = 0; k < g; k += 8, out += 8) {
    std::uint64_t a, b;
    std::memcpy(&a, p + k, 8);
    std::memcpy(&b, p + k + 4, 8);
    const __m512i ab = _mm512_mask_blend_epi64(0xF0, _mm512_set1_epi64(static_cast<long long>(a)),
                                               _mm512_set1_epi64(static_cast<long long>(b)));
    __m512i x = _mm512_xor_si512(_mm512_and_si512(_mm512_srlv_epi64(ab, shifts), low32), keys);
    x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 33));
    x = _mm512_mullo_epi64(x, m1);
    x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 33));
    x = _mm512_mullo_epi64(x, m2);
    x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 33));
    x = _mm512_or_si512(_mm512_and_si512(x, notag), kind);
    _mm512_storeu_si512(out, _mm512_permutex2var_epi64(x, lo_idx, counts));
    _mm512_storeu_si512(out + 4, _mm512_permutex2var_epi64(x, hi_idx, counts));
  }
}

// For terms[0 .. n), n a multiple of 8 (terms[n .. ahead_end) may be read to prefetch):
// w[i] = +-tf' * (log_n - ln(1 + df)) * kind weight, the signed weight of a term with count 1 (or,
// sublinear, a whole count up to small_count) and df < small_count, and b[i] its bucket. Lanes
// that need the scalar path (another count, a larger df) are flagged in fix[i / 8], bit i % 8,
// and hold garbage. The operations and their order are the scalar code's, and none is a product
// followed by a sum, which the compiler could fuse into an FMA: the values are the same bits.
__attribute__((target("avx512f,avx512vl,avx512dq"))) void term_weights_avx512(
    const std::uint64_t* terms, const float* counts, std::size_t n, std::size_t ahead_end, const std::uint32_t* df, int shift,
    const float* log_small, float log_n, const float* kind_w, std::uint32_t dim, bool sublinear, float* w,
    std::uint32_t* b, std::uint8_t* fix) noexcept {
  const __m128i sh = _mm_cvtsi32_si128(shift);
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256i small = _mm256_set1_epi32(static_cast<int>(log_table::small_count));
  const __m256 logn = _mm256_set1_ps(log_n);
  const __m256 kinds = _mm256_setr_ps(kind_w[0], kind_w[1], kind_w[2], kind_w[3], 0, 0, 0, 0);
  const __m512i one64 = _mm512_set1_epi64(1), three = _mm512_set1_epi64(3), low32 = _mm512_set1_epi64(0xFFFFFFFFLL);
  const __m512i dims = _mm512_set1_epi64(dim);
  for (std::size_t i = 0; i < n; i += 8) {
    // document-frequency counters are scattered over megabytes: ask for those 64 terms ahead
    if (i + prefetch_ahead + 8 <= ahead_end)
      for (std::size_t q = i + prefetch_ahead; q < i + prefetch_ahead + 8; ++q) _mm_prefetch(reinterpret_cast<const char*>(df + (terms[q] >> shift)), _MM_HINT_T0);
    const __m512i t = _mm512_loadu_si512(terms + i);
    const __m256 c = _mm256_loadu_ps(counts + i);
    const __mmask8 unit = _mm256_cmp_ps_mask(c, one, _CMP_EQ_OQ);
    // tf' = 1 + ln(count) of a whole count 2 .. small_count from the table, as the scalar code
    // computes it (1 + L.log1p(count - 1)); other counts go to the scalar code.
    __m256 tf = one;
    __mmask8 counted = unit;
    if (sublinear && unit != 0xFF) {
      const __m256i ci = _mm256_cvttps_epi32(c);
      const __mmask8 whole = _mm256_cmp_ps_mask(_mm256_cvtepi32_ps(ci), c, _CMP_EQ_OQ) &
                             _mm256_cmpgt_epi32_mask(ci, _mm256_set1_epi32(1)) & _mm256_cmple_epi32_mask(ci, small);
      tf = _mm256_mask_add_ps(one, whole, one,
                              _mm256_mmask_i32gather_ps(_mm256_setzero_ps(), whole, _mm256_sub_epi32(ci, _mm256_set1_epi32(1)),
                                                        log_small, 4));
      counted = unit | whole;
    }
    const __m256i d = _mm512_i64gather_epi32(_mm512_srl_epi64(t, sh), df, 4);
    const __mmask8 near = _mm256_cmplt_epu32_mask(d, small);
    const __m256 l = _mm256_mmask_i32gather_ps(_mm256_setzero_ps(), near, d, log_small, 4);
    const __m256 kw = _mm256_permutevar8x32_ps(kinds, _mm512_cvtepi64_epi32(_mm512_and_si512(t, three)));
    const __m256 x = _mm256_mul_ps(_mm256_mul_ps(tf, _mm256_sub_ps(logn, l)), kw);
    // The sign: hash bit 2 moved to the float's sign bit (negation is exact).
    const __m256i signs = _mm256_slli_epi32(_mm512_cvtepi64_epi32(_mm512_and_si512(_mm512_srli_epi64(t, 2), one64)), 31);
    _mm256_storeu_ps(w + i, _mm256_xor_ps(x, _mm256_castsi256_ps(signs)));
    const __m512i bucket = _mm512_srli_epi64(_mm512_mul_epu32(_mm512_and_si512(_mm512_srli_epi64(t, 3), low32), dims), 32);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(b + i), _mm512_cvtepi64_epi32(bucket));
    fix[i / 8] = static_cast<std::uint8_t>(~(counted & near));
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

std::atomic<int>& embed_simd_state() {  // -1: not chosen yet; 0: scalar; 1: AVX-512
  static std::atomic<int> s{-1};
  return s;
}

bool embed_simd_supported() noexcept {
#ifdef RETOLD_EMBED_AVX512
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
  return false;
#endif
}

constexpr char magic[8] = {'R', 'T', 'E', 'M', 'B', 'E', 'D', '1'};
constexpr float max_kind_weight = 1e6f;
constexpr std::uint32_t format_version = 1;

}  // namespace

namespace detail {

bool embed_simd_enabled() noexcept {
  auto& s = embed_simd_state();
  int v = s.load(std::memory_order_relaxed);
  if (v < 0) {
    v = embed_simd_supported() ? 1 : 0;
    if (const char* env = std::getenv("RETOLD_SIMD"))
      if (std::strcmp(env, "generic") == 0 || std::strcmp(env, "avx2") == 0) v = 0;
    s.store(v, std::memory_order_relaxed);
  }
  return v == 1;
}

void set_embed_simd(bool on) noexcept { embed_simd_state().store(on && embed_simd_supported() ? 1 : 0); }

}  // namespace detail

void validate(const tfidf_embedder_options& o) {
  auto bad = [](const std::string& m) { throw error(errc::invalid_argument, "tfidf_embedder_options: " + m); };
  if (o.dimension == 0 || o.dimension > 65536) bad("dimension must be in 1..65536");
  if (o.word_ngram_max > 8) bad("word_ngram_max must be <= 8");
  if (o.char_ngram_min > 16 || o.char_ngram_max > 16) bad("char n-gram orders must be <= 16");
  if (o.char_ngram_min != 0 && o.char_ngram_max < o.char_ngram_min) bad("char_ngram_max < char_ngram_min");
  if (o.word_ngram_max == 0 && o.char_ngram_min == 0) bad("no features: word_ngram_max and char_ngram_min are both 0");
  if (o.df_buckets_log2 < 10 || o.df_buckets_log2 > 28) bad("df_buckets_log2 must be in 10..28");
  // Weights are relative; the bound keeps each term's tf * idf * weight (idf < 45) and the sum of
  // their squares finite in float (a saved state with a weight of 1e38 made embeddings of inf/NaN).
  for (float w : {o.word_weight, o.number_weight, o.char_weight, o.word_ngram_weight})
    if (!std::isfinite(w) || w < 0.0f || w > max_kind_weight) bad("weights must be in [0, 1e6]");
}

tfidf_embedder::tfidf_embedder(tfidf_embedder_options opts) : opts_(opts) {
  validate(opts_);
  df_.assign(std::size_t{1} << opts_.df_buckets_log2, 0);
}

term_counts tfidf_embedder::extract(std::string_view text) const {
  term_counts out;
  extract_into(text, out);
  return out;
}

void tfidf_embedder::extract_into(std::string_view text, term_counts& out) const {
  thread_local scratch s;
  const std::uint64_t seed = opts_.seed;
  const char* const text_end = text.data() + text.size();

  // Token boundaries (split on ASCII space).
  auto& toks = s.toks;
  toks.clear();
  {
    const char* const b = text.data();
    const std::size_t n = text.size();
    std::size_t start = 0, i = 0;  // start: where the current token would begin
#ifdef __SSE2__
    // 16 bytes at a time: a bit per space, each bit a token end (a memchr call per token was
    // a twentieth of the embedding's instructions).
    const __m128i spaces = _mm_set1_epi8(' ');
    for (; i + 16 <= n; i += 16) {
      unsigned m = static_cast<unsigned>(
          _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)), spaces)));
      for (; m != 0; m &= m - 1) {
        const std::size_t pos = i + static_cast<std::size_t>(std::countr_zero(m));
        if (pos > start) toks.emplace_back(b + start, pos - start);
        start = pos + 1;
      }
    }
#endif
    for (; i < n; ++i)
      if (b[i] == ' ') {
        if (i > start) toks.emplace_back(b + start, i - start);
        start = i + 1;
      }
    if (n > start) toks.emplace_back(b + start, n - start);
  }

  // Room for every term at once: each distinct word gives at most (bytes + 2) grams per order.
  // The buffer only grows, and is written through a pointer: no capacity test per term.
  const std::size_t orders = opts_.char_ngram_min == 0 ? 0 : opts_.char_ngram_max - opts_.char_ngram_min + 1;
  const std::size_t bound = (text.size() + 2 * toks.size()) * orders + toks.size() * (opts_.word_ngram_max + 1);
  if (s.hashes.size() < bound + 8) s.hashes.resize(bound + 8);  // + 8: grams4_avx512 writes groups of 8
#ifdef RETOLD_EMBED_AVX512
  const bool simd = detail::embed_simd_enabled();
#endif
  hc* const hs = s.hashes.data();
  std::size_t n_hs = 0;

  // Distinct tokens first (a small open-addressing table keyed by the token hash): a word's
  // character n-grams are hashed once however often it occurs, and enter with its count. The
  // table is at most half full, so probing ends.
  int bits = 6;
  while ((std::size_t{1} << bits) < 2 * toks.size()) ++bits;
  const std::size_t size = std::size_t{1} << bits;
  const std::size_t mask = size - 1;
  if (++s.gen == 0) {  // the call counter wrapped: every slot must look empty again
    std::fill(s.stamps.begin(), s.stamps.end(), 0u);
    s.gen = 1;
  }
  if (s.stamps.size() < size) {  // new slots carry stamp 0, which no call uses
    s.stamps.resize(size, 0);
    s.words.resize(size);
  }
  word_slot* const table = s.words.data();
  std::uint32_t* const stamps = s.stamps.data();
  const std::uint32_t gen = s.gen;
  if (s.distinct.size() < toks.size()) s.distinct.resize(toks.size());
  std::uint32_t* const distinct = s.distinct.data();  // slots in use, in order of first occurrence
  std::size_t n_distinct = 0;
  for (std::size_t t = 0; t < toks.size(); ++t) {
    const std::string_view tok = toks[t];
    const std::uint64_t h = XXH3_64bits_withSeed(tok.data(), tok.size(), seed);
    std::size_t i = static_cast<std::size_t>(h >> (64 - bits));
    for (;;) {
      if (stamps[i] != gen) {
        stamps[i] = gen;
        table[i] = {h, 1, static_cast<std::uint32_t>(t)};
        distinct[n_distinct++] = static_cast<std::uint32_t>(i);
        break;
      }
      if (table[i].h == h) {
        ++table[i].count;
        break;
      }
      i = (i + 1) & mask;
    }
    // Word n-grams: hash the tokens' hashes so that odd spacing does not change the term.
    for (std::uint32_t n = 2; n <= opts_.word_ngram_max && t + n <= toks.size(); ++n) {
      std::uint64_t g = seed ^ (seed_mix * n);
      for (std::uint32_t k = 0; k < n; ++k) {
        const std::string_view w = toks[t + k];
        g = XXH3_64bits_withSeed(w.data(), w.size(), g);
      }
      hs[n_hs++] = {tag(g, kind_ngram), 1};
    }
  }

  // The terms of each distinct token. Equal terms (a 4-gram of several words) have their float
  // counts summed in the order generated. All counts together are at most `bound`: below 2^24
  // every partial sum is an integer that a float holds exactly, so any order gives the same
  // bits, and the words go in order of first occurrence. Above, they go in slot order, the
  // order of earlier versions (the same sums, rounded the same).
  if (bound >= (std::size_t{1} << 24)) {
    n_distinct = 0;
    for (std::size_t slot = 0; slot <= mask; ++slot)
      if (stamps[slot] == gen) distinct[n_distinct++] = static_cast<std::uint32_t>(slot);
  }
  for (std::size_t d = 0; d < n_distinct; ++d) {
    const std::size_t slot = distinct[d];
    const std::uint32_t count = table[slot].count;
    const std::string_view tok = toks[table[slot].first];
    // The tail word read stays inside the text: up to 7 bytes past the token (plus its space).
    const token_bytes tb = scan_token(tok, tok.data() + tok.size() + 8 <= text_end);
    if (opts_.word_ngram_max >= 1) hs[n_hs++] = {tag(table[slot].h, tb.digit ? kind_number : kind_word), count};
    if (opts_.char_ngram_min == 0) continue;
    const std::size_t plen = tok.size() + 2;  // " tok "
    if (tb.ascii) {  // code points are bytes
      // The padded token " tok " is in the text itself when a space precedes and follows it,
      // with gram_hash's 8-byte window readable: hash it in place. Otherwise copy it padded.
      const char* p = tok.data() - 1;
      if (!(tok.data() > text.data() && p + plen + 8 <= text_end)) {
        auto& pad = s.padded;
        pad.resize(plen + 8);  // 8 bytes of slack for gram_hash's word load
        pad[0] = ' ';
        std::memcpy(pad.data() + 1, tok.data(), tok.size());
        pad[tok.size() + 1] = ' ';
        p = pad.data();
      }
      for (std::uint32_t n = opts_.char_ngram_min; n <= opts_.char_ngram_max; ++n) {
        if (plen < n) break;
        const std::uint64_t cseed = seed ^ (seed_mix * (0x100 + n));
        if (n > 8) {
          for (std::size_t i = 0; i + n <= plen; ++i) hs[n_hs++] = {tag(gram_hash(p + i, n, cseed), kind_char), count};
          continue;
        }
#ifdef RETOLD_EMBED_AVX512
        if (n == 4 && simd) {
          grams4_avx512(p, plen - 3, cseed ^ (0x9E3779B97F4A7C15ULL * 5), count, hs + n_hs);
          n_hs += plen - 3;
          continue;
        }
#endif
        // gram_hash with its per-length constants hoisted out of the loop (the same values).
        const std::uint64_t keep = n < 8 ? (std::uint64_t{1} << (8 * n)) - 1 : ~std::uint64_t{0};
        const std::uint64_t key = cseed ^ (0x9E3779B97F4A7C15ULL * (n + 1));
        for (std::size_t i = 0; i + n <= plen; ++i) {
          std::uint64_t x;
          std::memcpy(&x, p + i, 8);
          if constexpr (std::endian::native == std::endian::big) x = __builtin_bswap64(x);
          hs[n_hs++] = {tag(fmix64((x & keep) ^ key), kind_char), count};
        }
      }
      continue;
    }
    auto& pad = s.padded;
    pad.resize(plen + 8);
    pad[0] = ' ';
    std::memcpy(pad.data() + 1, tok.data(), tok.size());
    pad[tok.size() + 1] = ' ';
    auto& off = s.offsets;
    off.clear();
    for (std::uint32_t i = 0; i < plen; ++i)
      if (!is_continuation(static_cast<unsigned char>(pad[i]))) off.push_back(i);
    const std::size_t cps = off.size();
    off.push_back(static_cast<std::uint32_t>(plen));
    for (std::uint32_t n = opts_.char_ngram_min; n <= opts_.char_ngram_max; ++n) {
      if (cps < n) break;
      const std::uint64_t cseed = seed ^ (seed_mix * (0x100 + n));
      for (std::size_t i = 0; i + n <= cps; ++i)
        hs[n_hs++] = {tag(gram_hash(pad.data() + off[i], off[i + n] - off[i], cseed), kind_char), count};
    }
  }

  out.terms.resize(n_hs);
  out.counts.resize(n_hs);
  const std::size_t u = sort_merge(hs, n_hs, s.tmp, s.hist, out.terms.data(), out.counts.data());
  out.terms.resize(u);
  out.counts.resize(u);
}

void tfidf_embedder::observe(const term_counts& doc) {
  const int shift = 64 - static_cast<int>(opts_.df_buckets_log2);
  for (std::uint64_t t : doc.terms) {
    auto& c = df_[t >> shift];
    if (c != UINT32_MAX) ++c;
  }
  ++documents_;
  log_documents_ = logs().log1p(documents_);
}

void tfidf_embedder::forget(const term_counts& doc) {
  const int shift = 64 - static_cast<int>(opts_.df_buckets_log2);
  for (std::uint64_t t : doc.terms) {
    auto& c = df_[t >> shift];
    if (c != 0 && c != UINT32_MAX) --c;
  }
  if (documents_ > 0) --documents_;
  log_documents_ = logs().log1p(documents_);
}

float tfidf_embedder::idf(std::uint64_t term) const noexcept {
  const int shift = 64 - static_cast<int>(opts_.df_buckets_log2);
  const auto& L = logs();
  return log_documents_ - L.log1p(df_[term >> shift]) + 1.0f;
}

std::vector<float> tfidf_embedder::embed(const term_counts& doc) const {
  std::vector<float> v(opts_.dimension);
  embed_into(doc, v);
  return v;
}

void tfidf_embedder::embed_into(const term_counts& doc, std::span<float> out) const {
  if (out.size() != opts_.dimension)
    throw error(errc::invalid_argument, "tfidf_embedder::embed_into: output has " + std::to_string(out.size()) +
                                            " floats, dimension is " + std::to_string(opts_.dimension));
  if (doc.counts.size() != doc.terms.size())
    throw error(errc::invalid_argument, "term_counts: terms and counts differ in length");
  std::fill(out.begin(), out.end(), 0.0f);
  const auto& L = logs();
  const int shift = 64 - static_cast<int>(opts_.df_buckets_log2);
  const float log_n = log_documents_ + 1.0f;
  const float kind_w[4] = {opts_.word_weight, opts_.number_weight, opts_.char_weight, opts_.word_ngram_weight};
  const std::uint64_t dim = opts_.dimension;
  const std::uint64_t* terms = doc.terms.data();
  const float* counts = doc.counts.data();
  const std::uint32_t* const df = df_.data();
  float* const o = out.data();
  const bool sublinear = opts_.sublinear_tf;
  // tf' of a positive count other than 1 (rare: most terms of a document occur once).
  const auto tf_of = [&](float c, std::size_t i) -> float {
    if (!(c < 0x1p32f)) {  // also inf; a float beyond every integer type is UB to convert
      if (!std::isfinite(c))
        throw error(errc::invalid_argument, "term_counts: the count of term " + std::to_string(i) + " is not finite");
      return sublinear ? 1.0f + std::log(c) : c;
    }
    if (!sublinear) return c;
    const auto ci = static_cast<std::uint64_t>(c);
    return (static_cast<float>(ci) == c && ci >= 1) ? 1.0f + L.log1p(ci - 1) : 1.0f + std::log(c);
  };
  // One term: w = tf' * idf * kind weight, added with the sign of hash bit 2 to the bucket of
  // hash bits 3..34, in term order (the float sums of a bucket are those of earlier versions).
  const auto add = [&](std::size_t i) {
    const std::uint64_t t = terms[i];
    const float c = counts[i];
    float tf = 1.0f;
    if (c != 1.0f) [[unlikely]] {
      if (!(c > 0.0f)) return;  // counts <= 0 and NaN contribute nothing
      tf = tf_of(c, i);
    }
    const float w = tf * (log_n - L.log1p(df[t >> shift])) * kind_w[t & 3];
    const std::uint64_t bucket = (((t >> 3) & 0xFFFFFFFFULL) * dim) >> 32;
    o[bucket] += ((t >> 2) & 1) ? -w : w;
  };
  const std::size_t n = doc.terms.size();
#ifdef RETOLD_EMBED_AVX512
  if (n >= 8 && detail::embed_simd_enabled()) {
    // Two passes over blocks of terms: the weights and buckets (8 at a time, the rare lanes that
    // need the scalar arithmetic redone below), then the adds in term order.
    constexpr std::size_t block = 512;
    alignas(64) float w[block];
    alignas(64) std::uint32_t b[block];
    std::uint8_t fix[block / 8];
    const float* const log_small = L.small();
    bool vector_pays = true;
    for (std::size_t base = 0; base < n; base += block) {
      const std::size_t m = std::min(block, n - base);
      if (!vector_pays) {
        // The last block sent most lanes back to the scalar code (document frequencies past the
        // vector table, at 10^4+ documents): the plain loop is cheaper. Same adds, same order.
        for (std::size_t i = base; i < base + m; ++i) {
          if (i + 16 < n) __builtin_prefetch(df + (terms[i + 16] >> shift));
          add(i);
        }
        continue;
      }
      const std::size_t vec = m & ~std::size_t{7};
      term_weights_avx512(terms + base, counts + base, vec, n - base, df, shift, log_small, log_n, kind_w,
                          static_cast<std::uint32_t>(dim), sublinear, w, b, fix);
      const auto scalar = [&](std::size_t j) {
        const std::size_t i = base + j;
        const std::uint64_t t = terms[i];
        const float c = counts[i];
        b[j] = static_cast<std::uint32_t>((((t >> 3) & 0xFFFFFFFFULL) * dim) >> 32);
        if (!(c > 0.0f)) {  // contributes nothing: adding +0 leaves every bucket's bits alone
          w[j] = 0.0f;
          return;
        }
        const float tf = c == 1.0f ? 1.0f : tf_of(c, i);
        const float x = tf * (log_n - L.log1p(df[t >> shift])) * kind_w[t & 3];
        w[j] = ((t >> 2) & 1) ? -x : x;
      };
      std::size_t fixed = 0;
      for (std::size_t k = 0; k < vec / 8; ++k) {
        fixed += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(fix[k])));
        for (unsigned f = fix[k]; f != 0; f &= f - 1) scalar(8 * k + static_cast<std::size_t>(std::countr_zero(f)));
      }
      vector_pays = 4 * fixed <= vec;
      for (std::size_t j = vec; j < m; ++j) scalar(j);
      for (std::size_t j = 0; j < m; ++j) o[b[j]] += w[j];
    }
    l2_normalize(out);
    return;
  }
#endif
  constexpr std::size_t ahead = 16;  // document-frequency counters are scattered over megabytes
  std::size_t i = 0;
  for (; i + ahead < n; ++i) {
    __builtin_prefetch(df + (terms[i + ahead] >> shift));
    add(i);
  }
  for (; i < n; ++i) add(i);
  l2_normalize(out);
}

std::vector<std::uint8_t> tfidf_embedder::serialize() const {
  std::vector<std::uint8_t> o;
  o.reserve(128);
  for (char c : magic) o.push_back(static_cast<std::uint8_t>(c));
  put_u32(o, format_version);
  put_u32(o, opts_.dimension);
  put_u32(o, opts_.word_ngram_max);
  put_u32(o, opts_.char_ngram_min);
  put_u32(o, opts_.char_ngram_max);
  put_u32(o, opts_.sublinear_tf ? 1u : 0u);
  put_f32(o, opts_.word_weight);
  put_f32(o, opts_.number_weight);
  put_f32(o, opts_.char_weight);
  put_f32(o, opts_.word_ngram_weight);
  put_u32(o, opts_.df_buckets_log2);
  put_u64(o, opts_.seed);
  put_u64(o, documents_);
  std::uint32_t nz = 0;
  for (auto c : df_) nz += c != 0;
  put_u32(o, nz);
  o.reserve(o.size() + 8 * std::size_t{nz} + 8);
  for (std::uint32_t i = 0; i < df_.size(); ++i)
    if (df_[i] != 0) {
      put_u32(o, i);
      put_u32(o, df_[i]);
    }
  put_u64(o, XXH3_64bits(o.data(), o.size()));
  return o;
}

tfidf_embedder tfidf_embedder::deserialize(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 8 + 4 || std::memcmp(bytes.data(), magic, 8) != 0)
    throw error(errc::corrupted_state, "tfidf_embedder state: bad magic (not an embedder state)");
  if (bytes.size() < 8 + 8) throw error(errc::corrupted_state, "tfidf_embedder state truncated");
  const std::size_t body = bytes.size() - 8;
  reader tail{bytes, body};
  if (tail.u64() != XXH3_64bits(bytes.data(), body))
    throw error(errc::corrupted_state, "tfidf_embedder state: checksum mismatch");
  reader r{bytes.first(body), 8};
  const std::uint32_t version = r.u32();
  if (version != format_version)
    throw error(errc::incompatible, "tfidf_embedder state: format version " + std::to_string(version) +
                                        " is not supported (expected " + std::to_string(format_version) + ")");
  tfidf_embedder_options o;
  o.dimension = r.u32();
  o.word_ngram_max = r.u32();
  o.char_ngram_min = r.u32();
  o.char_ngram_max = r.u32();
  o.sublinear_tf = r.u32() != 0;
  o.word_weight = r.f32();
  o.number_weight = r.f32();
  o.char_weight = r.f32();
  o.word_ngram_weight = r.f32();
  o.df_buckets_log2 = r.u32();
  o.seed = r.u64();
  try {
    validate(o);
  } catch (const error& e) {
    throw error(errc::corrupted_state, std::string("tfidf_embedder state: ") + e.what());
  }
  tfidf_embedder e(o);
  e.documents_ = r.u64();
  e.log_documents_ = logs().log1p(e.documents_);
  const std::uint32_t nz = r.u32();
  if (nz > e.df_.size()) throw error(errc::corrupted_state, "tfidf_embedder state: too many counters");
  r.need(8 * std::size_t{nz});
  for (std::uint32_t k = 0; k < nz; ++k) {
    const std::uint32_t i = r.u32();
    const std::uint32_t c = r.u32();
    if (i >= e.df_.size()) throw error(errc::corrupted_state, "tfidf_embedder state: counter index out of range");
    e.df_[i] = c;
  }
  if (r.pos != body) throw error(errc::corrupted_state, "tfidf_embedder state: trailing bytes");
  return e;
}

float cosine(std::span<const float> a, std::span<const float> b) noexcept {
  if (a.size() != b.size() || a.empty()) return 0.0f;
  const Eigen::Map<const Eigen::VectorXf> x(a.data(), static_cast<Eigen::Index>(a.size()));
  const Eigen::Map<const Eigen::VectorXf> y(b.data(), static_cast<Eigen::Index>(b.size()));
  const double nx = x.squaredNorm(), ny = y.squaredNorm();
  if (nx <= 0.0 || ny <= 0.0) return 0.0f;
  return static_cast<float>(x.dot(y) / std::sqrt(nx * ny));
}

void l2_normalize(std::span<float> v) noexcept {
  if (v.empty()) return;
  Eigen::Map<Eigen::VectorXf> x(v.data(), static_cast<Eigen::Index>(v.size()));
  const float n = x.norm();
  if (n > 0.0f && std::isfinite(n)) x /= n;
}

}  // namespace retold
