# `make` builds build/trailhound; `make test` builds and runs the whole suite: the plain
# build, the same tests under ASan+UBSan, and a short run of every fuzz target.
JOBS ?= $(shell nproc)
CMAKE ?= cmake
CIS41 := { ($$.errorCode ="*UnauthorizedOperation") || ($$.errorCode ="AccessDenied*") && ($$.sourceIPAddress!="delivery.logs.amazonaws.com") && ($$.eventName!="HeadBucket") }

.PHONY: all build test test-plain test-sanitize test-fuzz demo fuzz format clean

all: build

build:
	$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	$(CMAKE) --build build -j $(JOBS)

build/trailhound: build

test: test-plain test-sanitize test-fuzz

test-plain: build
	cd build && ctest --output-on-failure -j $(JOBS)

test-sanitize:
	$(CMAKE) -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DTRAILHOUND_SANITIZE=ON -DCMAKE_C_COMPILER=clang >/dev/null
	$(CMAKE) --build build-sanitize -j $(JOBS)
	cd build-sanitize && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

test-fuzz:
	$(CMAKE) -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DTRAILHOUND_FUZZ=ON -DCMAKE_C_COMPILER=clang >/dev/null
	$(CMAKE) --build build-fuzz -j $(JOBS)
	cd build-fuzz && ctest --output-on-failure

# The quickstart: the CIS section-4 scan over CloudTrail events shipped in samples/, then
# the CIS 4.1 pattern alone, with jq shortening each match (trailhound prints whole events),
# then a bounded `serve`: the samples read from standard input, the alarms replayed on event
# time, each state change a log line, and exit.
demo: build
	@echo '$$ build/trailhound scan --cis samples/cloudtrail-events.jsonl'
	@./build/trailhound scan --cis samples/cloudtrail-events.jsonl
	@echo
	@echo '$$ build/trailhound test-pattern <CIS 4.1 pattern> < samples/cloudtrail-events.jsonl'
	@./build/trailhound test-pattern '$(CIS41)' < samples/cloudtrail-events.jsonl | \
	  jq -c '.matches[] | {eventNumber} + (.eventMessage | fromjson | {eventTime, eventName, errorCode, user: .userIdentity.arn})'
	@echo
	@echo '$$ TRAILHOUND_DEMO_SINK=ALERTS build/trailhound serve --cis --config samples/demo-serve.yaml --db DEMO.db --exit-when-idle - < samples/cloudtrail-events.jsonl'
	@demo=$$(mktemp -d) && TRAILHOUND_DEMO_SINK=$$demo/alerts ./build/trailhound serve --cis \
	  --config samples/demo-serve.yaml --db $$demo/demo.db --exit-when-idle - \
	  < samples/cloudtrail-events.jsonl 2>&1 | grep -E ' (ingested|alarm_state|delivered|stopped) ' | \
	  cut -d' ' -f3- | sed -E 's/ reason=.*//'; \
	  echo; echo "the alerts the topic cis-alerts delivered to its local sink (ALERTS), shortened with jq:"; \
	  jq -r -f samples/demo-alert.jq $$demo/alerts; \
	  rm -rf $$demo

# A long fuzz run that grows the committed corpus: make fuzz SECONDS=600
SECONDS ?= 600
fuzz:
	$(CMAKE) -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DTRAILHOUND_FUZZ=ON -DCMAKE_C_COMPILER=clang >/dev/null
	$(CMAKE) --build build-fuzz -j $(JOBS)
	./build-fuzz/fuzz/fuzz_pattern -max_total_time=$(SECONDS) -max_len=2048 fuzz/corpus/pattern

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-sanitize build-fuzz
