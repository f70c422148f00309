#include "fuzz/vfs_program.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <utility>

#include <fmt/format.h>

#include "common/byte_reader.h"

namespace walcrash::fuzz {

namespace {

using vfs::OpenFlags;

constexpr std::array<std::string_view, kOpCount> kOpNames = {
    "open",     "close",   "read",    "readnext", "write",  "append", "size",  "truncate",
    "prealloc", "sync",    "datasync", "trylock", "lock",   "unlock", "opendir", "dirsync",
    "dirclose", "rename",  "unlink",  "mkdir",    "rmdir",  "list",   "stat",
};

constexpr unsigned kFlagBits = 0x3f;   // the OpenFlags bits of an open's flags byte
constexpr uint8_t kRawFlags = 0x80;    // use the bits as they are

// The flags a flags byte stands for (see the format in the header).
OpenFlags DecodeFlags(uint8_t byte) {
  unsigned f = byte & kFlagBits;
  if ((byte & kRawFlags) == 0) {
    if ((f & vfs::kWrite) == 0) f &= ~unsigned{vfs::kTruncate | vfs::kAppend};
    if ((f & vfs::kCreate) == 0) f &= ~unsigned{vfs::kExclusive};
    if ((f & (vfs::kRead | vfs::kWrite)) == 0) f |= vfs::kRead;
  }
  return static_cast<OpenFlags>(f);
}

uint8_t EncodeFlags(OpenFlags flags) {
  const auto byte = static_cast<uint8_t>(flags & kFlagBits);
  return DecodeFlags(byte) == flags ? byte : static_cast<uint8_t>(byte | kRawFlags);
}

bool UsesFileSlot(Op op) { return op <= Op::kUnlock; }
bool UsesDirSlot(Op op) { return op >= Op::kOpenDir && op <= Op::kDirClose; }

// A call's operands after its op and slot, in the order of the format: the
// one table the decoder and the encoder both follow.
enum class Operand : unsigned char {
  kFlags,       // one byte (DecodeFlags)
  kPath,        // one byte
  kPath2,       // one byte: a rename's destination
  kOffset,      // u16, up to kMaxOffset
  kSize,        // u16 into `offset`, up to kMaxSize (truncate's new size)
  kLength,      // u16, up to kMaxLength
  kDataLength,  // the same, then cut to what is left of kMaxWriteBytes
  kSeed,        // one byte
  kMode,        // one byte: bit 0 = kExtend
};

// At most three operands per call.
struct Operands {
  std::array<Operand, 3> list{};
  size_t count = 0;
  const Operand* begin() const { return list.data(); }
  const Operand* end() const { return list.data() + count; }
};

Operands OperandsOf(Op op) {
  using enum Operand;
  switch (op) {
    case Op::kOpen: return {{kFlags, kPath}, 2};
    case Op::kReadAt: return {{kOffset, kLength}, 2};
    case Op::kRead: return {{kLength}, 1};
    case Op::kWriteAt: return {{kOffset, kDataLength, kSeed}, 3};
    case Op::kAppend: return {{kDataLength, kSeed}, 2};
    case Op::kTruncate: return {{kSize}, 1};
    case Op::kPreallocate: return {{kMode, kOffset, kLength}, 3};
    case Op::kOpenDir:
    case Op::kUnlink:
    case Op::kMkdir:
    case Op::kRmdir:
    case Op::kList:
    case Op::kStat: return {{kPath}, 1};
    case Op::kRename: return {{kPath, kPath2}, 2};
    default: return {};  // close, size, the syncs and locks, dirclose: the slot is all
  }
}

// Reads a call's operands, in the order of the format.
class Decoder {
 public:
  explicit Decoder(std::span<const uint8_t> bytes) : in_(bytes) {}

  bool done() const { return in_.empty(); }

  Call Next() {
    Call c;
    c.op = static_cast<Op>(in_.Byte() % kOpCount);
    if (UsesFileSlot(c.op)) c.slot = static_cast<uint8_t>(in_.Byte() % kFileSlots);
    if (UsesDirSlot(c.op)) c.slot = static_cast<uint8_t>(in_.Byte() % kDirSlots);
    for (Operand operand : OperandsOf(c.op)) Read(operand, c);
    return c;
  }

 private:
  void Read(Operand operand, Call& c) {
    switch (operand) {
      case Operand::kFlags: c.flags = DecodeFlags(in_.Byte()); return;
      case Operand::kPath: c.path = PathByte(); return;
      case Operand::kPath2: c.path2 = PathByte(); return;
      case Operand::kOffset: c.offset = Bounded(kMaxOffset); return;
      case Operand::kSize: c.offset = Bounded(kMaxSize); return;
      case Operand::kLength: c.length = Bounded(kMaxLength); return;
      case Operand::kDataLength: c.length = Budgeted(Bounded(kMaxLength)); return;
      case Operand::kSeed: c.seed = in_.Byte(); return;
      case Operand::kMode:
        c.mode = (in_.Byte() & 1) != 0 ? vfs::PreallocateMode::kExtend : vfs::PreallocateMode::kKeepSize;
        return;
    }
  }

  uint8_t PathByte() { return static_cast<uint8_t>(in_.Byte() % kPathCount); }
  uint32_t Bounded(uint32_t max) { return in_.U16() % (max + 1); }
  uint32_t Budgeted(uint32_t length) {
    length = std::min(length, budget_);
    budget_ -= length;
    return length;
  }

  ByteReader in_;
  uint32_t budget_ = kMaxWriteBytes;
};

void PutU16(std::vector<uint8_t>& out, uint32_t value) {
  out.push_back(static_cast<uint8_t>(value & 0xff));
  out.push_back(static_cast<uint8_t>((value >> 8) & 0xff));
}

std::string PathText(uint8_t index) { return "/" + std::string(kPaths[index % kPathCount]); }

std::string_view ModeText(vfs::PreallocateMode mode) {
  return mode == vfs::PreallocateMode::kExtend ? "extend" : "keep";
}

// --- parsing ---------------------------------------------------------------

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

bool ParseNumber(std::string_view text, uint32_t max, uint32_t& out) {
  uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > max) return false;
  out = value;
  return true;
}

// Reads the words of one call; false when they are not a call.
class CallParser {
 public:
  CallParser(const std::vector<std::string_view>& words, uint32_t& budget) : w_(words), budget_(budget) {}

  bool Parse(Call& c) {
    auto op = std::find(kOpNames.begin(), kOpNames.end(), w_[0]);
    if (op == kOpNames.end()) return false;
    c.op = static_cast<Op>(op - kOpNames.begin());
    size_t next = 1;
    if (UsesFileSlot(c.op) && !Slot('h', kFileSlots, next++, c.slot)) return false;
    if (UsesDirSlot(c.op) && !Slot('g', kDirSlots, next++, c.slot)) return false;
    switch (c.op) {
      case Op::kOpen:
        return Arity(next + 2) && Flags(w_[next], c.flags) && Path(w_[next + 1], c.path);
      case Op::kReadAt:
        return Arity(next + 1) && At(w_[next], kMaxOffset, c.offset, c.length);
      case Op::kRead:
        return Arity(next + 1) && Plus(w_[next], c.length);
      case Op::kWriteAt:
        return Arity(next + 3) && At(w_[next], kMaxOffset, c.offset, c.length) && Seed(next + 1, c) &&
               Spend(c.length);
      case Op::kAppend:
        return Arity(next + 3) && Plus(w_[next], c.length) && Seed(next + 1, c) && Spend(c.length);
      case Op::kTruncate:
        return Arity(next + 2) && w_[next] == "to" && ParseNumber(w_[next + 1], kMaxSize, c.offset);
      case Op::kPreallocate:
        if (!Arity(next + 2) || !At(w_[next], kMaxOffset, c.offset, c.length)) return false;
        if (w_[next + 1] != "keep" && w_[next + 1] != "extend") return false;
        c.mode = w_[next + 1] == "extend" ? vfs::PreallocateMode::kExtend : vfs::PreallocateMode::kKeepSize;
        return true;
      case Op::kRename:
        return Arity(next + 2) && Path(w_[next], c.path) && Path(w_[next + 1], c.path2);
      case Op::kOpenDir:
      case Op::kUnlink:
      case Op::kMkdir:
      case Op::kRmdir:
      case Op::kList:
      case Op::kStat:
        return Arity(next + 1) && Path(w_[next], c.path);
      default:  // no operands (OperandsOf): the slot is all
        return Arity(next);
    }
  }

 private:
  bool Arity(size_t n) const { return w_.size() == n; }

  bool Slot(char letter, size_t count, size_t at, uint8_t& slot) const {
    if (at >= w_.size() || w_[at].size() != 2 || w_[at][0] != letter) return false;
    const int index = w_[at][1] - '0';
    if (index < 0 || static_cast<size_t>(index) >= count) return false;
    slot = static_cast<uint8_t>(index);
    return true;
  }

  static bool Path(std::string_view word, uint8_t& path) {
    for (size_t i = 0; i < kPathCount; ++i) {
      if (PathText(static_cast<uint8_t>(i)) == word) {
        path = static_cast<uint8_t>(i);
        return true;
      }
    }
    return false;
  }

  static bool Flags(std::string_view word, OpenFlags& flags) {
    unsigned f = 0;
    if (word != "0") {
      size_t i = 0;
      while (i <= word.size()) {
        size_t bar = std::min(word.find('|', i), word.size());
        std::string_view name = word.substr(i, bar - i);
        if (name == "r") f |= vfs::kRead;
        else if (name == "w") f |= vfs::kWrite;
        else if (name == "create") f |= vfs::kCreate;
        else if (name == "excl") f |= vfs::kExclusive;
        else if (name == "trunc") f |= vfs::kTruncate;
        else if (name == "append") f |= vfs::kAppend;
        else return false;
        i = bar + 1;
      }
    }
    flags = static_cast<OpenFlags>(f);
    return true;
  }

  // "@OFFSET+LENGTH"
  static bool At(std::string_view word, uint32_t max_offset, uint32_t& offset, uint32_t& length) {
    if (word.size() < 2 || word[0] != '@') return false;
    const size_t plus = word.find('+');
    if (plus == std::string_view::npos) return false;
    return ParseNumber(word.substr(1, plus - 1), max_offset, offset) && Plus(word.substr(plus), length);
  }

  // "+LENGTH"
  static bool Plus(std::string_view word, uint32_t& length) {
    return word.size() >= 2 && word[0] == '+' && ParseNumber(word.substr(1), kMaxLength, length);
  }

  bool Seed(size_t at, Call& c) const {
    uint32_t seed = 0;
    if (w_[at] != "seed" || !ParseNumber(w_[at + 1], 255, seed)) return false;
    c.seed = static_cast<uint8_t>(seed);
    return true;
  }

  bool Spend(uint32_t length) {
    if (length > budget_) return false;
    budget_ -= length;
    return true;
  }

  const std::vector<std::string_view>& w_;
  uint32_t& budget_;
};

// --- running -----------------------------------------------------------------

vfs::MutableBytes AsMutable(std::string& s) { return {reinterpret_cast<std::byte*>(s.data()), s.size()}; }

Outcome Failed(const Status& s) {
  Outcome o;
  o.code = s.code();
  o.error_number = s.error_number();
  o.message = s.ToString();
  return o;
}

Outcome Of(const Status& s) { return s.ok() ? Outcome{} : Failed(s); }

Outcome Value(std::string value) {
  Outcome o;
  o.value = std::move(value);
  return o;
}

Outcome NotRun(std::string why) {
  Outcome o;
  o.ran = false;
  o.message = std::move(why);
  return o;
}

std::string InfoText(const vfs::FileInfo& info) {
  return fmt::format("{} {}", vfs::FileKindName(info.kind), info.size);
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += '/';
    out += n;
  }
  return out;
}

// Printable text of a value: escapes, cut after `max` characters.
std::string Preview(std::string_view value, size_t max = 48) {
  std::string out;
  for (size_t i = 0; i < value.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (value.size() > max) out += fmt::format("... ({} bytes)", value.size());
  return out;
}

constexpr size_t kObserveMaxDepth = 8;
constexpr size_t kObserveMaxEntries = 256;
constexpr uint32_t kObserveMaxBytes = 1u << 16;  // files stay far below (kMaxSize + kMaxWriteBytes)

}  // namespace

std::string_view OpName(Op op) {
  const auto index = static_cast<size_t>(op);
  return index < kOpCount ? kOpNames[index] : "?";
}

Program DecodeProgram(std::span<const uint8_t> bytes) {
  Decoder decoder(bytes);
  Program program;
  while (!decoder.done() && program.calls.size() < kMaxCalls) program.calls.push_back(decoder.Next());
  return program;
}

std::vector<uint8_t> EncodeProgram(const Program& program) {
  std::vector<uint8_t> out;
  for (const Call& c : program.calls) {
    out.push_back(static_cast<uint8_t>(c.op));
    if (UsesFileSlot(c.op) || UsesDirSlot(c.op)) out.push_back(c.slot);
    for (Operand operand : OperandsOf(c.op)) {
      switch (operand) {
        case Operand::kFlags: out.push_back(EncodeFlags(c.flags)); break;
        case Operand::kPath: out.push_back(c.path); break;
        case Operand::kPath2: out.push_back(c.path2); break;
        case Operand::kOffset:
        case Operand::kSize: PutU16(out, c.offset); break;
        case Operand::kLength:
        case Operand::kDataLength: PutU16(out, c.length); break;
        case Operand::kSeed: out.push_back(c.seed); break;
        case Operand::kMode: out.push_back(c.mode == vfs::PreallocateMode::kExtend ? 1 : 0); break;
      }
    }
  }
  return out;
}

std::string CallText(const Call& c) {
  const std::string_view name = OpName(c.op);
  const std::string handle = UsesDirSlot(c.op) ? fmt::format("g{}", c.slot) : fmt::format("h{}", c.slot);
  switch (c.op) {
    case Op::kOpen:
      return fmt::format("{} {} {} {}", name, handle, vfs::OpenFlagsText(c.flags), PathText(c.path));
    case Op::kReadAt:
      return fmt::format("{} {} @{}+{}", name, handle, c.offset, c.length);
    case Op::kRead:
      return fmt::format("{} {} +{}", name, handle, c.length);
    case Op::kWriteAt:
      return fmt::format("{} {} @{}+{} seed {}", name, handle, c.offset, c.length, c.seed);
    case Op::kAppend:
      return fmt::format("{} {} +{} seed {}", name, handle, c.length, c.seed);
    case Op::kTruncate:
      return fmt::format("{} {} to {}", name, handle, c.offset);
    case Op::kPreallocate:
      return fmt::format("{} {} @{}+{} {}", name, handle, c.offset, c.length, ModeText(c.mode));
    case Op::kRename:
      return fmt::format("{} {} {}", name, PathText(c.path), PathText(c.path2));
    case Op::kOpenDir:
      return fmt::format("{} {} {}", name, handle, PathText(c.path));
    case Op::kUnlink:
    case Op::kMkdir:
    case Op::kRmdir:
    case Op::kList:
    case Op::kStat:
      return fmt::format("{} {}", name, PathText(c.path));
    default:  // no operands (OperandsOf): the slot is all
      return fmt::format("{} {}", name, handle);
  }
}

std::string ProgramText(const Program& program) {
  std::string out;
  for (size_t i = 0; i < program.calls.size(); ++i) out += fmt::format("{}: {}\n", i, CallText(program.calls[i]));
  return out;
}

Result<Program> ParseProgram(std::string_view text) {
  Program program;
  uint32_t budget = kMaxWriteBytes;
  size_t line_number = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = std::min(text.find('\n', i), text.size());
    std::string_view line = text.substr(i, end - i);
    i = end + 1;
    ++line_number;
    line = line.substr(0, std::min(line.find('#'), line.size()));
    size_t j = 0;
    while (j <= line.size()) {
      size_t semi = std::min(line.find(';', j), line.size());
      std::vector<std::string_view> words = Words(line.substr(j, semi - j));
      j = semi + 1;
      if (!words.empty() && words[0].size() > 1 && words[0].back() == ':') {
        words.erase(words.begin());  // "N:"
      }
      if (words.empty()) continue;
      Call call;
      if (!CallParser(words, budget).Parse(call)) {
        return Status(Code::kInvalidArgument, "", fmt::format("line {}: not a call (or past a bound): {}",
                                                              line_number, line));
      }
      if (program.calls.size() == kMaxCalls) {
        return Status(Code::kInvalidArgument, "", fmt::format("line {}: more than {} calls", line_number, kMaxCalls));
      }
      program.calls.push_back(call);
    }
  }
  return program;
}

std::vector<std::byte> WriteData(const Call& call) {
  std::vector<std::byte> out(call.length);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::byte>(1 + (call.seed * 13u + i) % 255);
  }
  return out;
}

std::string Outcome::Summary() const {
  if (!ran) return "not run: " + message;
  if (code == Code::kOk) return value.empty() ? "OK" : "OK " + Preview(value);
  return fmt::format("{} errno {} ({})", CodeName(code), error_number, message);
}

Machine::Machine(vfs::Vfs& vfs, std::string root) : vfs_(vfs), root_(std::move(root)) {}

Machine::~Machine() = default;

std::string Machine::Spell(uint8_t index) const {
  const std::string_view rel = kPaths[index % kPathCount];
  if (rel.empty()) return root_;
  return root_.back() == '/' ? root_ + std::string(rel) : root_ + "/" + std::string(rel);
}

Outcome Machine::Run(const Call& call) {
  if (UsesFileSlot(call.op)) return FileCall(call);
  if (UsesDirSlot(call.op)) return DirCall(call);
  return PathCall(call);
}

Outcome Machine::FileCall(const Call& c) {
  std::unique_ptr<vfs::File>& slot = files_[c.slot % kFileSlots];
  if (c.op == Op::kOpen) {
    slot.reset();
    auto opened = vfs_.Open(Spell(c.path), c.flags);
    if (!opened.ok()) return Failed(opened.error());
    slot = std::move(opened).value();
    return {};
  }
  vfs::File* f = slot.get();
  if (f == nullptr) return NotRun("no handle");
  switch (c.op) {
    case Op::kClose:
      return Of(f->Close());
    case Op::kReadAt:
    case Op::kRead: {
      std::string buf(c.length, '\0');
      auto n = c.op == Op::kReadAt ? f->ReadAt(c.offset, AsMutable(buf)) : f->Read(AsMutable(buf));
      if (!n.ok()) return Failed(n.error());
      buf.resize(*n);
      return Value(std::move(buf));
    }
    case Op::kWriteAt: {
      const std::vector<std::byte> data = WriteData(c);
      return Of(f->WriteAt(c.offset, data));
    }
    case Op::kAppend: {
      const std::vector<std::byte> data = WriteData(c);
      return Of(f->Append(data));
    }
    case Op::kSize: {
      auto size = f->Size();
      if (!size.ok()) return Failed(size.error());
      return Value(std::to_string(*size));
    }
    case Op::kTruncate:
      return Of(f->Truncate(c.offset));
    case Op::kPreallocate:
      return Of(f->Preallocate(c.offset, c.length, c.mode));
    case Op::kSync:
      return Of(f->Sync());
    case Op::kDataSync:
      return Of(f->DataSync());
    case Op::kTryLock:
      return Of(f->TryLock());
    case Op::kLock: {
      Status tried = f->TryLock();
      if (tried.code() == Code::kLocked) return Failed(tried);  // Lock would wait for ever
      return Of(f->Lock());
    }
    case Op::kUnlock:
      return Of(f->Unlock());
    default:
      return NotRun("not a file call");
  }
}

Outcome Machine::DirCall(const Call& c) {
  std::unique_ptr<vfs::Directory>& slot = dirs_[c.slot % kDirSlots];
  if (c.op == Op::kOpenDir) {
    slot.reset();
    auto opened = vfs_.OpenDirectory(Spell(c.path));
    if (!opened.ok()) return Failed(opened.error());
    slot = std::move(opened).value();
    return {};
  }
  if (slot == nullptr) return NotRun("no handle");
  return Of(c.op == Op::kDirSync ? slot->Sync() : slot->Close());
}

Outcome Machine::PathCall(const Call& c) {
  switch (c.op) {
    case Op::kRename:
      if (c.path == 0 || c.path2 == 0) return NotRun("the root's own entry");
      return Of(vfs_.Rename(Spell(c.path), Spell(c.path2)));
    case Op::kUnlink:
      return Of(vfs_.Unlink(Spell(c.path)));
    case Op::kMkdir:
      return Of(vfs_.Mkdir(Spell(c.path)));
    case Op::kRmdir:
      if (c.path == 0) return NotRun("the root's own entry");
      return Of(vfs_.Rmdir(Spell(c.path)));
    case Op::kList: {
      auto names = vfs_.List(Spell(c.path));
      if (!names.ok()) return Failed(names.error());
      return Value(JoinNames(*names));
    }
    case Op::kStat: {
      auto info = vfs_.Stat(Spell(c.path));
      if (!info.ok()) return Failed(info.error());
      return Value(InfoText(*info));
    }
    default:
      return NotRun("not a path call");
  }
}

std::vector<Observation> Machine::Observe() {
  std::vector<Observation> out;
  size_t entries = 0;
  // Visits the directory at `rel` ("" for the root): its listing, then each
  // child in name order.
  std::function<void(const std::string&, size_t)> visit = [&](const std::string& rel, size_t depth) {
    const std::string spelled = rel.empty() ? root_ : root_ + (root_.back() == '/' ? "" : "/") + rel;
    auto names = vfs_.List(spelled);
    out.push_back({"/" + rel, names.ok() ? Value("dir: " + JoinNames(*names)) : Failed(names.error())});
    if (!names.ok()) return;
    for (const std::string& name : *names) {
      if (++entries > kObserveMaxEntries) {
        out.push_back({"/" + rel, NotRun("more entries than the bound")});
        return;
      }
      const std::string child = rel.empty() ? name : rel + "/" + name;
      const std::string child_spelled = spelled + (spelled.back() == '/' ? "" : "/") + name;
      auto info = vfs_.Stat(child_spelled);
      if (!info.ok()) {
        out.push_back({"/" + child, Failed(info.error())});
      } else if (info->kind == vfs::FileKind::kDirectory && depth < kObserveMaxDepth) {
        visit(child, depth + 1);
      } else if (info->kind == vfs::FileKind::kRegular) {
        auto contents = vfs::ReadWholeFile(vfs_, child_spelled);
        out.push_back({"/" + child, contents.ok() ? Value(InfoText(*info) + ": " + *contents)
                                                  : Failed(contents.error())});
      } else {
        out.push_back({"/" + child, Value(InfoText(*info))});
      }
    }
  };
  visit("", 0);
  for (size_t i = 0; i < kFileSlots; ++i) {
    vfs::File* f = files_[i].get();
    if (f == nullptr) continue;
    auto size = f->Size();
    out.push_back({fmt::format("h{} size", i), size.ok() ? Value(std::to_string(*size)) : Failed(size.error())});
    std::string buf(size.ok() ? std::min<uint64_t>(*size, kObserveMaxBytes) : 0, '\0');
    auto n = f->ReadAt(0, AsMutable(buf));
    if (n.ok()) buf.resize(*n);
    out.push_back({fmt::format("h{} contents", i), n.ok() ? Value(std::move(buf)) : Failed(n.error())});
  }
  return out;
}

}  // namespace walcrash::fuzz
