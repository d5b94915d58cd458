#include <retold/cluster.hpp>
#include <retold/error.hpp>

#include <algorithm>
#include <numeric>
#include <string>

namespace retold {

std::vector<std::uint32_t> connected_components(std::size_t n, std::span<const slot_pair> edges) {
  std::vector<std::uint32_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0u);
  auto find = [&](std::uint32_t x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];  // path halving
      x = parent[x];
    }
    return x;
  };
  for (const auto& [a, b] : edges) {
    if (a >= n || b >= n)
      throw error(errc::invalid_argument, "connected_components: edge (" + std::to_string(a) + ", " +
                                              std::to_string(b) + ") names a slot >= " + std::to_string(n));
    std::uint32_t ra = find(a), rb = find(b);
    // Union by smaller root: the root of every component is its smallest slot.
    if (ra < rb) parent[rb] = ra;
    else if (rb < ra) parent[ra] = rb;
  }
  std::vector<std::uint32_t> label(n);
  for (std::size_t i = 0; i < n; ++i) label[i] = find(static_cast<std::uint32_t>(i));
  return label;
}

bool better_representative(const member_facts& a, const member_facts& b,
                           const representative_policy& policy) noexcept {
  if (a.timestamp != b.timestamp) return a.timestamp < b.timestamp;
  auto rank = [&](std::string_view s) {
    auto it = std::find(policy.source_priority.begin(), policy.source_priority.end(), s);
    return static_cast<std::size_t>(it - policy.source_priority.begin());
  };
  std::size_t ra = rank(a.source), rb = rank(b.source);
  if (ra != rb) return ra < rb;
  if (a.text_length != b.text_length) return a.text_length > b.text_length;
  return a.id < b.id;
}

std::size_t choose_representative(std::span<const member_facts> members, const representative_policy& policy) {
  if (members.empty()) throw error(errc::invalid_argument, "choose_representative: no members");
  std::size_t best = 0;
  for (std::size_t i = 1; i < members.size(); ++i)
    if (better_representative(members[i], members[best], policy)) best = i;
  return best;
}

// ---- leader_clustering

leader_clustering::story* leader_clustering::find(std::uint64_t id) noexcept {
  auto it = std::lower_bound(stories_.begin(), stories_.end(), id,
                             [](const story& s, std::uint64_t v) { return s.id < v; });
  return (it != stories_.end() && it->id == id) ? &*it : nullptr;
}

const leader_clustering::story* leader_clustering::find(std::uint64_t id) const noexcept {
  return const_cast<leader_clustering*>(this)->find(id);
}

std::uint64_t leader_clustering::open(std::uint32_t slot) {
  if (cluster_of(slot) != no_cluster)
    throw error(errc::invalid_argument, "leader_clustering::open: slot " + std::to_string(slot) + " is already assigned");
  if (slot_cluster_.size() <= slot) slot_cluster_.resize(std::size_t{slot} + 1, no_cluster);
  const std::uint64_t id = next_id_++;
  stories_.push_back(story{id, {slot}});
  slot_cluster_[slot] = id;
  ++live_;
  return id;
}

void leader_clustering::join(std::uint32_t slot, std::uint64_t cluster_id) {
  story* s = find(cluster_id);
  if (!s) throw error(errc::not_found, "leader_clustering::join: no cluster " + std::to_string(cluster_id));
  if (cluster_of(slot) != no_cluster)
    throw error(errc::invalid_argument, "leader_clustering::join: slot " + std::to_string(slot) + " is already assigned");
  if (slot_cluster_.size() <= slot) slot_cluster_.resize(std::size_t{slot} + 1, no_cluster);
  s->members.push_back(slot);
  slot_cluster_[slot] = cluster_id;
}

bool leader_clustering::remove(std::uint32_t slot) {
  const std::uint64_t id = cluster_of(slot);
  if (id == no_cluster) return false;
  slot_cluster_[slot] = no_cluster;
  story* s = find(id);
  auto& m = s->members;
  const bool was_leader = m.front() == slot;
  m.erase(std::find(m.begin(), m.end(), slot));
  if (m.empty()) {
    stories_.erase(stories_.begin() + (s - stories_.data()));
    --live_;
  } else if (was_leader) {
    // The earliest remaining member leads; the others keep their join order.
    auto it = std::min_element(m.begin(), m.end());
    std::rotate(m.begin(), it, it + 1);
  }
  return true;
}

std::uint64_t leader_clustering::cluster_of(std::uint32_t slot) const noexcept {
  return slot < slot_cluster_.size() ? slot_cluster_[slot] : no_cluster;
}

std::optional<std::uint32_t> leader_clustering::leader_of(std::uint64_t cluster_id) const noexcept {
  const story* s = find(cluster_id);
  if (!s) return std::nullopt;
  return s->members.front();
}

std::span<const std::uint32_t> leader_clustering::members_of(std::uint64_t cluster_id) const noexcept {
  const story* s = find(cluster_id);
  if (!s) return {};
  return s->members;
}

std::vector<std::uint64_t> leader_clustering::cluster_ids() const {
  std::vector<std::uint64_t> ids;
  ids.reserve(stories_.size());
  for (const auto& s : stories_) ids.push_back(s.id);
  return ids;
}

std::vector<std::pair<std::uint64_t, std::uint32_t>> leader_clustering::leaders() const {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> out;
  out.reserve(stories_.size());
  for (const auto& s : stories_) out.emplace_back(s.id, s.members.front());
  return out;
}

void leader_clustering::restore(std::span<const std::uint64_t> assignment,
                                std::span<const std::pair<std::uint64_t, std::uint32_t>> leaders,
                                std::uint64_t next_id) {
  leader_clustering fresh;
  fresh.slot_cluster_.assign(assignment.begin(), assignment.end());
  fresh.next_id_ = next_id;
  std::uint64_t prev = 0;
  for (const auto& [id, leader] : leaders) {
    if (id <= prev || id >= next_id || leader >= assignment.size() || assignment[leader] != id)
      throw error(errc::corrupted_state, "cluster table: inconsistent leader entry for cluster " + std::to_string(id));
    prev = id;
    fresh.stories_.push_back(story{id, {leader}});
  }
  for (std::uint32_t slot = 0; slot < assignment.size(); ++slot) {
    const std::uint64_t id = assignment[slot];
    if (id == no_cluster) continue;
    story* s = fresh.find(id);
    if (!s) throw error(errc::corrupted_state, "cluster table: slot " + std::to_string(slot) +
                                                   " names cluster " + std::to_string(id) + " which has no leader");
    if (s->members.front() != slot) s->members.push_back(slot);
  }
  fresh.live_ = fresh.stories_.size();
  *this = std::move(fresh);
}

}  // namespace retold
