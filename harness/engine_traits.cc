#include "harness/engine_traits.h"

namespace walcrash::harness {

EngineTraits TraitsOf(std::string_view engine) {
  if (engine == "tdengine") return EngineTraits{false, false, false, false, true};
  return EngineTraits{};
}

}  // namespace walcrash::harness
