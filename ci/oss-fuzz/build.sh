#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script for walcrash's fuzz targets.
#
# In OSS-Fuzz (or ClusterFuzzLite) the base-builder image sets CC, CXX,
# CFLAGS, CXXFLAGS (sanitizer and coverage flags), LIB_FUZZING_ENGINE, SRC and
# OUT, and this script is run from $SRC/walcrash. It builds every target but
# the canary (whose planted bug would be filed as a real one) and puts in
# $OUT, for each target T: the binary T, T_seed_corpus.zip (fuzz/corpus/T),
# T.dict (fuzz/dict/T.dict) and T.options.
#
# Run locally (from the repository root, no Docker needed):
#   CC=clang CXX=clang++ LIB_FUZZING_ENGINE=-fsanitize=fuzzer ci/oss-fuzz/build.sh
# Without CFLAGS/CXXFLAGS it uses what OSS-Fuzz's address sanitizer build
# passes; without OUT/WORK it writes under build/oss-fuzz/.
here=$(cd "$(dirname "$0")/../.." && pwd)
: "${CC:?set CC (clang)}" "${CXX:?set CXX (clang++)}" "${LIB_FUZZING_ENGINE:?set LIB_FUZZING_ENGINE (e.g. -fsanitize=fuzzer)}"
: "${OUT:=$here/build/oss-fuzz/out}"
: "${WORK:=$here/build/oss-fuzz/work}"
sanitizer_flags="-fsanitize=address,undefined -fsanitize=fuzzer-no-link -fno-omit-frame-pointer -gline-tables-only -O1"
: "${CFLAGS:=$sanitizer_flags}"
: "${CXXFLAGS:=$sanitizer_flags}"
mkdir -p "$OUT" "$WORK"

targets=(fuzz_record_decoder fuzz_wal_directory fuzz_vfs_differential fuzz_crash_schedule
         fuzz_wal_directory_tdengine fuzz_crash_schedule_tdengine)

# CFLAGS/CXXFLAGS carry the instrumentation: no sanitizer or coverage flags
# of our own (WALCRASH_SANITIZE empty, WALCRASH_FUZZ_INSTRUMENT off); the
# targets link $LIB_FUZZING_ENGINE. Sanitizer flags at link time come from
# CXXFLAGS through CMAKE_EXE_LINKER_FLAGS. OSS-Fuzz sets no environment:
# fuzz_crash_schedule_tdengine is built to run the strict engine by default
# (the faithful one, TDengine 2.6 as it is, loses data on almost any crash,
# which is known and must not be filed).
cmake -S "$here" -B "$WORK/build" -G Ninja \
  -DCMAKE_BUILD_TYPE= \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DCMAKE_EXE_LINKER_FLAGS="$CXXFLAGS" \
  -DWALCRASH_BUILD_FUZZ=ON -DWALCRASH_FUZZ_INSTRUMENT=OFF -DWALCRASH_SANITIZE= \
  -DWALCRASH_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  -DWALCRASH_FUZZ_TDENGINE_DEFAULT_OPTIONS=strict=on \
  -DWALCRASH_BUILD_TESTS=OFF -DWALCRASH_BUILD_BENCH=OFF
cmake --build "$WORK/build" --target "${targets[@]}" -j "$(nproc)"

for t in "${targets[@]}"; do
  cp "$WORK/build/fuzz/$t" "$OUT/"
  rm -f "$OUT/${t}_seed_corpus.zip"
  (cd "$here/fuzz/corpus/$t" && zip -q -j "$OUT/${t}_seed_corpus.zip" ./*)
  if [[ -f $here/fuzz/dict/$t.dict ]]; then cp "$here/fuzz/dict/$t.dict" "$OUT/$t.dict"; fi
  # Each input runs a whole workload and its recovery: allow it time.
  printf '[libfuzzer]\ntimeout = 30\n' >"$OUT/$t.options"
  # A TDengine record's body is at most 3 MiB: more is a length trusted too far.
  if [[ $t == fuzz_wal_directory_tdengine ]]; then printf 'malloc_limit_mb = 128\n' >>"$OUT/$t.options"; fi
done
echo "oss-fuzz build: ${targets[*]} in $OUT"
