// Package protocol is Vellum's contract between the browser client, the CLI
// and the server: the wire types of the JSON API, the deterministic CBOR
// encoding of signed statements, the domain-separation labels, the limits
// every decoder enforces, the error codes, and the test vectors in testdata/.
//
// The normative text is SPEC.md beside this file. This package holds no keys
// and does no I/O beyond decoding byte slices and readers it is handed.
package protocol
