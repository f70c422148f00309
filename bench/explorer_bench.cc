// Benchmarks of the explorer (harness/explorer.h): how many crash images it
// checks per second, and what one image costs against the size of the
// durable log (issue "Benchmarks against peers", section Framework).
//
//   DefaultCampaign/<model>  harness::Explore over every workload of
//                            DefaultCampaign(1), with its options (what
//                            `walcrash explore` runs); model 0 = strict, prefix
//                            and subset together, 1/2/3 = strict/prefix/subset
//                            alone. images_per_s = images checked per second
//                            of process CPU time (the target: >= 20,000 per
//                            core); per campaign: crash_points, images_checked,
//                            images_recovered (recoveries actually run, the
//                            rest hit the explorer's cache) and findings
//                            (always 0: a finding on the correct engine aborts).
//   LiveRun                  The campaign's live runs alone, as CountCalls runs
//                            them: the engine's real call mix on SimVfs (time
//                            is engine + model + SimVfs; per-call costs of
//                            SimVfs alone are in sim_vfs_bench). calls_per_s =
//                            SimVfs calls per CPU second, crash_relevant_per_s
//                            = those that are crash points.
//   ExploreTail/<MiB>        Explore of a workload that writes a synced log of
//                            <MiB> MiB (64 KiB entries, one segment), then one
//                            unsynced 2000-byte save; CrashPointFilter keeps
//                            only that save's crash points and the end (2
//                            points, the same images at every size). Manual
//                            time = CPU time of Explore minus that of the same
//                            live run (CountCalls): the checking alone,
//                            recovery included.
//   ImageBuild/<MiB>         SimVfs::CrashImage(spec) and its destruction, over
//                            the images the explorer enumerates at the end of
//                            that workload. bytes_per_image = heap bytes the
//                            image holds beyond what it shares with the crashed
//                            SimVfs (this file's operator new/delete count the
//                            live-heap change while CrashImage runs).
//   ImageFingerprint/<MiB>   SimVfs::CrashImageFingerprint(spec), which the
//                            explorer computes for every image it checks (the
//                            key of its recovery cache, explorer.cc Check).
//   ImageEnumerate/<MiB>     SimVfs::ForEachCrashImage under strict, prefix and
//                            subset with the campaign's bounds, per distinct
//                            image visited (each candidate is built and
//                            fingerprinted to drop duplicates).
//
// Why: the issue asks for images/s on the default campaign, per core, and for
// evidence that "memory and time per image must not grow with the size of
// the durable log, only with what the crash changes", at 1, 16 and 64 MB.
// sim_vfs_bench's CrashImage/<MiB>/<survivors> times CrashImage on a
// hand-built SimVfs; the Image* benchmarks here use the specs the explorer
// itself enumerates on the etcd engine's real files (a preallocated segment,
// the pipeline's preallocated 0.tmp, a torn tail record), and add the
// fingerprint and enumeration the explorer pays per image on top of the build.
//
// What grows with the log, by design: checking an image recovers it, and
// recovery decodes and CRC-checks the whole log. CheckImage (image_check.cc)
// recovers each new image three times (the image; the recovered directory
// after a crash; again after writing on it: write-after-recovery), hashing
// every payload once per recovery for the oracles' digests. So ExploreTail's
// images/s falls in proportion to the log (a few ms of CPU per MiB per image
// recovered; recovered_MiB_per_s). The Image* benchmarks isolate the part
// that must not grow: building an image and fingerprinting it (the
// explorer's recovery-cache key) cost what the crash changed plus the path
// of nodes down to it (vfs/cow_bytes.h: a table pointer per 4 MiB of file).
//
// Threading: the explorer is single-threaded (explorer.cc starts no thread and
// the etcd adapter runs the engine with background_threads = false,
// etcd_adapter.cc), so one process's CPU time is one core's and every rate
// here is per core. Timings are process CPU time (MeasureProcessCPUTime or a
// manual CPU clock): a shared, loaded machine stretches wall time, not them.
//
// Every Status/Result is checked (bench::Must): an unexpected error aborts.
// Seeds are fixed (campaign seed 1) and the explorer has no budget, so the
// wall clock decides nothing that is checked.
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/bench_util.h"
#include "common/splitmix.h"
#include "harness/campaign.h"
#include "harness/explorer.h"
#include "harness/workload.h"
#include "harness/workload_runner.h"
#include "vfs/crash_image.h"
#include "vfs/sim_vfs.h"

// ---------------------------------------------------------------------------
// Heap accounting for bytes_per_image. While g_count_heap is set, every
// operator new adds the block's usable size and every operator delete
// subtracts it, so the counter's change across a window is the change of the
// live heap in that window (frees of older blocks count too, as they should).
// Outside the window the two cost one relaxed load each, so the other
// benchmarks are not slowed. new[], nothrow and sized forms of the standard
// library forward to these; over-aligned forms do not, and nothing an image
// allocates is over-aligned. Not inlined: inlined into a call site, GCC sees
// free() of a pointer from operator new (-Wmismatched-new-delete), which is
// exactly the pairing intended here.
namespace {
std::atomic<bool> g_count_heap{false};
std::atomic<int64_t> g_heap_delta{0};

int64_t UsableBytes(void* p) { return static_cast<int64_t>(malloc_usable_size(p)); }
}  // namespace

[[gnu::noinline]] void* operator new(std::size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  if (g_count_heap.load(std::memory_order_relaxed)) g_heap_delta.fetch_add(UsableBytes(p), std::memory_order_relaxed);
  return p;
}

[[gnu::noinline]] void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  if (g_count_heap.load(std::memory_order_relaxed)) g_heap_delta.fetch_sub(UsableBytes(p), std::memory_order_relaxed);
  std::free(p);
}

[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

namespace walcrash::harness {
namespace {

using bench::Die;
using bench::kKiB;
using bench::kMiB;
using bench::Must;
constexpr uint64_t kCampaignSeed = 1;

double ProcessCpuSeconds() {
  timespec ts{};
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) {
    Die("clock_gettime", Status(Code::kIOError, "", "CLOCK_PROCESS_CPUTIME_ID failed"));
  }
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// A finding on the correct engine means a broken engine or harness: the
// figures would be of something else, so the suite stops.
void MustFindNothing(const ExploreReport& report, std::string_view what) {
  if (report.findings == 0) return;
  std::string detail = std::to_string(report.findings) + " finding(s):";
  for (const auto& [oracle, n] : report.findings_by_oracle) detail += " " + oracle + "=" + std::to_string(n);
  if (!report.reproducers.empty()) detail += "; first: " + report.reproducers.front().verdict.message;
  Die(what, Status(Code::kCorruption, "", detail));
}

void SetExploreCounters(benchmark::State& state, const ExploreReport& total) {
  using benchmark::Counter;
  state.counters["images_per_s"] = Counter(static_cast<double>(total.images_checked), Counter::kIsRate);
  state.counters["images_checked"] = Counter(static_cast<double>(total.images_checked), Counter::kAvgIterations);
  state.counters["images_recovered"] = Counter(static_cast<double>(total.images_recovered), Counter::kAvgIterations);
  state.counters["crash_points"] = Counter(static_cast<double>(total.crash_points), Counter::kAvgIterations);
  state.counters["findings"] = static_cast<double>(total.findings);
}

// ---------------------------------------------------------------------------
// The default campaign, all models or one.

const Campaign& TheCampaign() {
  static const Campaign campaign = DefaultCampaign(kCampaignSeed);
  return campaign;
}

// Arg 0: all models; 1, 2, 3: strict, prefix, subset alone.
void BM_DefaultCampaign(benchmark::State& state) {
  const Campaign& campaign = TheCampaign();
  ExploreOptions options = campaign.options;
  std::string label = "all models";
  if (state.range(0) != 0) {
    const auto model = static_cast<vfs::PersistenceModel>(state.range(0) - 1);
    options.models = {model};
    label = std::string(vfs::PersistenceModelName(model));
  }
  ExploreReport total;
  for (auto _ : state) {
    for (const Workload& w : campaign.workloads) {
      ExploreReport report = Must(Explore(w, options), "explore");
      MustFindNothing(report, "default campaign");
      total.Merge(report);
    }
  }
  SetExploreCounters(state, total);
  state.SetLabel(label + ", " + std::to_string(campaign.workloads.size()) + " workloads, 1 thread");
}
// A whole campaign is under a second of CPU (all models), so a 2 s minimum
// gives a few iterations of the slow arguments and many of strict alone.
BENCHMARK(BM_DefaultCampaign)
    ->ArgName("model")  // 0 all, 1 strict, 2 prefix, 3 subset
    ->DenseRange(0, 3)
    ->MinTime(2.0)
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------
// The live run alone: the engine's real call mix on SimVfs, run as CountCalls
// runs it (explorer.cc: a WorkloadRunner without a hook). calls_per_s counts
// every SimVfs call (reads, stats and closes too: the trace's length, taken
// once before timing, since the runs are deterministic);
// crash_relevant_per_s only the calls that are crash points. A campaign's
// four live runs take about a millisecond, so the library picks the
// iterations.
RunOptions CampaignRunOptions() {
  RunOptions run;
  run.sector_size = TheCampaign().options.sector_size;
  run.fault_plan = TheCampaign().options.fault_plan;
  return run;
}

void BM_LiveRun(benchmark::State& state) {
  const Campaign& campaign = TheCampaign();
  uint64_t all_per_campaign = 0;
  for (const Workload& w : campaign.workloads) {
    WorkloadRunner runner(w, CampaignRunOptions());
    Must(runner.Run(), "live run");
    const size_t traced = runner.sim().TraceEntries().size();
    if (traced >= runner.sim().options().trace_capacity) {
      Die("live run", Status(Code::kInvalidArgument, "", "the trace dropped calls: cannot count them"));
    }
    all_per_campaign += traced;
  }
  uint64_t relevant = 0;
  for (auto _ : state) {
    for (const Workload& w : campaign.workloads) {
      WorkloadRunner runner(w, CampaignRunOptions());
      Must(runner.Run(), "live run");
      relevant += runner.calls_done();
    }
  }
  using benchmark::Counter;
  const double all = static_cast<double>(all_per_campaign) * static_cast<double>(state.iterations());
  state.counters["calls_per_s"] = Counter(all, Counter::kIsRate);
  state.counters["crash_relevant_per_s"] = Counter(static_cast<double>(relevant), Counter::kIsRate);
  state.counters["calls"] = static_cast<double>(all_per_campaign);
  state.SetLabel("engine + model + SimVfs");
}
BENCHMARK(BM_LiveRun)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------
// Against the size of the durable log.

constexpr uint32_t kBigEntryBytes = 64 * kKiB;
constexpr uint32_t kBigEntriesPerSave = 16;  // 1 MiB of payload per save
constexpr uint32_t kTailEntryBytes = 2000;
constexpr uint32_t kTailWriteMinPieces = 4;  // 2000 bytes + framing, 512-byte sectors

// create; <mib> saves of 16 x 64 KiB entries, each synced (level fsync);
// level write; a save of one 2000-byte entry, written but never synced (the
// write spans at least 4 sectors, so it has the same 3 tear points whatever
// its offset, and every size gets the same kinds of images). The
// segment is sized so the whole log stays in segment 0 (a cut would sync
// the tail and start a small new file), with 1 MiB to spare for record
// headers.
Workload SizedWorkload(uint64_t mib) {
  Workload w;
  w.engine = "etcd";
  w.options["segment-size"] = std::to_string(mib * kMiB + kMiB);
  Op create;
  create.kind = OpKind::kCreate;
  create.metadata = "explorer-bench";
  w.ops.push_back(create);
  for (uint64_t i = 0; i < mib; ++i) {
    Op save;
    save.kind = OpKind::kSave;
    save.entries = kBigEntriesPerSave;
    save.size = kBigEntryBytes;
    save.commit = 1;
    w.ops.push_back(save);
  }
  Op policy;
  policy.kind = OpKind::kPolicy;
  policy.policy = SyncPolicy{SyncLevel::kWrite, 0};
  w.ops.push_back(policy);
  Op tail;
  tail.kind = OpKind::kSave;
  tail.entries = 1;
  tail.size = kTailEntryBytes;
  tail.commit = 1;
  w.ops.push_back(tail);
  Must(w.Validate(), "sized workload");
  return w;
}

// The campaign's options, narrowed to the last operation and the end.
ExploreOptions TailOptions(const Workload& w) {
  ExploreOptions options = TheCampaign().options;
  options.filter.op = w.ops.size();
  options.filter.include_end = true;
  return options;
}

void BM_ExploreTail(benchmark::State& state) {
  const uint64_t mib = static_cast<uint64_t>(state.range(0));
  const Workload w = SizedWorkload(mib);
  const ExploreOptions options = TailOptions(w);
  ExploreReport total;
  for (auto _ : state) {
    const double t0 = ProcessCpuSeconds();
    ExploreReport report = Must(Explore(w, options), "explore");
    const double t1 = ProcessCpuSeconds();
    benchmark::DoNotOptimize(Must(CountCalls(w, options), "count calls"));
    const double t2 = ProcessCpuSeconds();
    MustFindNothing(report, "tail of a sized log");
    total.Merge(report);
    const double checking = (t1 - t0) - (t2 - t1);
    if (checking <= 0) Die("explore tail", Status(Code::kInvalidArgument, "", "the live run took longer than Explore"));
    state.SetIterationTime(checking);
  }
  SetExploreCounters(state, total);
  // MiB of durable log behind the images recovered, per second of checking.
  const double recovered_mib = static_cast<double>(total.images_recovered) * static_cast<double>(mib);
  state.counters["recovered_MiB_per_s"] = benchmark::Counter(recovered_mib, benchmark::Counter::kIsRate);
  state.counters["durable_MiB"] = static_cast<double>(mib);
}
// One iteration: at 64 MiB it is ~15 s of recoveries, and the explorer is
// deterministic (the same images every run), so repeating it only averages
// the machine's noise.
BENCHMARK(BM_ExploreTail)
    ->ArgName("MiB")
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// The sized workload run to its end (the runner keeps the crashed SimVfs),
// and the images the explorer visits at that crash point. Built once per
// size, shared by the Image* benchmarks (a 64 MiB run takes a while).
struct TailFixture {
  std::unique_ptr<WorkloadRunner> runner;
  std::vector<vfs::CrashImageSpec> specs;  // every model's, in the explorer's order
  size_t pending = 0;
};

const TailFixture& Tail(uint64_t mib) {
  static std::map<uint64_t, std::unique_ptr<TailFixture>> fixtures;
  auto it = fixtures.find(mib);
  if (it != fixtures.end()) return *it->second;
  auto f = std::make_unique<TailFixture>();
  const Workload w = SizedWorkload(mib);
  RunOptions run;
  run.sector_size = TheCampaign().options.sector_size;
  f->runner = std::make_unique<WorkloadRunner>(w, run);
  Must(f->runner->Run(), "run sized workload");
  if (f->runner->failed_op() || f->runner->live_violation()) {
    Die("run sized workload", f->runner->failure().ok()
                                  ? Status(Code::kCorruption, "", f->runner->live_violation()->message)
                                  : f->runner->failure());
  }
  const vfs::SimVfs& sim = f->runner->sim();
  const std::vector<vfs::PendingOperation> pending = sim.PendingOperations();
  f->pending = pending.size();
  // The tail write must still be pending (or every image would be the
  // durable state and say nothing about what a crash changes), and span the
  // sectors that give it the same tear points at every size.
  bool tail_pending = false;
  for (const vfs::PendingOperation& op : pending) tail_pending = tail_pending || op.pieces >= kTailWriteMinPieces;
  if (!tail_pending) {
    Die("sized workload", Status(Code::kInvalidArgument, "", "the tail write is not pending at the end"));
  }
  const ExploreOptions options = TailOptions(w);
  for (vfs::PersistenceModel m : options.models) {
    sim.ForEachCrashImage(EnumerationOptions(options, m), [&](const vfs::CrashImageSpec& spec) {
      f->specs.push_back(spec);
      return true;
    });
  }
  return *fixtures.emplace(mib, std::move(f)).first->second;
}

// One image per iteration, cycling through the fixture's specs. An image is
// a new SimVfs whose durable and live views are built from the crashed one's
// durable state plus the surviving operations: file contents are CowBytes
// copies (a pointer each) until a surviving write clones the chunk, leaf and
// table it touches. What the image holds beyond that sharing is what
// bytes_per_image counts; its destruction is timed too, as the explorer pays
// it for every image.
void BM_ImageBuild(benchmark::State& state) {
  const uint64_t mib = static_cast<uint64_t>(state.range(0));
  const TailFixture& f = Tail(mib);
  const vfs::SimVfs& sim = f.runner->sim();
  size_t next = 0;
  int64_t held = 0;
  for (auto _ : state) {
    const vfs::CrashImageSpec& spec = f.specs[next++ % f.specs.size()];
    g_heap_delta.store(0, std::memory_order_relaxed);
    g_count_heap.store(true, std::memory_order_relaxed);
    std::unique_ptr<vfs::SimVfs> image = Must(sim.CrashImage(spec), "crash image");
    g_count_heap.store(false, std::memory_order_relaxed);
    held += g_heap_delta.load(std::memory_order_relaxed);
    benchmark::DoNotOptimize(image.get());
    image.reset();  // the explorer frees each image too: part of its cost
  }
  using benchmark::Counter;
  state.counters["bytes_per_image"] = Counter(static_cast<double>(held), Counter::kAvgIterations);
  state.counters["images_per_s"] = Counter(static_cast<double>(state.iterations()), Counter::kIsRate);
  state.counters["durable_MiB"] = static_cast<double>(mib);
  state.SetLabel(std::to_string(f.specs.size()) + " specs, " + std::to_string(f.pending) + " pending");
}
BENCHMARK(BM_ImageBuild)->ArgName("MiB")->Arg(1)->Arg(16)->Arg(64)->MeasureProcessCPUTime()->Unit(benchmark::kMicrosecond);

void BM_ImageFingerprint(benchmark::State& state) {
  const uint64_t mib = static_cast<uint64_t>(state.range(0));
  const TailFixture& f = Tail(mib);
  const vfs::SimVfs& sim = f.runner->sim();
  size_t next = 0;
  for (auto _ : state) {
    const vfs::CrashImageSpec& spec = f.specs[next++ % f.specs.size()];
    benchmark::DoNotOptimize(Must(sim.CrashImageFingerprint(spec), "fingerprint"));
  }
  state.counters["images_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["durable_MiB"] = static_cast<double>(mib);
}
BENCHMARK(BM_ImageFingerprint)
    ->ArgName("MiB")
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMicrosecond);

void BM_ImageEnumerate(benchmark::State& state) {
  const uint64_t mib = static_cast<uint64_t>(state.range(0));
  const TailFixture& f = Tail(mib);
  const vfs::SimVfs& sim = f.runner->sim();
  const ExploreOptions options = TailOptions(SizedWorkload(mib));
  uint64_t images = 0;
  for (auto _ : state) {
    for (vfs::PersistenceModel m : options.models) {
      images += sim.ForEachCrashImage(EnumerationOptions(options, m), [](const vfs::CrashImageSpec& spec) {
        benchmark::DoNotOptimize(spec.survivors.data());
        return true;
      });
    }
  }
  state.counters["images_per_s"] = benchmark::Counter(static_cast<double>(images), benchmark::Counter::kIsRate);
  state.counters["durable_MiB"] = static_cast<double>(mib);
}
BENCHMARK(BM_ImageEnumerate)
    ->ArgName("MiB")
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace walcrash::harness
