package api_test

import (
	"slices"
	"strings"
	"testing"

	"vellum.dev/vellum/protocol"
)

// notYet is every route that answers 501 (code unsupported). Every route
// of the table has a handler now, the envelope and signing-link routes
// included.
var notYet = []string{}

// TestUnimplemented pins the list of routes without a handler, and checks
// that one of them, if any, answers 501 with a protocol error.
func TestUnimplemented(t *testing.T) {
	s := startServer(t, nil)
	got := s.api.Unimplemented()
	want := append([]string(nil), notYet...)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("routes answering 501:\n got %s\nwant %s", strings.Join(got, " "), strings.Join(want, " "))
	}
	if len(got) == 0 {
		// One request all the same: it makes sure the server is serving
		// before the test's cleanup shuts it down (a shutdown that comes
		// before Serve has started leaves the listener open).
		s.must("GET", "/log/checkpoint", "", nil, nil)
		return
	}
	u := s.register("carol@example.com")
	var r *protocol.Route
	for i := range protocol.Routes {
		if protocol.Routes[i].Name == got[0] {
			r = &protocol.Routes[i]
		}
	}
	path := strings.NewReplacer("{tenantId}", u.newTenant()).Replace(strings.TrimPrefix(r.Path, protocol.APIPrefix))
	resp := s.call(r.Method, path, u.access, nil, nil)
	if resp.status != 501 || resp.err == nil || resp.err.Code != protocol.CodeUnsupported {
		t.Errorf("unimplemented route %s: %d %v", r.Name, resp.status, resp.err)
	}
}
