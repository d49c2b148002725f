package store

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

func TestFormatVersionChecked(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value []byte // nil: delete the key
		extra bool   // leave another key behind
		ok    bool
	}{
		{name: "current", value: u64(formatVersion), ok: true},
		{name: "newer", value: u64(formatVersion + 1)},
		{name: "older", value: u64(formatVersion - 1)},
		{name: "short", value: []byte{1}},
		{name: "data without a version", extra: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := vfs.NewMem()
			s, err := Open("db", &Options{FS: fs, MemTableSize: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			db, err := pebble.Open("db", &pebble.Options{FS: fs, FormatMajorVersion: pebble.FormatValueSeparation})
			if err != nil {
				t.Fatal(err)
			}
			if tc.value != nil {
				err = db.Set(metaFormat, tc.value, pebble.Sync)
			} else {
				err = db.Delete(metaFormat, pebble.Sync)
			}
			if err == nil && tc.extra {
				err = db.Set(accountKey(NewID()), []byte{0xa0}, pebble.Sync)
			}
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			s, err = Open("db", &Options{FS: fs, MemTableSize: 1 << 20})
			if tc.ok {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				s.Close()
				return
			}
			if !errors.Is(err, ErrUnsupportedFormat) {
				t.Fatalf("Open = %v, want ErrUnsupportedFormat", err)
			}
		})
	}
}

// TestKeyLayout pins a few keys byte for byte: the layout is a stored
// format, and a change to it must be a deliberate format version bump.
func TestKeyLayout(t *testing.T) {
	id := ID{0: 0xaa, 15: 0xbb}
	for _, tc := range []struct {
		got  []byte
		want string
	}{
		{metaFormat, "00666f726d6174"},
		{accountKey(id), "01aa0000000000000000000000000000bb"},
		{emailKey("a@b"), "02614062"},
		{chunkKey(id, 0x0102), "0faa0000000000000000000000000000bb0000000000000102"},
		{auditEntryKey(id, 7), "18aa0000000000000000000000000000bb0000000000000007"},
		{sealHashKey(3), "1e0000000000000003"},
	} {
		if got := hexs(tc.got); got != tc.want {
			t.Errorf("key %s, want %s", got, tc.want)
		}
	}
	if prefixEnd([]byte{0x0f, 0xff}) == nil || hexs(prefixEnd([]byte{0x0f, 0xff})) != "10" {
		t.Errorf("prefixEnd(0f ff) = %x", prefixEnd([]byte{0x0f, 0xff}))
	}
}

func hexs(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
