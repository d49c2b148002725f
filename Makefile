# Vellum. The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
GOROOT := $(shell $(GO) env GOROOT)
WASM_EXEC := $(GOROOT)/lib/wasm/go_js_wasm_exec
# Packages whose tests also run compiled to WebAssembly under Node.
WASM_TEST_PKGS := ./keys/... ./protocol/... ./wasm/... ./cmd/vellum/...

.PHONY: run build test test-go test-wasm vet fmt-check bench wasm

# Where `make run` keeps its database and its secrets, and where it listens.
ADDR ?= localhost:8443
DATA ?= ./data
SECRETS ?= ./secrets

## run: build the wasm client and vellumd, then start it on https://$(ADDR)
## with its data in $(DATA) and its secrets in $(SECRETS) (VELLUM_* overrides flags).
run: build
	bin/vellumd -addr $(ADDR) -data $(DATA) -secrets $(SECRETS)

## build: the secrets first (vellumd -init makes those missing), so that the
## seal log's public key is pinned in the clients that check seals: the wasm
## client (vellumd embeds web/static, so it is built before vellumd) and the
## vellum CLI.
build:
	$(GO) run ./cmd/vellumd -init -addr $(ADDR) -data $(DATA) -secrets $(SECRETS) >/dev/null
	VELLUM_LOG_KEY="$$(cat $(SECRETS)/seal-log.pub)" scripts/build-wasm.sh
	$(GO) build -o bin/vellumd ./cmd/vellumd
	$(GO) build -ldflags "-X main.pinnedLogKey=$$(cat $(SECRETS)/seal-log.pub)" -o bin/vellum ./cmd/vellum
	@echo "bin/vellum and web/static/vellum.wasm pin the seal log key in $(SECRETS)/seal-log.pub"

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

## wasm: the browser client (web/static/vellum.wasm and its fingerprint),
## pinning no log key unless $$VELLUM_LOG_KEY is set.
wasm:
	scripts/build-wasm.sh

## bench: the crypto core's benchmarks as the ratio table of bench/README.md.
bench:
	bench/run-core.sh
