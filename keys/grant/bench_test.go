package grant_test

import (
	"bytes"
	"io"
	"testing"

	"filippo.io/age"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/grant"
)

// Grants cost one age X25519 wrap (Make) or unwrap (Open) plus one Ed25519
// signature or verification and the CBOR around them. The baselines are the
// raw age operations on the same 74-byte identity, in the same run.

func BenchmarkBaselineAgeX25519Wrap(b *testing.B) {
	secret := keys.NewIdentity().MarshalSecret()
	to := keys.NewIdentity().Recipient().Age()
	for b.Loop() {
		var buf bytes.Buffer
		w, err := age.Encrypt(&buf, to)
		if err != nil {
			b.Fatal(err)
		}
		w.Write(secret)
		w.Close()
	}
}

func BenchmarkBaselineAgeX25519Unwrap(b *testing.B) {
	id := keys.NewIdentity()
	var buf bytes.Buffer
	w, _ := age.Encrypt(&buf, id.Recipient().Age())
	w.Write(keys.NewIdentity().MarshalSecret())
	w.Close()
	file := buf.Bytes()
	for b.Loop() {
		r, err := age.Decrypt(bytes.NewReader(file), id.Age())
		if err != nil {
			b.Fatal(err)
		}
		io.ReadAll(r)
	}
}

func BenchmarkMake(b *testing.B) {
	granter, key, to := keys.NewSigningKey(), keys.NewIdentity(), keys.NewIdentity().Recipient()
	for b.Loop() {
		if _, err := grant.Make(granter, folderParams(1), key, to); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen is what a member's client does per grant: parse, verify
// against the expected granter, open.
func BenchmarkOpen(b *testing.B) {
	granter, key, grantee := keys.NewSigningKey(), keys.NewIdentity(), keys.NewIdentity()
	g, _ := grant.Make(granter, folderParams(1), key, grantee.Recipient())
	signed, vk := g.Bytes(), granter.Public()
	for b.Loop() {
		p, err := grant.Parse(signed)
		if err != nil {
			b.Fatal(err)
		}
		if err := grant.Verify(p, vk); err != nil {
			b.Fatal(err)
		}
		if _, err := grant.Open(p, grantee); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRewrap is the per-document cost of moving a folder to a new key
// version.
func BenchmarkRewrap(b *testing.B) {
	admin, v1 := keys.NewSigningKey(), keys.NewIdentity()
	rot, _, _ := grant.Rotate(admin, grant.RotationParams{FolderID: "f", Previous: 1, Removed: "bob", Admin: "alice", Time: now}, v1.Recipient())
	wrapped, _ := keys.WrapIdentity(keys.NewIdentity(), v1.Recipient())
	for b.Loop() {
		if _, err := grant.Rewrap(wrapped, v1, rot); err != nil {
			b.Fatal(err)
		}
	}
}
