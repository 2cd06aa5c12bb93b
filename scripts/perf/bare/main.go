// Command bare is the reference for docs/performance.md: a bare net/http server that answers
// "Hello, World!" on every path. The platform's throughput is reported as a ratio to it, measured in
// the same round on the same machine (see scripts/perf/run.sh).
//
//	go run ./scripts/perf/bare -addr 127.0.0.1:8098
package main

import (
	"flag"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8098", "listen address")
	flag.Parse()
	hello := []byte("Hello, World!")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(hello)
	})
	log.Fatal(http.ListenAndServe(*addr, h))
}
