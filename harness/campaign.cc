#include "harness/campaign.h"

namespace walcrash::harness {

Campaign DefaultCampaign(uint64_t seed, const std::string& bugs, const std::string& engine) {
  Campaign c;
  WorkloadProfile profile;
  profile.engine = engine;
  profile.ops = 40;
  profile.segment_size_bytes = 4096;
  for (uint64_t i = 0; i < 4; ++i) {
    Workload w = GenerateWorkload(seed * 1000 + i, profile);
    if (!bugs.empty()) w.options["bugs"] = bugs;
    c.workloads.push_back(std::move(w));
  }
  c.options.seed = seed;
  c.options.max_images_per_point = 48;
  c.options.samples_per_point = 4;
  c.options.media_faults = true;
  return c;
}

}  // namespace walcrash::harness
