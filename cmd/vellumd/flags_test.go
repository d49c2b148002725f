package main

import (
	"strconv"
	"testing"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/api"
)

func TestIPRateFlag(t *testing.T) {
	c, err := parseFlags(nil)
	if err != nil || c.ipRate != defaultIPRate {
		t.Fatalf("default: %v, %v", c, err)
	}
	if c, err := parseFlags([]string{"-ip-rate", "5000"}); err != nil || c.ipRate != 5000 {
		t.Fatalf("-ip-rate 5000: %v, %v", c, err)
	}
	for _, bad := range []string{"0", "-1", "1000000001", "x"} {
		if _, err := parseFlags([]string{"-ip-rate", bad}); err == nil {
			t.Errorf("-ip-rate %s accepted", bad)
		}
	}
	t.Setenv("VELLUM_IP_RATE", "70")
	if c, err := parseFlags(nil); err != nil || c.ipRate != 70 {
		t.Fatalf("VELLUM_IP_RATE=70: %v, %v", c, err)
	}
}

func TestUploadRateFlag(t *testing.T) {
	c, err := parseFlags(nil)
	if err != nil || c.uploadRate != defaultUploadRate {
		t.Fatalf("default: %v, %v", c, err)
	}
	// The default is api.DefaultLimits' budget, which vellumd then keeps.
	def := api.DefaultLimits(nil, nil)
	if got, want := def.ChunkBytesPerIP.Burst(), int64(uploadBurstSeconds*defaultUploadRate)<<20; got != want {
		t.Fatalf("api.DefaultLimits' per-address upload burst is %d bytes, the flag's default gives %d", got, want)
	}
	if c, err := parseFlags([]string{"-upload-rate", "1024"}); err != nil || c.uploadRate != 1024 {
		t.Fatalf("-upload-rate 1024: %v, %v", c, err)
	}
	if c, err := parseFlags([]string{"-upload-rate", strconv.Itoa(minUploadRate)}); err != nil || int64(uploadBurstSeconds*c.uploadRate)<<20 < protocol.MaxChunk {
		t.Fatalf("the smallest -upload-rate: %v, %v", c, err)
	}
	for _, bad := range []string{"0", strconv.Itoa(minUploadRate - 1), "-1", "1048577", "x"} {
		if _, err := parseFlags([]string{"-upload-rate", bad}); err == nil {
			t.Errorf("-upload-rate %s accepted", bad)
		}
	}
	t.Setenv("VELLUM_UPLOAD_RATE", "64")
	if c, err := parseFlags(nil); err != nil || c.uploadRate != 64 {
		t.Fatalf("VELLUM_UPLOAD_RATE=64: %v, %v", c, err)
	}
}
