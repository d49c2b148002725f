//go:build js && wasm

package main

import (
	"errors"
	"syscall/js"
)

// The account functions (app.go) talk to the server, so they cannot answer
// within the JavaScript call that starts them: Go's net/http waits for
// fetch, and fetch needs the event loop the call would be blocking. Each one
// therefore runs on a goroutine of its own and settles a Promise. Go under
// js/wasm runs goroutines on the one JavaScript thread, so syscall/js may be
// used from any of them; a goroutine only yields at a blocking point (a
// channel, await).

// errPanic is the cause of the internal error a panicking call reports.
var errPanic = errors.New("bridge: panic")

// promise runs fn on a new goroutine and returns a Promise of its result:
// resolved with fn's value (converted by js.ValueOf; a js.Value passes as
// is), or rejected with a VellumError for fn's error. A panic in fn is an
// internal error whose text is not shown, since it could quote data.
func promise(name string, fn func() (any, error)) js.Value {
	var resolve, reject js.Value
	executor := js.FuncOf(func(_ js.Value, a []js.Value) any {
		resolve, reject = a[0], a[1]
		return nil
	})
	p := jsPromise.New(executor)
	executor.Release()
	go func() {
		v, err := guard(name, fn)
		if err != nil {
			reject.Invoke(jsErrorOf(err))
			return
		}
		resolve.Invoke(v)
	}()
	return p
}

func guard(name string, fn func() (any, error)) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, &Error{Code: CodeInternal, Msg: "bridge: internal error in " + name, Err: errPanic}
		}
	}()
	return fn()
}

// jsRejection is a JavaScript value a Promise was rejected with.
type jsRejection struct{ v js.Value }

func (e *jsRejection) Error() string {
	if e.v.Type() == js.TypeObject {
		if m := e.v.Get("message"); m.Type() == js.TypeString {
			return truncate(m.String(), 200)
		}
	}
	return "a JavaScript promise was rejected"
}

// awaitJS blocks the calling goroutine until the Promise p settles. It MUST
// NOT be called from a js.FuncOf callback itself, only from a goroutine that
// one started: the event loop that settles p is the one such a callback
// holds.
func awaitJS(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	arg := func(a []js.Value) js.Value {
		if len(a) == 0 {
			return js.Undefined()
		}
		return a[0]
	}
	ok := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- result{v: arg(a)}; return nil })
	fail := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- result{err: &jsRejection{arg(a)}}; return nil })
	jsPromise.Call("resolve", p).Call("then", ok, fail)
	r := <-ch
	ok.Release()
	fail.Release()
	return r.v, r.err
}
