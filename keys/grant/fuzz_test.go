package grant_test

import (
	"bytes"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys/grant"
)

// FuzzParse: whatever Parse accepts encodes back to the same bytes, so a
// grant has one encoding and its signature covers all of it.
func FuzzParse(f *testing.F) {
	for _, b := range vectortest.Seeds(f, "grant-statement", func(v grantVector) []byte { return v.Signed }) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := grant.Parse(b)
		if err != nil {
			return
		}
		again, err := g.Marshal()
		if err != nil {
			t.Fatalf("parsed grant does not marshal: %v", err)
		}
		if !bytes.Equal(again, b) || !bytes.Equal(g.Bytes(), b) {
			t.Fatalf("accepted a non-canonical grant")
		}
	})
}

func FuzzParseRotation(f *testing.F) {
	for _, b := range vectortest.Seeds(f, "grant-rotation", func(v rotationVector) []byte {
		if len(v.Rotations) == 0 {
			return nil
		}
		return v.Rotations[len(v.Rotations)-1]
	}) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := grant.ParseRotation(b)
		if err != nil {
			return
		}
		again, err := r.Marshal()
		if err != nil {
			t.Fatalf("parsed rotation does not marshal: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted a non-canonical rotation")
		}
		if r.Version != r.PreviousVersion+1 {
			t.Fatalf("accepted a rotation that skips a version")
		}
	})
}
