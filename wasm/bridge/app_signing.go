//go:build js && wasm

package main

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"strings"
	"sync"
	"syscall/js"

	"vellum.dev/vellum/keys/link"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/wasm/client"
)

// The signing functions: a participant's handle on an envelope
// (client.Signing), opened by an outsider with their link and PIN or by a
// logged-in member, kept in the worker under a numeric handle. The page
// sees the document's name, type and size, the envelope's state and
// signers, the sender's message, and the decrypted document as a stream;
// the document key, the link's secret and the PIN never leave the worker.

// maxSignings is the most signing handles open at once; a page has one or
// two.
const maxSignings = 64

// signings holds the open signing handles. Like key handles (bridge.go)
// they are never reused, so a stale handle fails with CodeNotFound instead
// of reaching another envelope. The account functions run concurrently,
// hence the lock.
type signings struct {
	mu   sync.Mutex
	last handle
	open map[handle]*client.Signing
}

func (s *signings) add(g *client.Signing) (handle, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.open) >= maxSignings {
		return 0, errorf(CodeLimit, "bridge: %d envelopes are open; close some", maxSignings)
	}
	if s.last == math.MaxUint32 {
		return 0, errorf(CodeLimit, "bridge: out of handles; reload the page")
	}
	s.last++
	s.open[s.last] = g
	return s.last, nil
}

func (s *signings) get(h handle) (*client.Signing, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.open[h]
	if !ok {
		return nil, errorf(CodeNotFound, "bridge: no open envelope has handle %d", h)
	}
	return g, nil
}

func (s *signings) close(h handle) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.open[h]
	delete(s.open, h)
	return ok
}

// keep holds a freshly opened Signing and returns describe's view of it.
// A Signing that cannot be described (its message does not decrypt) is
// not kept: the page never learns its handle, so could never close it.
func (s *signings) keep(g *client.Signing, describe func(handle, *client.Signing) (map[string]any, error)) (any, error) {
	h, err := s.add(g)
	if err != nil {
		return nil, err
	}
	view, err := describe(h, g)
	if err != nil {
		s.close(h)
		return nil, err
	}
	return view, nil
}

// maxPINArg bounds the PIN argument before it is checked: six digits, with
// spaces a person may type between them.
const maxPINArg = 64

// arg reads the signing handle of a call (its first argument).
func (s *signings) arg(args argv) (handle, *client.Signing, error) {
	h, err := handleArg(args.at(0), "signing")
	if err != nil {
		return 0, nil, err
	}
	g, err := s.get(h)
	return h, g, err
}

// streamArg reads (handle, {op, onProgress, onEnd}) of a call that
// streams the Signing's document to the page.
func (s *signings) streamArg(a *app, args argv) (*client.Signing, *documentStream, error) {
	_, g, err := s.arg(args)
	if err != nil {
		return nil, nil, err
	}
	st, _, err := a.streamArgs(args, 1)
	return g, st, err
}

// registerSigning adds the signing functions.
func (a *app) registerSigning(def func(name string, fn func(args argv) (runner, error))) {
	bg := context.Background()
	s := &signings{open: make(map[handle]*client.Signing)}

	def("openSigningLink", func(args argv) (runner, error) {
		raw, err := args.str(0, "link", protocol.MaxLinkURL)
		if err != nil {
			return nil, err
		}
		pin, err := args.str(1, "PIN", maxPINArg)
		if err != nil {
			return nil, err
		}
		// Checked here, so that a mistyped link or PIN says so and no try
		// is counted. Neither value is ever quoted in an error.
		if _, err := link.Parse(raw); err != nil {
			return nil, &Error{Code: CodeBadLink, Msg: "this is not a complete Vellum signing link; open the link from the e-mail again", Err: err}
		}
		if _, err := link.ParsePIN(strings.ReplaceAll(strings.TrimSpace(pin), " ", "")); err != nil {
			return nil, &Error{Code: CodeBadPIN, Msg: "the PIN is the six digits of the text message", Err: err}
		}
		return func() (any, error) {
			g, err := a.c.OpenSigningLink(bg, raw, pin)
			if protocol.CodeOf(err) == protocol.CodeForbidden {
				// links.open refuses a cancelled or declined envelope so.
				return nil, &Error{Code: CodeEnvelopeClosed, Msg: "this envelope was cancelled by its sender or declined by a signer", Err: err}
			}
			if err != nil {
				return nil, err
			}
			return s.keep(g, signingJS)
		}, nil
	})
	def("openEnvelope", func(args argv) (runner, error) {
		tid, eid, err := envelopeIDs(args)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			g, err := a.c.OpenEnvelope(bg, tid, eid)
			if err != nil {
				return nil, err
			}
			return s.keep(g, signingJS)
		}, nil
	})
	def("signingRefresh", func(args argv) (runner, error) {
		h, g, err := s.arg(args)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			if err := g.Refresh(bg); err != nil {
				return nil, err
			}
			return signingJS(h, g)
		}, nil
	})
	def("signingDocument", func(args argv) (runner, error) {
		g, st, err := s.streamArg(a, args)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			// The digest is the one Sign will sign: of exactly the bytes
			// this stream gave the page.
			return st.run(g, func(ctx context.Context, w io.Writer) (map[string]any, error) {
				d, err := g.ReadDocument(ctx, w)
				if err != nil {
					return nil, err
				}
				return map[string]any{"sha256": hex.EncodeToString(d[:])}, nil
			}), nil
		}, nil
	})
	def("signingSign", func(args argv) (runner, error) {
		h, g, err := s.arg(args)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			last, err := g.Sign(bg)
			if err != nil {
				return nil, whyNot(g, err)
			}
			view, err := signingJS(h, g)
			if err != nil {
				return nil, err
			}
			return map[string]any{"last": last, "view": view}, nil
		}, nil
	})
	def("signingSeal", func(args argv) (runner, error) {
		h, g, err := s.arg(args)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			key, err := a.sealLogKey(bg)
			if err != nil {
				return nil, err
			}
			sealed, err := g.Seal(bg, key.v)
			if err != nil {
				return nil, err
			}
			view, err := signingJS(h, g)
			if err != nil {
				return nil, err
			}
			return map[string]any{"sealFile": bytesToJS(sealed.File), "view": view}, nil
		}, nil
	})
	def("signingDecline", func(args argv) (runner, error) {
		h, g, err := s.arg(args)
		if err != nil {
			return nil, err
		}
		reason, err := args.str(1, "reason", protocol.MaxReasonLength)
		if err != nil {
			return nil, err
		}
		reason = strings.TrimSpace(reason)
		if reason == "" {
			return nil, errorf(CodeBadArgument, "bridge: a reason is needed to decline")
		}
		return func() (any, error) {
			if err := g.Decline(bg, reason); err != nil {
				return nil, whyNot(g, err)
			}
			return signingJS(h, g)
		}, nil
	})
	def("signingDownloadSealed", func(args argv) (runner, error) {
		g, st, err := s.streamArg(a, args)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			// Refused before the stream starts when there is nothing
			// sealed to download, so the page gets a plain error.
			if err := g.Refresh(bg); err != nil {
				return nil, err
			}
			if status := g.Status(); status != protocol.EnvelopeSealed {
				return nil, errorf(CodeEnvelopeState, "the envelope is %s, not sealed yet", status)
			}
			key, err := a.sealLogKey(bg)
			if err != nil {
				return nil, err
			}
			return st.run(g, func(ctx context.Context, w io.Writer) (map[string]any, error) {
				// The stream errors unless the document matches its seal,
				// which is checked once the last byte was read: the page
				// MUST discard what it got from a failed stream.
				sealed, err := g.DownloadSealed(ctx, key.v, w)
				if err != nil {
					return nil, err
				}
				return map[string]any{
					"sha256":   hex.EncodeToString(sealed.Check.Report.Digest[:]),
					"sealFile": bytesToJS(sealed.File),
				}, nil
			}), nil
		}, nil
	})
	def("signingClose", func(args argv) (runner, error) {
		h, err := handleArg(args.at(0), "signing")
		if err != nil {
			return nil, err
		}
		return func() (any, error) { return s.close(h), nil }, nil
	})
}

// documentStream is a parsed {op, onProgress, onEnd} of a call that
// streams a document to the page.
type documentStream struct {
	a                 *app
	op                int64
	onProgress, onEnd js.Value
}

// streamArgs reads the options object at i: op, onProgress, onEnd, and
// the call's own extra options, which it returns for the caller to read.
func (a *app) streamArgs(args argv, i int, extra ...string) (*documentStream, js.Value, error) {
	o, err := args.opts(i, append([]string{"op", "onProgress", "onEnd"}, extra...)...)
	if err != nil {
		return nil, js.Undefined(), err
	}
	op, err := optUint(o, "op", math.MaxUint32)
	if err != nil {
		return nil, js.Undefined(), err
	}
	onProgress, err := optFunc(o, "onProgress")
	if err != nil {
		return nil, js.Undefined(), err
	}
	onEnd, err := optFunc(o, "onEnd")
	if err != nil {
		return nil, js.Undefined(), err
	}
	return &documentStream{a: a, op: op, onProgress: onProgress, onEnd: onEnd}, o, nil
}

// run returns {name, type, size, stream}: a ReadableStream of what read
// writes, pulled on demand like a download's. When read succeeds the
// page's onEnd gets (null, what read returned); when it fails, (error).
// read writes into a pipe: nothing is buffered beyond one pull, and a
// stream that the page cancels ends read through its context.
func (st *documentStream) run(g *client.Signing, read func(context.Context, io.Writer) (map[string]any, error)) map[string]any {
	name, typ, size := g.Document()
	ctx, done := st.a.opContext(st.op)
	pr, pw := io.Pipe()
	var result map[string]any // written before pw closes, read after the stream ends
	go func() {
		r, err := read(ctx, pw)
		result = r
		pw.CloseWithError(err)
	}()
	var end js.Func
	end = js.FuncOf(func(_ js.Value, args []js.Value) any {
		end.Release()
		if st.onEnd.Type() != js.TypeFunction {
			return nil
		}
		if len(args) > 0 && !args[0].IsNull() {
			st.onEnd.Invoke(args[0])
			return nil
		}
		st.onEnd.Invoke(js.Null(), result)
		return nil
	})
	stop := func() {
		done()
		pr.CloseWithError(context.Canceled)
	}
	stream := readableStream("signing", pr, size, stop, end.Value, newProgress(st.onProgress, size))
	return map[string]any{"name": name, "type": typ, "size": float64(size), "stream": stream}
}

// whyNot turns the client's refusal to sign or decline now into the code
// that says why: the envelope's view was read again by the call.
func whyNot(g *client.Signing, err error) error {
	if !errors.Is(err, client.ErrEnvelopeState) {
		return err
	}
	if e := turnOf(g.Status(), g.Signers(), g.SignerID()); e != nil {
		e.Err = err
		return e
	}
	return err
}

// turnOf says whether the signer me may sign or decline now: nil, or an
// *Error with the code and a sentence that says why not.
func turnOf(status protocol.EnvelopeStatus, signers []protocol.SignerStatus, me string) *Error {
	switch status {
	case protocol.EnvelopeSent:
	case protocol.EnvelopeCancelled:
		return errorf(CodeEnvelopeClosed, "the sender cancelled this envelope")
	case protocol.EnvelopeDeclined:
		return errorf(CodeEnvelopeClosed, "a signer declined this envelope")
	case protocol.EnvelopeExpired:
		return errorf(Code(protocol.CodeExpired), "this envelope has expired")
	case protocol.EnvelopeCompleted, protocol.EnvelopeSealed:
		return errorf(CodeAlreadySigned, "every signer has signed this envelope")
	default:
		return errorf(CodeEnvelopeState, "the envelope is %s", status)
	}
	var self *protocol.SignerStatus
	for i := range signers {
		if signers[i].SignerID == me {
			self = &signers[i]
		}
	}
	if self == nil {
		return errorf(CodeNotSigner, "you are not a signer of this envelope")
	}
	switch self.State {
	case protocol.SignerSigned:
		return errorf(CodeAlreadySigned, "you have signed this envelope already")
	case protocol.SignerDeclined:
		return errorf(CodeEnvelopeClosed, "you declined this envelope")
	case protocol.SignerLocked:
		return errorf(Code(protocol.CodeLocked), "this signing link is locked after too many wrong PINs")
	}
	for _, o := range signers {
		if o.Order < self.Order && o.State != protocol.SignerSigned {
			return errorf(CodeNotYourTurn, "%s signs before you; you can sign once they have", o.Name)
		}
	}
	return nil
}

// signingJS describes an open envelope for the page.
func signingJS(h handle, g *client.Signing) (map[string]any, error) {
	msg, err := g.Message()
	if err != nil {
		return nil, err
	}
	name, typ, size := g.Document()
	status, signers, me := g.Status(), g.Signers(), g.SignerID()
	// The signers as the sender's view shows them, and which one is this
	// participant.
	list := signersJS(status, signers)
	for i := range list {
		list[i].(map[string]any)["you"] = me != "" && signers[i].SignerID == me
	}
	out := map[string]any{
		"handle": float64(h), "envelopeId": g.EnvelopeID(), "signerId": me,
		"document": map[string]any{"name": name, "mimeType": typ, "size": float64(size)},
		"status":   string(status), "signers": list, "message": msg, "digest": nil,
		"yourTurn": false, "notYourTurn": nil,
	}
	// notYourTurn says why this participant cannot sign now, as the code
	// and sentence a refused signingSign would give. A sender who does not
	// sign has neither.
	if me != "" {
		if why := turnOf(status, signers, me); why == nil {
			out["yourTurn"] = true
		} else {
			out["notYourTurn"] = map[string]any{"code": string(why.Code), "message": why.Msg}
		}
	}
	if d, ok := g.Digest(); ok {
		out["digest"] = hex.EncodeToString(d[:])
	}
	return out, nil
}
