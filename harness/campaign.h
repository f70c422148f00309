// The default campaign: what `walcrash explore` runs without arguments and
// ci/quickstart runs as the main job. A few seeded workloads that cross
// several segment cuts (small segments), reopen, change the sync policy and
// take snapshots, explored at every crash-relevant call under every
// persistence model, with media faults; under a minute on a 2-core machine.
#pragma once

#include <cstdint>
#include <vector>

#include "harness/explorer.h"
#include "harness/workload.h"

namespace walcrash::harness {

struct Campaign {
  std::vector<Workload> workloads;
  ExploreOptions options;
};

// `bugs` ("" or KnownBugs names, comma-separated) goes into every workload;
// `engine` picks the WAL (its workloads draw only what it can take).
Campaign DefaultCampaign(uint64_t seed = 1, const std::string& bugs = "", const std::string& engine = "etcd");

}  // namespace walcrash::harness
