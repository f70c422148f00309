// EngineTraits — what a WAL under test can store besides its entries.
//
// The model (model.h) and the workloads (workload.h) follow them: a WAL
// without hard-state records recovers an empty hard state, one without
// metadata an empty metadata string, and a workload may not ask a WAL for
// what it cannot do (Workload::Validate names the operation). etcd stores
// everything; TDengine 2.x's WAL stores versioned records only, and versions
// must grow, so it takes neither raft's suffix overwrite nor snapshots.
#pragma once

#include <string_view>

namespace walcrash::harness {

struct EngineTraits {
  bool hard_state = true;  // hard-state records (term, vote, commit)
  bool metadata = true;    // Create's metadata
  bool snapshots = true;   // snapshot records
  bool overwrite = true;   // entries that replace a suffix of the log
  // The WAL makes each entry durable on its own, so its claim may end inside
  // an operation (model.h DurableLength); else a claim names whole ones.
  bool per_entry_claims = false;
};

// The built-in engines' traits; any other name gets etcd's.
EngineTraits TraitsOf(std::string_view engine);

}  // namespace walcrash::harness
