# demoguard — see README.md. `make run` and `make test` install what is
# missing (through .ci/deps.sh) before they build.
GO        ?= go
BIN       := bin/demoguard
# Fuzz budgets are execution counts, not durations: a duration races Go
# 1.26's fuzz coordinator and fails with "context deadline exceeded" and no
# crasher (go.dev/issue/75804). Each is roughly 10 s here.
FUZZ_LOAD   ?= 8000x
FUZZ_AMOUNT ?= 300000x
FUZZ_MATCH  ?= 60000x
FUZZ_HEADERS ?= 25000x
# Minimising each new interesting input may take 60 s by default; CI wants
# coverage, not minimal corpus entries.
FUZZ_MIN    ?= 500x
# staticcheck is pinned: a newer one may add checks and fail CI on old code.
STATICCHECK_VERSION ?= v0.8.2
STATICCHECK := $(shell $(GO) env GOPATH)/bin/staticcheck
# What `make run` starts: the live agent with the embedded default rules.
RUN_ARGS  ?= watch
export CGO_ENABLED := 1
# One Tesseract thread per instance: OpenMP threads slow Tesseract down (see NOTES).
export OMP_THREAD_LIMIT := 1

.PHONY: all deps test-deps build run test unit staticcheck fuzz bench bench-rules bench-scan bench-scan-memory bench-video bench-watch bench-feed bench-office vet clean

all: build

deps:
	@bash .ci/deps.sh run

test-deps:
	@bash .ci/deps.sh test

build: deps
	$(GO) build -o $(BIN) ./cmd/demoguard

run: build
	./$(BIN) $(RUN_ARGS)

test: test-deps vet staticcheck unit fuzz

vet:
	$(GO) vet ./...

# Every unit test under the race detector (about 12 minutes on 2 cores).
unit:
	$(GO) test -race -count=1 -timeout 90m ./...

# Installs the pinned staticcheck when it is missing or another version.
staticcheck:
	@$(STATICCHECK) -version 2>/dev/null | grep -qF '($(STATICCHECK_VERSION:v%=%))' || \
		$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(STATICCHECK) ./...

# Each fuzz target briefly: they must not panic on any input.
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzLoad$$' -fuzztime=$(FUZZ_LOAD) -fuzzminimizetime=$(FUZZ_MIN) ./rules
	$(GO) test -run='^$$' -fuzz='^FuzzParseAmount$$' -fuzztime=$(FUZZ_AMOUNT) -fuzzminimizetime=$(FUZZ_MIN) ./rules
	$(GO) test -run='^$$' -fuzz='^FuzzMatch$$' -fuzztime=$(FUZZ_MATCH) -fuzzminimizetime=$(FUZZ_MIN) ./rules
	$(GO) test -run='^$$' -fuzz='^FuzzHeaders$$' -fuzztime=$(FUZZ_HEADERS) -fuzzminimizetime=$(FUZZ_MIN) ./scanner/scan

bench: bench-rules bench-scan bench-scan-memory bench-video bench-watch bench-feed bench-office

# Rule loading and matching: 10 names (baseline) against 100,000.
bench-rules:
	$(GO) test -run='^$$' -bench=. -benchmem -count=3 ./rules

# demoguard scan against the naive tesseract CLI over the corpus, in one run.
bench-scan: build test-deps
	$(GO) run ./scanner/scan/bench -bin $(BIN)

# Peak memory of scan over issue 13's inputs (4 x 100 MP PNG, a 9000x9000
# GIF of 200 frames); BASELINE=path/to/old/demoguard measures it side by side.
bench-scan-memory: build test-deps
	$(GO) run ./scanner/scan/membench -bin $(BIN) -check $(if $(BASELINE),-baseline $(BASELINE))

# Office files read directly against LibreOffice → PDF → scan, in one run.
bench-office: build test-deps
	$(GO) run ./scanner/office/bench -bin $(BIN)

# Recordings: demoguard scan against ffmpeg fps=1 + the tesseract CLI, in one run.
bench-video: build test-deps
	$(GO) run ./scanner/video/bench -bin $(BIN)

# Live agent: alert latency vs full-frame OCR, static CPU, soak (SOAK=30m).
SOAK ?= 30m
bench-watch: test-deps
	$(GO) test -count=1 -run TestWatchPerformance -v -timeout 60m ./scanner/bench -args -trials 40 -switch-trials 10 -contention-trials 20 -static 60s -soak $(SOAK) -targets -out bench-watch.json

# The audience feed: the live demo (typing, a terminal, a scrolled page,
# videos, a window switch, cards; --pending hold and blur side by side;
# per region how current the feed is), then no feed / file / window with a
# scrolling terminal and cards.
FEED_PHASE ?= 60s
bench-feed: test-deps
	$(GO) test -count=1 -run 'TestFeedLiveDemo|TestFeedPerformance' -v -timeout 60m ./scanner/feed/e2e -args -feed-live -feed-phase $(FEED_PHASE) -feed-bench-out bench-feed.json

clean:
	rm -rf bin
