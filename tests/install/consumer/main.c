/* Uses the installed C ABI (libretold_c): two retellings must land in one story. */
#include <retold/retold.h>

#include <stdio.h>
#include <string.h>

int main(void) {
  const char *a = "France has invited the foreign and defense ministers of Ukraine's main allies and the NATO "
                  "secretary general to take part in a video call on Thursday to demonstrate a united front.";
  const char *b = "France has invited the foreign and defense ministers of Ukraine's main allies and the NATO "
                  "secretary general to take part in a video call on Thursday to show a united front, Reuters said.";
  retold_dedup *d = NULL;
  retold_document doc = RETOLD_DOCUMENT_INIT;
  retold_add_result r = RETOLD_ADD_RESULT_INIT;
  if (retold_dedup_new(&d, NULL) != 0) {
    fprintf(stderr, "retold_dedup_new: %s\n", retold_last_error());
    return 1;
  }
  doc.id = "a";
  doc.text = a;
  doc.text_len = strlen(a);
  if (retold_dedup_add(d, &doc, &r) != 0) goto fail;
  doc.id = "b";
  doc.text = b;
  doc.text_len = strlen(b);
  if (retold_dedup_add(d, &doc, &r) != 0) goto fail;
  if (retold_abi_version() != RETOLD_C_ABI_VERSION) {
    fprintf(stderr, "header ABI %d, library ABI %u\n", RETOLD_C_ABI_VERSION, (unsigned)retold_abi_version());
    retold_dedup_free(d);
    return 1;
  }
  printf("libretold_c %s: b joined story %llu (new=%d)\n", retold_version_string(),
         (unsigned long long)r.cluster_id, (int)r.new_story);
  retold_dedup_free(d);
  return r.new_story ? 1 : 0;
fail:
  fprintf(stderr, "retold_dedup_add: %s\n", retold_last_error());
  retold_dedup_free(d);
  return 1;
}
