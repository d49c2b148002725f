# Vellum. The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
GOROOT := $(shell $(GO) env GOROOT)
WASM_EXEC := $(GOROOT)/lib/wasm/go_js_wasm_exec
# Packages whose tests also run compiled to WebAssembly under Node.
WASM_TEST_PKGS := ./keys/... ./protocol/... ./wasm/... ./cmd/vellum/...

.PHONY: run build test test-go test-wasm vet fmt-check bench wasm

## run: build the wasm client and vellumd, then start it on https://localhost:8443
## with its data in ./data and its secrets in ./secrets (VELLUM_* overrides flags).
run: build
	bin/vellumd -addr localhost:8443 -data ./data -secrets ./secrets

## build: the wasm client first (vellumd embeds web/static), then vellumd and the vellum CLI.
build: wasm
	$(GO) build -o bin/vellumd ./cmd/vellumd
	$(GO) build -o bin/vellum ./cmd/vellum

## test: everything CI runs — vet, native tests, wasm tests under Node.
test: fmt-check vet test-go test-wasm

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./keys/... ./protocol/... ./wasm/...

test-go:
	@scripts/ensure-chromium.sh >/dev/null
	$(GO) test -count=1 -timeout 15m ./...

test-wasm:
	@scripts/ensure-node.sh
	GOOS=js GOARCH=wasm $(GO) test -count=1 -timeout 15m -exec="$(WASM_EXEC)" $(WASM_TEST_PKGS)

## wasm: the browser client (web/static/vellum.wasm and its fingerprint).
wasm:
	scripts/build-wasm.sh

## bench: the crypto core's benchmarks as the ratio table of bench/README.md.
bench:
	bench/run-core.sh
