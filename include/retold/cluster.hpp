// retold/cluster.hpp - grouping verified pairs into stories and choosing their representative.
//
// Two clusterings are offered. connected_components() is the transitive closure of the verified
// pairs: simple, order-independent, but it chains (A~B and B~C merge A and C even when A and C
// share nothing). leader_clustering is what the deduplicator uses online: every story has one
// leader (its first document) and a document joins a story only when it matches that leader, so
// stories cannot drift by chaining and a story's id never changes once given.
#pragma once

#include <retold/export.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace retold {

/// A verified pair of document slots (indexes into the caller's own array).
using slot_pair = std::pair<std::uint32_t, std::uint32_t>;

/// Labels slots 0..n-1 by connected component over `edges`; the label of a component is its
/// smallest slot, so the result does not depend on edge order. Throws errc::invalid_argument if an
/// edge names a slot >= n. Pure function, thread-safe.
RETOLD_API std::vector<std::uint32_t> connected_components(std::size_t n, std::span<const slot_pair> edges);

/// What the representative policy looks at for one member of a story. Views are borrowed for the
/// duration of the call only.
struct member_facts {
  std::int64_t timestamp = 0;     ///< seconds since the Unix epoch (UTC)
  std::string_view source;        ///< outlet name, compared exactly with the priority list
  std::size_t text_length = 0;    ///< bytes of text
  std::string_view id;            ///< final tie-break so the choice is total and deterministic
};

/// The representative policy: earliest timestamp, then the source that comes first in
/// `source_priority` (sources not listed rank after all listed ones), then the longest text,
/// then the smallest id.
struct representative_policy {
  std::vector<std::string> source_priority;  ///< e.g. {"Reuters", "AP", "AFP"}
};

/// True when `a` should be the representative rather than `b` under `policy`. Thread-safe.
RETOLD_API bool better_representative(const member_facts& a, const member_facts& b,
                                      const representative_policy& policy) noexcept;

/// Index in `members` of the representative under `policy`; throws errc::invalid_argument when
/// `members` is empty. Thread-safe.
RETOLD_API std::size_t choose_representative(std::span<const member_facts> members,
                                             const representative_policy& policy);

/// Online leader ("star") clustering with stable ids.
///
/// Cluster ids are assigned 1, 2, 3, ... in order of creation and never reused or renumbered, so an
/// id seen yesterday means the same story today. Not internally synchronized: const members may run
/// concurrently with each other; mutations need exclusive access (the deduplicator's lock).
class RETOLD_API leader_clustering {
 public:
  static constexpr std::uint64_t no_cluster = 0;

  /// Starts a new story led by `slot`; returns its new id. errc::invalid_argument if `slot` is
  /// already assigned.
  std::uint64_t open(std::uint32_t slot);
  /// Adds `slot` to the existing story `cluster_id`. errc::not_found for an unknown id,
  /// errc::invalid_argument if `slot` is already assigned.
  void join(std::uint32_t slot, std::uint64_t cluster_id);
  /// Removes `slot` from its story. If it led the story, the earliest remaining member (lowest
  /// slot) becomes leader; an emptied story disappears (its id is not reused). Returns false when
  /// the slot was not assigned.
  bool remove(std::uint32_t slot);

  /// The story of `slot`, or no_cluster.
  std::uint64_t cluster_of(std::uint32_t slot) const noexcept;
  /// The leader slot of a story; nullopt for an unknown id.
  std::optional<std::uint32_t> leader_of(std::uint64_t cluster_id) const noexcept;
  /// Members of a story in the order they joined (leader first); empty for an unknown id. The
  /// span is valid until the next mutation.
  std::span<const std::uint32_t> members_of(std::uint64_t cluster_id) const noexcept;
  /// Ids of all live stories in increasing order.
  std::vector<std::uint64_t> cluster_ids() const;
  std::size_t cluster_count() const noexcept { return live_; }
  /// The id the next open() will return.
  std::uint64_t next_id() const noexcept { return next_id_; }

  /// Rebuilds from a saved assignment: `assignment[slot]` is the story of that slot (no_cluster for
  /// unused slots), members join in slot order, leaders are given explicitly. Used by state load.
  /// Throws errc::corrupted_state on an inconsistent input.
  void restore(std::span<const std::uint64_t> assignment,
               std::span<const std::pair<std::uint64_t, std::uint32_t>> leaders,
               std::uint64_t next_id);
  /// The leaders of every live story, for saving. Sorted by cluster id.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> leaders() const;

 private:
  struct story {
    std::uint64_t id = 0;
    std::vector<std::uint32_t> members;  // leader first
  };
  story* find(std::uint64_t id) noexcept;
  const story* find(std::uint64_t id) const noexcept;

  std::vector<std::uint64_t> slot_cluster_;  // slot -> id (no_cluster when unassigned)
  std::vector<story> stories_;               // sorted by id (ids only grow: append keeps order)
  std::size_t live_ = 0;
  std::uint64_t next_id_ = 1;
};

}  // namespace retold
