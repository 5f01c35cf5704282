# demoguard — see README.md. `make run` and `make test` install what is
# missing (through .ci/deps.sh) before they build.
GO        ?= go
BIN       := bin/demoguard
FUZZTIME  ?= 10s
export CGO_ENABLED := 1
# One Tesseract thread per instance: OpenMP threads slow Tesseract down (see NOTES).
export OMP_THREAD_LIMIT := 1

.PHONY: all deps test-deps build run test unit fuzz bench vet clean

all: build

deps:
	@bash .ci/deps.sh run

test-deps:
	@bash .ci/deps.sh test

build: deps
	$(GO) build -o $(BIN) ./cmd/demoguard

run: build
	./$(BIN) $(RUN_ARGS)

test: test-deps vet unit fuzz

vet:
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -timeout 40m ./...

# Each fuzz target briefly: they must not panic on any input.
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzLoad$$' -fuzztime=$(FUZZTIME) ./rules
	$(GO) test -run='^$$' -fuzz='^FuzzParseAmount$$' -fuzztime=$(FUZZTIME) ./rules
	$(GO) test -run='^$$' -fuzz='^FuzzMatch$$' -fuzztime=$(FUZZTIME) ./rules

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./rules

clean:
	rm -rf bin
