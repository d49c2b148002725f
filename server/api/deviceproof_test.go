package api_test

import (
	"bytes"
	"sync/atomic"
	"testing"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// TestDeviceProof: a login naming a trusted device is confirmed by the
// device's proof (the key inside a challenge only the device's identity
// opens), never by the device id alone, which is no secret; wrong proofs
// lock the sign-in like wrong codes; a removed device's challenge no longer
// signs in; and each kind of verification takes only its own answer.
func TestDeviceProof(t *testing.T) {
	var skew atomic.Int64
	s := startServer(t, &serverOptions{now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	u := s.register("dora@example.com")
	other := s.register("emil@example.com")

	// challenge logs u in naming deviceID and returns the verification.
	challenge := func(deviceID string) *protocol.DeviceVerification {
		t.Helper()
		lr, r := u.loginNamingDevice(u.password, deviceID)
		if lr == nil || lr.Session != nil || lr.Unlock != nil || lr.Verification == nil {
			t.Fatalf("login naming %q: %d %v %+v", deviceID, r.status, r.err, lr)
		}
		return lr.Verification
	}
	verify := func(v *protocol.DeviceVerification, proof []byte, code string) *protocol.DeviceVerifyRequest {
		return &protocol.DeviceVerifyRequest{VerificationID: v.VerificationID, Proof: proof, Code: code}
	}
	open := func(v *protocol.DeviceVerification) []byte {
		t.Helper()
		k, err := keys.UnwrapKey(v.DeviceChallenge, u.device.Age())
		if err != nil {
			t.Fatalf("the challenge does not open with the device's identity: %v", err)
		}
		return k.Bytes()
	}

	// The device id alone: a challenge, no session, and nothing e-mailed.
	sent := len(s.notices.Notices())
	v := challenge(u.deviceID)
	if len(v.DeviceChallenge) == 0 || len(v.DeviceChallenge) > protocol.MaxDeviceChallenge || v.SentTo != "" {
		t.Fatalf("device verification %+v", v)
	}
	if n := len(s.notices.Notices()); n != sent {
		t.Fatalf("a device login sent %d notices", n-sent)
	}
	// Another identity does not open it: it is the device's, not anyone's.
	if _, err := keys.UnwrapKey(v.DeviceChallenge, other.device.Age()); err == nil {
		t.Fatal("the challenge opens with another device's identity")
	}
	proof := open(v)
	wrong := bytes.Clone(proof)
	wrong[0] ^= 1
	s.wantCode(protocol.CodeAuthFailed, "POST", "/auth/device-verification", "", verify(v, wrong, ""))
	s.wantCode(protocol.CodeBadRequest, "POST", "/auth/device-verification", "", verify(v, nil, s.lastCode(u.email)))
	s.wantCode(protocol.CodeConflict, "POST", "/auth/device-verification/resend", "", &protocol.DeviceVerifyResendRequest{VerificationID: v.VerificationID})
	if n := len(s.notices.Notices()); n != sent {
		t.Fatal("a device verification was sent a code")
	}
	var lr protocol.LoginResponse
	s.must("POST", "/auth/device-verification", "", verify(v, proof, ""), &lr)
	if lr.Session == nil || lr.Unlock == nil {
		t.Fatalf("proved login: %+v", lr)
	}
	kinds := map[protocol.UnlockKind]int{}
	for _, w := range lr.Unlock.Wraps {
		kinds[w.Kind]++
	}
	if kinds[protocol.UnlockDevice] != 1 || kinds[protocol.UnlockPassword] != 1 || len(lr.Unlock.Wraps) != 2 {
		t.Fatalf("a proved device login unlocks with %v", kinds)
	}
	u.checkUnlock(lr.Unlock)
	// The proof works once.
	s.wantCode(protocol.CodeNotFound, "POST", "/auth/device-verification", "", verify(v, proof, ""))

	// Five wrong proofs lock the sign-in: the right one is then refused.
	v = challenge(u.deviceID)
	proof = open(v)
	for i := range 5 {
		bad := bytes.Clone(proof)
		bad[i] ^= 0x80
		want := protocol.CodeAuthFailed
		if i == 4 {
			want = protocol.CodeLocked
		}
		s.wantCode(want, "POST", "/auth/device-verification", "", verify(v, bad, ""))
	}
	s.wantCode(protocol.CodeLocked, "POST", "/auth/device-verification", "", verify(v, proof, ""))

	// A challenge answered too late is expired.
	v = challenge(u.deviceID)
	skew.Store(int64(3 * time.Minute))
	s.wantCode(protocol.CodeExpired, "POST", "/auth/device-verification", "", verify(v, open(v), ""))
	skew.Store(0)

	// Another account's device, or an id of none, is a new browser: an
	// e-mailed code, which a proof does not answer.
	for _, id := range []string{other.deviceID, "AAAAAAAAAAAAAAAAAAAAAA"} {
		v = challenge(id)
		if len(v.DeviceChallenge) != 0 || v.SentTo == "" {
			t.Fatalf("login naming %s: %+v", id, v)
		}
		s.wantCode(protocol.CodeBadRequest, "POST", "/auth/device-verification", "", verify(v, proof, ""))
	}

	// A device removed between its challenge and its proof signs in no more.
	v = challenge(u.deviceID)
	proof = open(v)
	u.signIn()
	s.must("DELETE", "/account/devices/"+u.deviceID, u.access, nil, nil)
	s.wantCode(protocol.CodeAuthFailed, "POST", "/auth/device-verification", "", verify(v, proof, ""))
	if v = challenge(u.deviceID); len(v.DeviceChallenge) != 0 || v.SentTo == "" {
		t.Fatalf("login naming a removed device: %+v", v)
	}
}
