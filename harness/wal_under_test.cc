#include "harness/wal_under_test.h"

#include <fmt/format.h>

#include "harness/etcd_adapter.h"
#include "harness/tdengine_adapter.h"

namespace walcrash::harness {

std::vector<std::string> EngineNames() { return {"etcd", "tdengine"}; }

Status ValidateEngineConfig(const EngineConfig& config) {
  if (config.engine == "etcd") return EtcdOptionsFromConfig(config).status();
  if (config.engine == "tdengine") return TdengineOptionsFromConfig(config).status();
  return Status(Code::kInvalidArgument, "",
                fmt::format("unknown engine '{}' (built in: {})", config.engine, fmt::join(EngineNames(), ", ")));
}

Result<std::unique_ptr<WalUnderTest>> MakeWalUnderTest(vfs::Vfs& vfs, const EngineConfig& config) {
  WALCRASH_RETURN_IF_ERROR(ValidateEngineConfig(config));
  if (config.engine == "tdengine") {
    WALCRASH_ASSIGN_OR_RETURN(TdengineAdapterOptions options, TdengineOptionsFromConfig(config));
    return std::unique_ptr<WalUnderTest>(std::make_unique<TdengineWalUnderTest>(vfs, config.dir, options));
  }
  WALCRASH_ASSIGN_OR_RETURN(etcd::WalOptions options, EtcdOptionsFromConfig(config));
  return std::unique_ptr<WalUnderTest>(std::make_unique<EtcdWalUnderTest>(vfs, config.dir, options));
}

std::vector<std::string> KnownBugNames(std::string_view engine) {
  std::vector<std::string> out;
  if (engine == "etcd") {
    for (std::string_view n : etcd::KnownBugs::Names()) out.emplace_back(n);
  }
  return out;
}

}  // namespace walcrash::harness
