// src/capi/capi_results.hpp - filling the result structs of retold.h (internal, never installed).
#pragma once

#include "capi_internal.hpp"

#include <string>
#include <vector>

namespace retold::capi {

/// Checks an output list/explanation before any work: NULL, struct_size, element sizes, and that
/// it holds no earlier results (which would leak). Empties items/count.
void prepare_output(retold_match_list* out);
void prepare_output(retold_cluster_list* out);
void prepare_output(retold_explanation* out);

/// Fill a prepared output; its contents are owned by out->internal_ until the dispose function.
void fill_match_list(std::vector<retold::match> matches, double min_score, retold_match_list* out);
void fill_cluster_list(std::vector<retold::cluster_info> infos, retold_cluster_list* out);
void fill_explanation(retold::explanation e, retold_explanation* out);

/// The per-thread strings add results point to: begin_result_strings() drops the previous call's
/// (at the start of every add / add_batch), keep_result_string() stores one until then.
void begin_result_strings() noexcept;
const char* keep_result_string(std::string s);

/// C++ add result to C (full size); with `keep_strings`, leader_id points to a kept copy.
retold_add_result to_c(const retold::add_result& r, bool keep_strings);

}  // namespace retold::capi
