# The commands of the README. Everything here also works without make:
# each target is one line you can run by hand.

.PHONY: demo test bench bench-e2e accuracy fuzz build lint

# Run the whole bot on the built-in simulation: embedded Redis, console chat, no keys.
demo:
	go run ./cmd/quartermaster demo

# Run every test with the race detector against private Redis servers
# (installs redis-server and gcc from Debian's packages when missing).
test:
	./deploy/scripts/test.sh

build:
	go build -o bin/quartermaster ./cmd/quartermaster

# Micro-benchmarks of the hot path (apply, decode, projection).
bench:
	go test -run '^$$' -bench . -benchmem ./store/... ./pipeline/...

# End to end: N simulated events through a running `quartermaster run`,
# events per second and event-to-alert latency, beside raw Redis.
bench-e2e:
	go run ./cmd/qmbench

# The forecast accuracy harness: our figures beside the published ones, on
# the data sets in ../shared/data/forecast (or $QM_FORECAST_DATA).
accuracy:
	go test -run 'Published|AutoBeats' -v ./pipeline/forecast/

# Fuzz the event decoder for a minute.
fuzz:
	go test -run '^$$' -fuzz FuzzDecode -fuzztime 60s ./pipeline/event

lint:
	go vet ./...
	gofmt -l .
