// Stress test: many threads add, add in batches, remove, evict, query, save and load on one
// retold::deduplicator for a bounded time, and the result is proved against a sequential replay.
//
// Design. A test mutex around each mutating call would hand the deduplicator a serial workload
// and prove nothing about its own locking, so the calls run unsynchronized, and what must be
// known about their order is recovered from the calls' results and from the workload's design:
//
//  * Actors. Each of a few actor threads owns a disjoint world: its own vocabulary (every word
//    starts with the actor's letter), its own block of the external embedding dimensions (other
//    actors' vectors are exactly orthogonal to its own), its own ids ("a<actor>-<n>"). So no
//    document of one actor can be a candidate that is accepted for another's, and every story
//    belongs to one actor. Only the actor mutates its documents: it adds, batches (with bad and
//    duplicate documents mixed in), removes, re-adds an existing id, and the last actor also
//    evicts by time; its timestamps are the only ones below the others' (which start at 2e9), so
//    evict_before touches its documents only. Mutating calls of different actors therefore
//    commute in everything but one thing: the story ids, which the deduplicator hands out in
//    the order stories open, and which every add returns.
//  * The log. Each actor logs its own mutating calls with their results, in its program order (no
//    lock: the log is its own). The serialization order the deduplicator chose is recovered as
//    any merge of the actors' logs that keeps each actor's order and opens stories in the order
//    of their ids; by the commutation above every such merge leaves the same state. Vector search
//    is exact (flat index), so the candidate sets do not depend on other actors either (the
//    IVF's training would: it sees every actor's vectors; an IVF under concurrent load is
//    exercised by dedup_test's QueriesAndSavesDuringIvfRetrainingsAreSafe).
//  * Checks while running. An actor checks each result against its model of its own world (a
//    document joins only its own stories, remove/evict report exactly what the model says, its
//    stories' members are those it added, in order, story ids increase) and reads back with
//    contains, cluster_of, cluster, query and query_vector. A reader thread checks that
//    clusters() is internally consistent (ids increasing, leader first, every id once, no story
//    mixing actors) and that queries by one actor's text or vector only ever match that actor.
//  * Saves and loads. A saver thread saves the shared deduplicator into one of three directories
//    in turn (one the loader has finished with), noting for each actor how many of its mutating
//    calls had returned before the save began (lo) and how many had begun when it returned (hi).
//    A loader thread loads each into a second deduplicator, checks it is internally consistent
//    (clusters() vs cluster_of, cluster, contains, stats counts), adds a document to the loaded
//    copy, and keeps its stories. Afterwards every
//    snapshot must equal, for each actor, its model after some k of its calls, lo <= k <= hi, and
//    the cut must be consistent across actors (every story opened before one the snapshot holds
//    was opened before the save).
//  * The replay. The merged log is replayed on a fresh deduplicator with the same options, one
//    call after another: every call must return what it returned under load, and the final
//    stories (ids, leaders, representatives, members in order with their scores) and counters
//    must be equal. The shared state is also saved and loaded once more and compared.
//
// What this cannot see: an interleaving whose effect depends on another actor (the built-in
// TF-IDF embedder's document frequencies, an IVF training, the match model's cosine calibration,
// which pairs documents by arrival number) is outside the commuting design, so the test runs
// external vectors, a flat index and the threshold rule (match_decision::rule).
//
// RETOLD_STRESS_SECONDS (default 5) bounds the run; every actor makes at least 60 mutating calls
// whatever the time, so a slow (sanitizer) build still exercises everything.
#include <retold/dedup.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr int k_actors = 4;                // the last one also evicts
constexpr int k_evictor = k_actors - 1;
constexpr std::size_t k_block = 24;        // embedding dimensions per actor
constexpr std::size_t k_dim = k_block * k_actors;
constexpr std::size_t k_min_calls = 60;    // mutating calls per actor, whatever the time
constexpr std::size_t k_live_target = 300; // documents an actor keeps, roughly

double stress_seconds() {
  const char* env = std::getenv("RETOLD_STRESS_SECONDS");
  const double s = env ? std::atof(env) : 5.0;
  return s > 0 ? s : 5.0;
}

retold::deduplicator_options stress_options() {
  retold::deduplicator_options o;
  o.embedding = retold::embedding_mode::external;
  o.external_dimension = static_cast<std::uint32_t>(k_dim);
  o.vector_index.kind = retold::vector_index_kind::flat;  // exact search: see the header comment
  // The threshold rule: the learned model's cosine calibration is fed by pairs chosen by arrival
  // number across all documents, so its decisions depend on the other actors (see the header).
  o.decision = retold::match_decision::rule;
  o.threads = 2;                                         // add_batch's feature workers run too
  o.representative.source_priority = {"wire", "paper"};
  return o;
}

retold::query_options top(std::size_t k) {
  retold::query_options q;
  q.top_k = k;
  return q;
}

int actor_of(std::string_view id) { return id.size() > 1 && id[0] == 'a' ? id[1] - '0' : -1; }

// One document, owned (the log keeps it for the replay).
struct doc_spec {
  std::string id, text, source;
  std::int64_t timestamp = 0;
  std::vector<float> vector;
  retold::document view() const { return {id, text, {}, timestamp, source, vector}; }
};

enum class op_kind { add, add_batch, duplicate_add, remove, evict };

// One mutating call and what it returned.
struct op_record {
  op_kind kind = op_kind::add;
  std::vector<doc_spec> docs;              // add, add_batch, duplicate_add
  std::string id;                          // remove
  std::int64_t cutoff = 0;                 // evict
  std::vector<retold::add_result> results; // add (1), add_batch
  bool removed = false;
  std::size_t evicted = 0;
  std::uint64_t first_new_story = 0;       // smallest story id the call opened, 0 for none
};

// An actor's view of its own world: its stories and their members in joining order.
struct world_model {
  std::map<std::uint64_t, std::vector<std::string>> stories;
  std::unordered_map<std::string, std::uint64_t> story_of;
  std::unordered_map<std::string, std::int64_t> timestamp_of;

  void erase(const std::string& id) {
    auto& members = stories.at(story_of.at(id));
    members.erase(std::find(members.begin(), members.end(), id));
    if (members.empty()) stories.erase(story_of.at(id));
    story_of.erase(id);
    timestamp_of.erase(id);
  }
  std::vector<std::string> older_than(std::int64_t cutoff) const {
    std::vector<std::string> out;
    for (const auto& [id, ts] : timestamp_of)
      if (ts < cutoff) out.push_back(id);
    return out;
  }
  void apply(const op_record& op) {
    switch (op.kind) {
      case op_kind::add:
      case op_kind::add_batch:
        for (std::size_t i = 0; i < op.results.size(); ++i) {
          const auto& r = op.results[i];
          if (r.status != retold::errc::ok) continue;
          stories[r.cluster_id].push_back(op.docs[i].id);
          story_of[op.docs[i].id] = r.cluster_id;
          timestamp_of[op.docs[i].id] = op.docs[i].timestamp;
        }
        break;
      case op_kind::duplicate_add: break;
      case op_kind::remove:
        if (op.removed) erase(op.id);
        break;
      case op_kind::evict:
        for (const auto& id : older_than(op.cutoff)) erase(id);
        break;
    }
  }
};

using story_map = std::map<std::uint64_t, std::vector<std::string>>;

// A loaded snapshot: per actor its stories; and the save window.
struct snapshot {
  std::vector<story_map> stories = std::vector<story_map>(k_actors);
  std::size_t lo[k_actors] = {}, hi[k_actors] = {};
};

// What a failed check says; checked after the threads join (gtest assertions are thread-safe,
// but a message here keeps the first failure's context).
struct failure_log {
  std::mutex m;
  std::vector<std::string> messages;
  std::atomic<int> count{0};
  void add(std::string s) {
    if (count++ < 20) {
      std::lock_guard lock(m);
      messages.push_back(std::move(s));
    }
  }
};

#define STRESS_CHECK(cond, msg)                                                     \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::ostringstream stress_os;                                                 \
      stress_os << __LINE__ << ": " #cond ": " << msg;                              \
      failures.add(stress_os.str());                                                \
    }                                                                               \
  } while (0)

// Internal consistency of a set of stories read in one call, plus the actor separation.
std::string check_clusters(const std::vector<retold::cluster_info>& cs) {
  std::unordered_set<std::string> seen;
  std::uint64_t prev = 0;
  for (const auto& c : cs) {
    if (c.id <= prev) return "cluster ids not increasing at " + std::to_string(c.id);
    prev = c.id;
    if (c.members.empty()) return "empty cluster " + std::to_string(c.id);
    if (c.leader != c.members.front().id) return "leader is not the first member of " + std::to_string(c.id);
    bool rep = false;
    const int actor = actor_of(c.leader);
    for (const auto& m : c.members) {
      if (!seen.insert(m.id).second) return "document " + m.id + " in two clusters";
      if (actor_of(m.id) != actor) return "cluster " + std::to_string(c.id) + " mixes actors: " + m.id;
      rep |= m.id == c.representative;
    }
    if (!rep) return "representative of " + std::to_string(c.id) + " is not a member";
  }
  return {};
}

class actor_world {
 public:
  actor_world(int actor, std::uint64_t seed) : actor_(actor), rng_(seed * 1315423911u + static_cast<unsigned>(actor)) {
    for (int w = 0; w < 1500; ++w) {
      std::string word(1, static_cast<char>('a' + actor));
      const int len = 4 + static_cast<int>(rng_() % 6);
      for (int c = 0; c < len; ++c) word += static_cast<char>('a' + rng_() % 26);
      vocab_.push_back(word);
    }
  }

  // A new document: of a new story, or a retelling of an earlier one (edits up to `edit_share`).
  doc_spec next_doc() {
    std::size_t story;
    if (bases_.empty() || rng_() % 3 == 0) {
      story = bases_.size();
      std::vector<std::string> words;
      const std::size_t len = 60 + rng_() % 90;
      for (std::size_t i = 0; i < len; ++i) words.push_back(vocab_[rng_() % vocab_.size()]);
      std::vector<float> dir(k_block);
      std::normal_distribution<float> g;
      for (auto& x : dir) x = g(rng_);
      bases_.push_back({std::move(words), std::move(dir)});
    } else {
      story = rng_() % bases_.size();
    }
    const auto& base = bases_[story];
    doc_spec d;
    d.id = "a" + std::to_string(actor_) + "-" + std::to_string(next_++);
    const double edit_share = (rng_() % 4 == 0) ? 0.3 : 0.04;  // some retellings are borderline
    std::uniform_real_distribution<double> u;
    for (const auto& w : base.words) {
      d.text += u(rng_) < edit_share ? vocab_[rng_() % vocab_.size()] : w;
      d.text += ' ';
    }
    d.text += std::to_string(next_);  // every text differs
    d.source = rng_() % 3 == 0 ? "wire" : (rng_() % 2 ? "paper" : "blog");
    d.timestamp = (actor_ == k_evictor ? 1'000'000'000 : 2'000'000'000) + static_cast<std::int64_t>(next_);
    d.vector.assign(k_dim, 0.0f);
    std::normal_distribution<float> noise(0.0f, 0.15f);
    for (std::size_t i = 0; i < k_block; ++i) d.vector[actor_ * k_block + i] = base.dir[i] + noise(rng_);
    return d;
  }

  std::int64_t clock() const { return (actor_ == k_evictor ? 1'000'000'000 : 2'000'000'000) + static_cast<std::int64_t>(next_); }
  std::mt19937_64& rng() { return rng_; }

 private:
  struct story_base {
    std::vector<std::string> words;
    std::vector<float> dir;
  };
  int actor_;
  std::mt19937_64 rng_;
  std::vector<std::string> vocab_;
  std::vector<story_base> bases_;
  std::uint64_t next_ = 0;
};

struct shared_run {
  retold::deduplicator dedup{stress_options()};
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> started[k_actors] = {}, done[k_actors] = {};
  std::vector<op_record> logs[k_actors];  // logs[a] is written by actor a only
  failure_log failures;
  std::atomic<std::size_t> queries{0}, reads{0}, saves{0}, loads{0};
};

std::uint64_t first_new_story(const std::vector<retold::add_result>& rs) {
  std::uint64_t first = 0;
  for (const auto& r : rs)
    if (r.status == retold::errc::ok && r.new_story && (first == 0 || r.cluster_id < first)) first = r.cluster_id;
  return first;
}

void run_actor(shared_run& run, int actor, std::chrono::steady_clock::time_point deadline) {
  auto& d = run.dedup;
  auto& failures = run.failures;
  auto& log = run.logs[actor];
  actor_world world(actor, 20240305);
  world_model model;
  std::unordered_map<std::string, doc_spec> live;  // the stored documents, for the reads
  std::uint64_t last_story = 0;
  auto& rng = world.rng();

  auto check_adds = [&](const op_record& op) {
    std::set<std::uint64_t> opened;  // by this call (a batch's later documents may join them)
    for (std::size_t i = 0; i < op.results.size(); ++i) {
      const auto& r = op.results[i];
      if (r.status != retold::errc::ok) continue;
      if (r.new_story) {
        STRESS_CHECK(r.cluster_id > last_story, "story ids must increase: " << r.cluster_id << " after " << last_story);
        last_story = std::max(last_story, r.cluster_id);
        opened.insert(r.cluster_id);
      } else {
        STRESS_CHECK(model.stories.count(r.cluster_id) || opened.count(r.cluster_id),
                     op.docs[i].id << " joined story " << r.cluster_id << " not of its actor");
        STRESS_CHECK(r.leader && actor_of(r.leader->id) == actor, op.docs[i].id << " decided by another actor's document");
      }
    }
  };
  auto random_live = [&]() -> std::string {
    if (model.story_of.empty()) return {};
    auto it = model.story_of.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(rng() % model.story_of.size()));
    return it->first;
  };
  auto commit = [&](op_record op) {
    run.done[actor].fetch_add(1, std::memory_order_release);
    if (op.kind == op_kind::add || op.kind == op_kind::add_batch)
      for (std::size_t i = 0; i < op.results.size(); ++i)
        if (op.results[i].status == retold::errc::ok) live[op.docs[i].id] = op.docs[i];
    if (op.kind == op_kind::remove && op.removed) live.erase(op.id);
    if (op.kind == op_kind::evict)
      for (const auto& id : model.older_than(op.cutoff)) live.erase(id);
    model.apply(op);
    log.push_back(std::move(op));
  };
  // Mutating calls are counted before they start (started) and after they return (done), which
  // is what bounds the calls a concurrent save can have seen.
  auto begin = [&] { run.started[actor].fetch_add(1, std::memory_order_acq_rel); };

  while (log.size() < k_min_calls || (std::chrono::steady_clock::now() < deadline && !run.stop)) {
    const unsigned pick = static_cast<unsigned>(rng() % 100);
    const bool crowded = model.story_of.size() > k_live_target;
    // Crowded: fewer adds, more removes, so the live set stays near k_live_target per actor.
    if (pick < (crowded ? 15u : 40u)) {  // one add
      op_record op;
      op.kind = op_kind::add;
      op.docs.push_back(world.next_doc());
      begin();
      op.results.push_back(d.add(op.docs.back().view()));
      op.first_new_story = first_new_story(op.results);
      check_adds(op);
      commit(std::move(op));
    } else if (pick < (crowded ? 22u : 55u)) {  // a batch, sometimes with a bad document or a duplicate id in it
      op_record op;
      op.kind = op_kind::add_batch;
      const std::size_t n = 2 + rng() % 5;
      for (std::size_t i = 0; i < n; ++i) op.docs.push_back(world.next_doc());
      if (rng() % 4 == 0) op.docs[rng() % n].vector.resize(k_dim - 1);   // incompatible
      if (rng() % 4 == 0 && !model.story_of.empty()) op.docs[rng() % n].id = random_live();  // duplicate
      if (rng() % 6 == 0) op.docs.push_back(op.docs.front());            // duplicate within the batch
      std::vector<retold::document> views;
      for (const auto& doc : op.docs) views.push_back(doc.view());
      begin();
      op.results = d.add_batch(views);
      STRESS_CHECK(op.results.size() == op.docs.size(), "add_batch returned " << op.results.size());
      std::unordered_set<std::string> ids_before;
      for (std::size_t i = 0; i < op.docs.size() && i < op.results.size(); ++i) {
        const bool dup = model.story_of.count(op.docs[i].id) || ids_before.count(op.docs[i].id);
        const bool bad = op.docs[i].vector.size() != k_dim;
        const auto want = dup ? retold::errc::duplicate_id : bad ? retold::errc::incompatible : retold::errc::ok;
        if (!dup && !bad) ids_before.insert(op.docs[i].id);
        // A bad document with a duplicate id may be refused for either reason.
        if (!(dup && bad)) STRESS_CHECK(op.results[i].status == want, op.docs[i].id << ": " << op.results[i].error);
      }
      op.first_new_story = first_new_story(op.results);
      check_adds(op);
      commit(std::move(op));
    } else if (pick < 70) {  // remove: usually a live document, sometimes unknown
      op_record op;
      op.kind = op_kind::remove;
      op.id = rng() % 10 == 0 || model.story_of.empty() ? "a" + std::to_string(actor) + "-unknown" : random_live();
      const bool expected = model.story_of.count(op.id) > 0;
      begin();
      op.removed = d.remove(op.id);
      STRESS_CHECK(op.removed == expected, "remove(" << op.id << ")");
      commit(std::move(op));
    } else if (pick < 73 && !model.story_of.empty()) {  // add an id that is stored: refused, nothing changes
      op_record op;
      op.kind = op_kind::duplicate_add;
      op.docs.push_back(world.next_doc());
      op.docs.back().id = random_live();
      begin();
      try {
        d.add(op.docs.back().view());
        STRESS_CHECK(false, "duplicate " << op.docs.back().id << " was added");
      } catch (const retold::error& e) {
        STRESS_CHECK(e.code() == retold::errc::duplicate_id, e.what());
      }
      commit(std::move(op));
    } else if (pick < 78 && actor == k_evictor) {  // retention: keep about the last 120 documents
      op_record op;
      op.kind = op_kind::evict;
      op.cutoff = world.clock() - 120;
      const std::size_t expected = model.older_than(op.cutoff).size();
      begin();
      op.evicted = d.evict_before(op.cutoff);
      STRESS_CHECK(op.evicted == expected, "evict_before(" << op.cutoff << ") removed " << op.evicted << ", expected " << expected);
      commit(std::move(op));
    } else {  // reads of its own world, which nobody else changes: they must agree with the model
      const std::string id = random_live();
      if (id.empty()) continue;
      ++run.queries;
      const std::uint64_t story = model.story_of.at(id);
      STRESS_CHECK(d.contains(id), id);
      STRESS_CHECK(d.cluster_of(id) == story, id);
      const auto info = d.cluster(story);
      std::vector<std::string> members;
      for (const auto& m : info.members) members.push_back(m.id);
      STRESS_CHECK(members == model.stories.at(story), "members of story " << story);
      const doc_spec* spec = &live.at(id);
      {
        const auto by_text = d.query(spec->text, top(50));
        STRESS_CHECK(std::any_of(by_text.begin(), by_text.end(), [&](const retold::match& m) { return m.id == id; }),
                     "query by the text of " << id);
        const auto by_vector = d.query_vector(spec->vector, top(50));
        STRESS_CHECK(std::any_of(by_vector.begin(), by_vector.end(), [&](const retold::match& m) { return m.id == id; }),
                     "query by the vector of " << id);
        for (const auto& m : by_text) STRESS_CHECK(actor_of(m.id) == actor, "query of " << id << " matched " << m.id);
      }
    }
  }
}

void run_reader(shared_run& run) {
  auto& d = run.dedup;
  auto& failures = run.failures;
  actor_world probes(0, 99);  // texts and vectors of actor 0's vocabulary, never added
  while (!run.stop) {
    const auto cs = d.clusters();
    const std::string bad = check_clusters(cs);
    STRESS_CHECK(bad.empty(), bad);
    const auto st = d.stats();
    STRESS_CHECK(st.clusters <= st.documents && st.multi_member_clusters <= st.clusters, "stats");
    const doc_spec probe = probes.next_doc();
    for (const auto& m : d.query(probe.text, top(20))) STRESS_CHECK(actor_of(m.id) == 0, "probe matched " << m.id);
    for (const auto& m : d.query_vector(probe.vector, top(20)))
      STRESS_CHECK(actor_of(m.id) == 0, "probe vector matched " << m.id);
    ++run.reads;
  }
}

struct save_ticket {
  std::size_t slot = 0;
  fs::path dir;
  std::size_t lo[k_actors], hi[k_actors];
};

// The saver rotates over k_save_dirs directories (saving again into one, as a nightly job does);
// a directory is busy from its save until the loader has read it.
constexpr std::size_t k_save_dirs = 3;

struct ticket_queue {
  std::mutex m;
  std::condition_variable cv;
  std::deque<save_ticket> q;
  bool busy[k_save_dirs] = {};
  bool closed = false;
};

void run_saver(shared_run& run, ticket_queue& tickets, const fs::path& base) {
  struct closer {  // however the saver ends, the loader stops waiting
    ticket_queue& t;
    ~closer() {
      std::lock_guard lock(t.m);
      t.closed = true;
      t.cv.notify_all();
    }
  } close_at_exit{tickets};
  for (std::size_t n = 0; !run.stop; ++n) {
    const std::size_t slot = n % k_save_dirs;
    {
      std::unique_lock lock(tickets.m);
      tickets.cv.wait(lock, [&] { return !tickets.busy[slot] || run.stop; });
      if (run.stop) return;
      tickets.busy[slot] = true;
    }
    save_ticket t;
    t.slot = slot;
    t.dir = base / ("save-" + std::to_string(slot));
    for (int a = 0; a < k_actors; ++a) t.lo[a] = run.done[a].load(std::memory_order_acquire);
    run.dedup.save(t.dir);
    for (int a = 0; a < k_actors; ++a) t.hi[a] = run.started[a].load(std::memory_order_acquire);
    ++run.saves;
    std::lock_guard lock(tickets.m);
    tickets.q.push_back(std::move(t));
    tickets.cv.notify_all();
  }
}

void run_loader(shared_run& run, ticket_queue& tickets, std::vector<snapshot>& snapshots) {
  auto& failures = run.failures;
  for (;;) {
    save_ticket t;
    {
      std::unique_lock lock(tickets.m);
      tickets.cv.wait(lock, [&] { return !tickets.q.empty() || tickets.closed; });
      if (tickets.q.empty()) return;
      t = std::move(tickets.q.front());
      tickets.q.pop_front();
    }
    retold::deduplicator loaded = retold::deduplicator::load(t.dir);
    const auto cs = loaded.clusters();
    const std::string bad = check_clusters(cs);
    STRESS_CHECK(bad.empty(), t.dir << ": " << bad);
    snapshot s;
    std::size_t docs = 0, multi = 0;
    for (const auto& c : cs) {
      docs += c.members.size();
      multi += c.members.size() > 1;
      auto& members = s.stories[static_cast<std::size_t>(actor_of(c.leader))][c.id];
      for (const auto& m : c.members) {
        members.push_back(m.id);
        STRESS_CHECK(loaded.contains(m.id) && loaded.cluster_of(m.id) == c.id, m.id);
      }
    }
    const auto st = loaded.stats();
    STRESS_CHECK(st.documents == docs && st.clusters == cs.size() && st.multi_member_clusters == multi,
                 t.dir << ": stats " << st.documents << "/" << st.clusters << "/" << st.multi_member_clusters
                       << " vs clusters() " << docs << "/" << cs.size() << "/" << multi);
    if (!cs.empty()) {
      const auto one = loaded.cluster(cs.back().id);
      STRESS_CHECK(one.members.size() == cs.back().members.size() && one.leader == cs.back().leader, "cluster()");
    }
    // The loaded copy is a deduplicator of its own: it takes documents (here a probe of actor 0).
    actor_world probes(0, 1000 + run.loads.load());
    doc_spec probe = probes.next_doc();
    probe.id = "probe-" + std::to_string(run.loads.load());
    const auto r = loaded.add(probe.view());
    STRESS_CHECK(loaded.contains(probe.id) && loaded.cluster_of(probe.id) == r.cluster_id, "add to the loaded copy");
    std::copy(std::begin(t.lo), std::end(t.lo), s.lo);
    std::copy(std::begin(t.hi), std::end(t.hi), s.hi);
    snapshots.push_back(std::move(s));
    ++run.loads;
    std::lock_guard lock(tickets.m);
    tickets.busy[t.slot] = false;
    tickets.cv.notify_all();
  }
}

story_map without_empty(const std::map<std::uint64_t, std::vector<std::string>>& m) {
  story_map out;
  for (const auto& [id, members] : m)
    if (!members.empty()) out.emplace(id, members);
  return out;
}

void expect_same_clusters(const std::vector<retold::cluster_info>& a, const std::vector<retold::cluster_info>& b,
                          const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].id, b[i].id) << what;
    EXPECT_EQ(a[i].leader, b[i].leader) << what << " story " << a[i].id;
    EXPECT_EQ(a[i].representative, b[i].representative) << what << " story " << a[i].id;
    ASSERT_EQ(a[i].members.size(), b[i].members.size()) << what << " story " << a[i].id;
    for (std::size_t j = 0; j < a[i].members.size(); ++j) {
      const auto &x = a[i].members[j], &y = b[i].members[j];
      EXPECT_EQ(x.id, y.id) << what << " story " << a[i].id;
      EXPECT_EQ(x.timestamp, y.timestamp) << what << " " << x.id;
      EXPECT_EQ(x.source, y.source) << what << " " << x.id;
      EXPECT_EQ(x.scores.jaccard, y.scores.jaccard) << what << " " << x.id;
      EXPECT_EQ(x.scores.cosine, y.scores.cosine) << what << " " << x.id;
      EXPECT_EQ(x.scores.decision, y.scores.decision) << what << " " << x.id;
    }
  }
}

}  // namespace

TEST(Stress, ConcurrentMutationsEqualTheirSequentialReplay) {
  const double seconds = stress_seconds();
  const fs::path base = fs::temp_directory_path() / ("retold_stress_" + std::to_string(::getpid()));
  fs::remove_all(base);
  fs::create_directories(base);

  shared_run run;
  auto& failures = run.failures;
  ticket_queue tickets;
  std::vector<snapshot> snapshots;
  const auto t0 = std::chrono::steady_clock::now();
  const auto deadline = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
  {
    std::vector<std::thread> threads;
    auto guarded = [&](auto fn) {
      return [&, fn] {
        try {
          fn();
        } catch (const std::exception& e) {
          failures.add(std::string("thread threw: ") + e.what());
          std::lock_guard lock(tickets.m);
          run.stop = true;
          tickets.cv.notify_all();
        }
      };
    };
    for (int a = 0; a < k_actors; ++a) threads.emplace_back(guarded([&, a] { run_actor(run, a, deadline); }));
    std::thread reader(guarded([&] { run_reader(run); }));
    std::thread saver(guarded([&] { run_saver(run, tickets, base); }));
    std::thread loader(guarded([&] { run_loader(run, tickets, snapshots); }));
    for (auto& t : threads) t.join();
    {
      std::lock_guard lock(tickets.m);  // the saver may be waiting for room in the queue
      run.stop = true;
      tickets.cv.notify_all();
    }
    reader.join();
    saver.join();
    loader.join();
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& m : failures.messages) ADD_FAILURE() << m;
  ASSERT_EQ(failures.count.load(), 0) << "checks failed while running";

  // ---- every snapshot is a consistent cut: per actor some prefix of its calls in [lo, hi]
  std::size_t mutations = 0;
  std::size_t counts[5] = {};
  for (int a = 0; a < k_actors; ++a) {
    mutations += run.logs[a].size();
    for (const auto& op : run.logs[a]) ++counts[static_cast<int>(op.kind)];
  }
  for (std::size_t si = 0; si < snapshots.size(); ++si) {
    const snapshot& s = snapshots[si];
    std::uint64_t max_in = 0, min_out = UINT64_MAX;
    for (int a = 0; a < k_actors; ++a) {
      const auto& log = run.logs[a];
      ASSERT_LE(s.lo[a], s.hi[a]);
      ASSERT_LE(s.hi[a], log.size());
      world_model m;
      for (std::size_t i = 0; i < s.lo[a]; ++i) m.apply(log[i]);
      std::size_t k_min = SIZE_MAX, k_max = 0;
      for (std::size_t k = s.lo[a];; ++k) {
        if (without_empty(m.stories) == s.stories[static_cast<std::size_t>(a)]) {
          k_min = std::min(k_min, k);
          k_max = k;
        }
        if (k == s.hi[a]) break;
        m.apply(log[k]);
      }
      ASSERT_NE(k_min, SIZE_MAX) << "snapshot " << si << ": actor " << a << "'s stories are not its state after any of calls "
                                 << s.lo[a] << ".." << s.hi[a];
      for (std::size_t i = 0; i < log.size(); ++i) {
        if (!log[i].first_new_story) continue;
        if (i + 1 <= k_min) max_in = std::max(max_in, log[i].first_new_story);  // surely in the snapshot
        if (i >= k_max) min_out = std::min(min_out, log[i].first_new_story);    // surely not
      }
    }
    EXPECT_LT(max_in, min_out) << "snapshot " << si << " holds a story opened after one it misses";
  }

  // ---- the serialization order: each actor's order, and stories opened in the order of their ids
  std::vector<std::pair<int, std::size_t>> order;  // (actor, index in its log)
  {
    std::size_t next[k_actors] = {};
    std::vector<std::uint64_t> keys;
    for (int a = 0; a < k_actors; ++a)
      for (const auto& op : run.logs[a])
        if (op.first_new_story) keys.push_back(op.first_new_story);
    std::sort(keys.begin(), keys.end());
    ASSERT_TRUE(std::adjacent_find(keys.begin(), keys.end()) == keys.end()) << "a story id was handed out twice";
    std::size_t key = 0;
    for (bool progress = true; progress;) {
      progress = false;
      for (int a = 0; a < k_actors; ++a) {
        while (next[a] < run.logs[a].size()) {
          const auto& op = run.logs[a][next[a]];
          if (op.first_new_story && op.first_new_story != keys[key]) break;
          if (op.first_new_story) ++key;
          order.emplace_back(a, next[a]++);
          progress = true;
        }
      }
    }
    ASSERT_EQ(order.size(), mutations) << "the actors' orders and the story ids contradict each other";
  }

  // ---- the replay: one call after another on a fresh deduplicator
  auto sequential_options = stress_options();
  sequential_options.threads = 1;
  retold::deduplicator replay(sequential_options);
  std::size_t mismatches = 0;
  for (const auto& [a, i] : order) {
    const op_record& op = run.logs[a][i];
    switch (op.kind) {
      case op_kind::add:
      case op_kind::add_batch: {
        std::vector<retold::document> views;
        for (const auto& doc : op.docs) views.push_back(doc.view());
        const auto rs = op.kind == op_kind::add ? std::vector<retold::add_result>{replay.add(views.front())}
                                                : replay.add_batch(views);
        ASSERT_EQ(rs.size(), op.results.size());
        for (std::size_t j = 0; j < rs.size(); ++j) {
          const auto &x = rs[j], &y = op.results[j];
          const bool same = x.status == y.status && x.cluster_id == y.cluster_id && x.new_story == y.new_story &&
                            x.leader.has_value() == y.leader.has_value() &&
                            (!x.leader || (x.leader->id == y.leader->id && x.leader->scores.score == y.leader->scores.score));
          if (!same && ++mismatches <= 10)
            ADD_FAILURE() << "replay of " << op.docs[j].id << ": story " << x.cluster_id << " (new " << x.new_story
                          << "), under load " << y.cluster_id << " (new " << y.new_story << ")";
        }
        break;
      }
      case op_kind::duplicate_add:
        EXPECT_THROW(replay.add(op.docs.front().view()), retold::error);
        break;
      case op_kind::remove:
        EXPECT_EQ(replay.remove(op.id), op.removed) << op.id;
        break;
      case op_kind::evict:
        EXPECT_EQ(replay.evict_before(op.cutoff), op.evicted);
        break;
    }
  }
  EXPECT_EQ(mismatches, 0u);
  const auto live = run.dedup.clusters();
  expect_same_clusters(replay.clusters(), live, "replay vs under load");
  const auto ls = run.dedup.stats(), rs = replay.stats();
  EXPECT_EQ(rs.documents, ls.documents);
  EXPECT_EQ(rs.clusters, ls.clusters);
  EXPECT_EQ(rs.multi_member_clusters, ls.multi_member_clusters);
  EXPECT_EQ(rs.documents_added_total, ls.documents_added_total);
  EXPECT_EQ(rs.documents_removed_total, ls.documents_removed_total);

  // ---- and the stressed state survives a save and a load
  run.dedup.save(base / "final");
  expect_same_clusters(retold::deduplicator::load(base / "final").clusters(), live, "loaded vs under load");
  fs::remove_all(base);

  std::printf("stress: %.1f s, %zu mutating calls (%zu adds, %zu batches, %zu duplicate adds, %zu removes, %zu evictions), "
              "%zu own-world reads, %zu reader rounds, %zu saves, %zu loads checked as consistent cuts; "
              "%zu documents in %zu stories at the end; sequential replay: %s\n",
              elapsed, mutations, counts[0], counts[1], counts[2], counts[3], counts[4], run.queries.load(),
              run.reads.load(), run.saves.load(), snapshots.size(), ls.documents, ls.clusters,
              mismatches == 0 && !HasFailure() ? "identical" : "DIFFERS");
  RecordProperty("mutating_calls", static_cast<int>(mutations));
  RecordProperty("snapshots", static_cast<int>(snapshots.size()));
  EXPECT_GT(counts[4], 0u);
  EXPECT_GT(snapshots.size(), 0u);
}
