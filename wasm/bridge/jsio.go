//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall/js"
	"time"

	"vellum.dev/vellum/keys/document"
)

var (
	jsBlob           = js.Global().Get("Blob")
	jsReadableStream = js.Global().Get("ReadableStream")
	jsArrayBuffer    = js.Global().Get("ArrayBuffer")
)

// ErrSource is the cause of a CodeSource error: the page's File or stream
// failed while it was read (the file changed or vanished, the stream was
// errored by its producer).
var ErrSource = errors.New("bridge: reading the source failed")

// progressEvery is how often, at most, a transfer reports progress.
const progressEvery = 100 * time.Millisecond

// progress calls a JavaScript function with (done, total) at most every
// progressEvery, and always for the last call (force). A zero progress
// (no function given) does nothing.
type progress struct {
	fn    js.Value
	total int64
	last  time.Time
}

func newProgress(fn js.Value, total int64) *progress {
	if fn.Type() != js.TypeFunction {
		return &progress{}
	}
	return &progress{fn: fn, total: total}
}

func (p *progress) report(done int64, force bool) {
	if p.fn.Type() != js.TypeFunction {
		return
	}
	if now := time.Now(); force || now.Sub(p.last) >= progressEvery {
		p.last = now
		p.fn.Invoke(float64(done), float64(p.total))
	}
}

// sourceReader reads a page's Blob (a File) or ReadableStream of bytes as
// an io.Reader, one chunk of the stream at a time: memory is one chunk, as
// the stream's producer made it, however large the source. Chunks are
// copied into the caller's buffer piece by piece, so a producer's huge chunk
// is never copied into Go whole.
type sourceReader struct {
	ctx    context.Context
	reader js.Value // a ReadableStreamDefaultReader
	chunk  js.Value // the current Uint8Array
	off, n int
	done   bool
	err    error
	read   int64
	prog   *progress
}

// newSourceReader accepts a Blob or a ReadableStream. It locks the stream.
func newSourceReader(ctx context.Context, src js.Value, prog *progress) (*sourceReader, error) {
	var stream js.Value
	switch {
	case src.Type() == js.TypeObject && src.InstanceOf(jsBlob):
		stream = src.Call("stream")
	case src.Type() == js.TypeObject && src.InstanceOf(jsReadableStream):
		if src.Get("locked").Bool() {
			return nil, errorf(CodeBadArgument, "bridge: the source stream is locked by another reader")
		}
		stream = src
	default:
		return nil, errorf(CodeBadArgument, "bridge: source must be a Blob, a File or a ReadableStream")
	}
	return &sourceReader{ctx: ctx, reader: stream.Call("getReader"), prog: prog}, nil
}

func (r *sourceReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for r.off >= r.n {
		if r.done {
			return 0, io.EOF
		}
		if err := r.next(); err != nil {
			r.err = err
			r.cancel(err)
			return 0, err
		}
	}
	k := min(len(p), r.n-r.off)
	view := r.chunk
	if r.off != 0 || k != r.n {
		view = r.chunk.Call("subarray", r.off, r.off+k)
	}
	if got := js.CopyBytesToGo(p[:k], view); got != k {
		r.err = errorf(CodeInternal, "bridge: copied %d of %d bytes", got, k)
		return 0, r.err
	}
	r.off += k
	r.read += int64(k)
	return k, nil
}

// next waits for the stream's next chunk.
func (r *sourceReader) next() error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	res, err := awaitJS(r.reader.Call("read"))
	if err != nil {
		return &Error{Code: CodeSource, Msg: "the file could not be read: " + err.Error(), Err: ErrSource}
	}
	if res.Get("done").Bool() {
		r.done = true
		r.prog.report(r.read, true)
		return nil
	}
	v := res.Get("value")
	switch {
	case v.InstanceOf(jsUint8Array):
	case v.InstanceOf(jsArrayBuffer):
		v = jsUint8Array.New(v)
	case v.Type() == js.TypeObject && v.Get("buffer").InstanceOf(jsArrayBuffer):
		v = jsUint8Array.New(v.Get("buffer"), v.Get("byteOffset"), v.Get("byteLength"))
	default:
		return &Error{Code: CodeSource, Msg: "the source stream gave a chunk that is not bytes", Err: ErrSource}
	}
	r.chunk, r.off, r.n = v, 0, v.Get("byteLength").Int()
	r.prog.report(r.read, false)
	return nil
}

// cancel cancels the source stream, so its producer stops.
func (r *sourceReader) cancel(reason error) {
	p := r.reader.Call("cancel", reason.Error())
	p.Call("catch", js.FuncOf(func(js.Value, []js.Value) any { return nil })) // nothing to do with its failure
}

// Close cancels the stream if it was not read to its end.
func (r *sourceReader) Close() {
	if !r.done && r.err == nil {
		r.err = errors.New("bridge: source closed")
		r.cancel(r.err)
	}
}

// downloadChunk is how much plaintext one pull of a download stream gives
// the page: large enough that a chunk is worth a message, small enough that
// the worker holds little.
const downloadChunk = 256 << 10

// readableStream returns a JavaScript ReadableStream of what r gives,
// pulled on demand (highWaterMark 0: nothing is read before the consumer
// asks). When r ends, or fails, or the consumer cancels, close is called
// once and end (if a function) is called with null or a VellumError, so the
// page can tell a complete stream from a failed one even after the stream
// was transferred (a transferred stream's error loses its code).
//
// size is the number of bytes r must give: fewer is document.ErrTruncated.
func readableStream(name string, r io.Reader, size int64, close func(), end js.Value, prog *progress) js.Value {
	var (
		buf   []byte
		sent  int64
		ended bool
		pull  js.Func
		stop  js.Func
	)
	finish := func(err error) {
		if ended {
			return
		}
		ended = true
		close()
		pull.Release()
		stop.Release()
		buf = nil
		if end.Type() == js.TypeFunction {
			if err != nil {
				end.Invoke(jsErrorOf(err))
			} else {
				end.Invoke(js.Null())
			}
		}
	}
	pull = js.FuncOf(func(_ js.Value, a []js.Value) any {
		ctrl := a[0]
		return promise(name, func() (any, error) {
			if ended {
				return nil, nil
			}
			if buf == nil {
				buf = make([]byte, downloadChunk)
			}
			n, err := io.ReadFull(r, buf)
			if ended {
				return nil, nil // cancelled while reading
			}
			sent += int64(n)
			if n > 0 {
				ctrl.Call("enqueue", bytesToJS(buf[:n]))
			}
			switch {
			case err == nil:
				prog.report(sent, false)
			case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
				if sent != size {
					err = fmt.Errorf("bridge: %d bytes of %d: %w", sent, size, document.ErrTruncated)
					ctrl.Call("error", jsErrorOf(err))
					finish(err)
					return nil, nil
				}
				prog.report(sent, true)
				ctrl.Call("close")
				finish(nil)
			default:
				ctrl.Call("error", jsErrorOf(err))
				finish(err)
			}
			return nil, nil
		})
	})
	stop = js.FuncOf(func(js.Value, []js.Value) any {
		finish(&Error{Code: CodeCancelled, Msg: "the download was cancelled", Err: context.Canceled})
		return nil
	})
	src := jsObject.New()
	src.Set("pull", pull)
	src.Set("cancel", stop)
	strategy := jsObject.New()
	strategy.Set("highWaterMark", 0)
	return jsReadableStream.New(src, strategy)
}
