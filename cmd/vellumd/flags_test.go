package main

import "testing"

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
