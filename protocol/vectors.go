package protocol

import "embed"

// Vectors holds the test vectors of every stored or signed format, one folder
// per format under testdata/. They are embedded so that the same vectors run
// natively and under GOOS=js GOARCH=wasm, where the test binary cannot read
// the source tree. The linker drops this variable from binaries that do not
// refer to it.
//
//go:embed testdata
var Vectors embed.FS
