// Uses the installed C++ API end to end: two retellings must land in one story.
#include <retold/retold.hpp>

#include <cstdio>

int main() {
  retold::deduplicator d;
  const char* a = "France has invited the foreign and defense ministers of Ukraine's main allies and the NATO "
                  "secretary general to take part in a video call on Thursday to demonstrate a united front.";
  const char* b = "France has invited the foreign and defense ministers of Ukraine's main allies and the NATO "
                  "secretary general to take part in a video call on Thursday to show a united front, Reuters said.";
  d.add({"a", a});
  const auto r = d.add({"b", b});
  std::printf("retold %s: b joined story %llu (new=%d)\n", RETOLD_VERSION_STRING,
              static_cast<unsigned long long>(r.cluster_id), r.new_story ? 1 : 0);
  return r.new_story ? 1 : 0;
}
