// etcd_reader: reads a WAL directory with etcd's own wal package (3.4, as
// Debian's golang-etcd-server-dev ships it) and prints what ReadAll returned,
// as one JSON object in the schema of an element of expected.json's "reads"
// (see ../../../shared/interop/README.md).
//
//	etcd_reader -dir DIR [-snapshot-index I] [-snapshot-term T] [-mode read|write] [-repair]
//
// -mode read opens with wal.OpenForRead, -mode write with wal.Open. Write mode
// and -repair never touch DIR: they work on a fresh copy (files made 0600),
// which is removed before exit. -repair runs wal.Repair on the copy first,
// then reads the repaired copy, and adds "repair_result" to the object.
//
// Exit status: 0 when the object was printed (whatever ReadAll returned),
// 2 on a usage error, 1 when the copy could not be made.
//
// Built with GO111MODULE=off GOPATH=/usr/share/gocode (see build_etcd_reader.sh).
package main

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"os"
	"path/filepath"

	"go.etcd.io/etcd/raft/raftpb"
	"go.etcd.io/etcd/wal"
	"go.etcd.io/etcd/wal/walpb"
	"go.uber.org/zap"
)

type entryJSON struct {
	Index   uint64 `json:"index"`
	Term    uint64 `json:"term"`
	Type    int32  `json:"type"`
	DataB64 string `json:"data_b64"`
}

type readJSON struct {
	Mode          string      `json:"mode"`
	SnapshotIndex uint64      `json:"snapshot_index"`
	SnapshotTerm  uint64      `json:"snapshot_term"`
	MetadataB64   string      `json:"metadata_b64"`
	HardState     [3]uint64   `json:"hardstate_term_vote_commit"`
	Entries       []entryJSON `json:"entries"`
	Error         string      `json:"error"`
	RepairResult  *bool       `json:"repair_result,omitempty"`
}

// copyDir copies the regular files of src into a new directory under a fresh
// temp dir and returns it (and the temp dir to remove).
func copyDir(src string) (string, string, error) {
	tmp, err := ioutil.TempDir("", "etcd-reader-")
	if err != nil {
		return "", "", err
	}
	dst := filepath.Join(tmp, "wal")
	if err := os.Mkdir(dst, 0700); err != nil {
		return "", tmp, err
	}
	infos, err := ioutil.ReadDir(src)
	if err != nil {
		return "", tmp, err
	}
	for _, fi := range infos {
		if !fi.Mode().IsRegular() {
			continue
		}
		in, err := os.Open(filepath.Join(src, fi.Name()))
		if err != nil {
			return "", tmp, err
		}
		out, err := os.OpenFile(filepath.Join(dst, fi.Name()), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0600)
		if err != nil {
			in.Close()
			return "", tmp, err
		}
		_, err = io.Copy(out, in)
		in.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", tmp, err
		}
	}
	return dst, tmp, nil
}

func read(lg *zap.Logger, dir, mode string, snap walpb.Snapshot) readJSON {
	out := readJSON{Mode: mode, SnapshotIndex: snap.Index, SnapshotTerm: snap.Term, Entries: []entryJSON{}}
	var w *wal.WAL
	var err error
	if mode == "write" {
		w, err = wal.Open(lg, dir, snap)
	} else {
		w, err = wal.OpenForRead(lg, dir, snap)
	}
	if err != nil {
		out.Error = err.Error()
		return out
	}
	defer w.Close()
	var metadata []byte
	var state raftpb.HardState
	var ents []raftpb.Entry
	metadata, state, ents, err = w.ReadAll()
	out.MetadataB64 = base64.StdEncoding.EncodeToString(metadata)
	out.HardState = [3]uint64{state.Term, state.Vote, state.Commit}
	for _, e := range ents {
		out.Entries = append(out.Entries, entryJSON{e.Index, e.Term, int32(e.Type), base64.StdEncoding.EncodeToString(e.Data)})
	}
	if err != nil {
		out.Error = err.Error()
	}
	return out
}

func main() {
	os.Exit(run())
}

// run does the work, so that deferred cleanups run before the exit.
func run() int {
	dir := flag.String("dir", "", "the WAL directory (required)")
	index := flag.Uint64("snapshot-index", 0, "index of the walpb.Snapshot to open at")
	term := flag.Uint64("snapshot-term", 0, "term of the walpb.Snapshot to open at")
	mode := flag.String("mode", "read", "read (wal.OpenForRead) or write (wal.Open, on a copy)")
	repair := flag.Bool("repair", false, "run wal.Repair on a copy first, then read the copy")
	flag.Parse()
	if *dir == "" || flag.NArg() != 0 || (*mode != "read" && *mode != "write") {
		fmt.Fprintln(os.Stderr, "usage: etcd_reader -dir DIR [-snapshot-index I] [-snapshot-term T] [-mode read|write] [-repair]")
		return 2
	}
	if st, err := os.Stat(*dir); err != nil || !st.IsDir() {
		fmt.Fprintf(os.Stderr, "etcd_reader: %s is not a directory (%v)\n", *dir, err)
		return 1
	}
	lg := zap.NewNop()
	target := *dir
	if *mode == "write" || *repair {
		copied, tmp, err := copyDir(*dir)
		if tmp != "" {
			defer os.RemoveAll(tmp)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "etcd_reader: copying %s: %v\n", *dir, err)
			return 1
		}
		target = copied
	}
	var repaired *bool
	if *repair {
		ok := wal.Repair(lg, target)
		repaired = &ok
	}
	out := read(lg, target, *mode, walpb.Snapshot{Index: *index, Term: *term})
	out.RepairResult = repaired
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "etcd_reader: %v\n", err)
		return 1
	}
	return 0
}
