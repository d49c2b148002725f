package api

import (
	"strings"

	"vellum.dev/vellum/protocol"
)

// router finds the route of a request. It is generated from the route
// table and nothing else: a route exists here exactly when it is in
// protocol.Routes, so the server, the spec and the authorization test can
// never disagree about which routes there are.
type router struct {
	// bySegments groups the routes by their number of path segments.
	bySegments map[int][]routeEntry
}

type routeEntry struct {
	index    int
	method   string
	segments []string // a "{name}" segment is a parameter
}

func newRouter(routes []protocol.Route) router {
	r := router{bySegments: map[int][]routeEntry{}}
	for i, rt := range routes {
		segs := strings.Split(rt.Path, "/")
		r.bySegments[len(segs)] = append(r.bySegments[len(segs)], routeEntry{index: i, method: rt.Method, segments: segs})
	}
	return r
}

// lookup returns the index of the route for method and path, and the
// path's parameters. It fails with CodeNotFound when no route has the path
// (a parameter that is not an id matches nothing) and CodeMethodNotAllowed
// when one has it with another method.
func (r *router) lookup(method, path string) (int, map[string]string, error) {
	segs := strings.Split(path, "/")
	pathFound := false
	for _, e := range r.bySegments[len(segs)] {
		params, ok := e.match(segs)
		if !ok {
			continue
		}
		if e.method == method {
			return e.index, params, nil
		}
		pathFound = true
	}
	if pathFound {
		return 0, nil, protocol.Errorf(protocol.CodeMethodNotAllowed, "method %s is not allowed here", sanitize(method))
	}
	return 0, nil, protocol.Errorf(protocol.CodeNotFound, "no such route")
}

func (e *routeEntry) match(segs []string) (map[string]string, bool) {
	var params map[string]string
	for i, w := range e.segments {
		if name, ok := strings.CutPrefix(w, "{"); ok {
			if !protocol.ValidID(segs[i]) {
				return nil, false
			}
			if params == nil {
				params = make(map[string]string, 2)
			}
			params[strings.TrimSuffix(name, "}")] = segs[i]
			continue
		}
		if w != segs[i] {
			return nil, false
		}
	}
	return params, true
}

// sanitize keeps a method name printable and short for an error message.
func sanitize(s string) string {
	if len(s) > 16 {
		s = s[:16]
	}
	return strings.Map(func(r rune) rune {
		if r < 'A' || r > 'Z' {
			return '?'
		}
		return r
	}, s)
}
