#include "vfs/trace.h"

#include <fmt/format.h>

#include "vfs/fault_plan.h"

namespace walcrash::vfs {

std::string TraceEntry::ToString() const {
  std::string outcome_text(CodeName(outcome));
  if (error_number != 0) outcome_text += " " + ErrnoName(error_number);
  std::string out = fmt::format("#{:<5} {:<11} {:<48} {:<18} {}", seq, OpKindName(op), path,
                                detail, outcome_text);
  if (!note.empty()) out += fmt::format("  [{}]", note);
  return out;
}

void Trace::Add(TraceEntry entry) {
  if (capacity_ == 0) {
    ++dropped_;
    return;
  }
  if (entries_.size() == capacity_) {
    entries_.pop_front();
    ++dropped_;
  }
  entries_.push_back(std::move(entry));
}

std::string Trace::ToString() const {
  std::string out;
  if (dropped_ != 0) out += fmt::format("... {} earlier calls not kept\n", dropped_);
  for (const TraceEntry& e : entries_) {
    out += e.ToString();
    out += '\n';
  }
  return out;
}

}  // namespace walcrash::vfs
