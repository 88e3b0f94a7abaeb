// Command gostatic is the serving benchmark's second baseline
// (bench/serve/run.sh): the least a net/http server can do to serve one
// file's bytes with an ETag and 304s. Set against nginx, it shows what Go's
// HTTP server costs by itself; set against feedloom, what feedloom adds.
package main

import (
	"flag"
	"log"
	"net/http"
	"os"
	"strconv"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on")
	file := flag.String("file", "", "the bytes to serve, on every path")
	etag := flag.String("etag", `"1"`, "the ETag to send and to match If-None-Match against")
	ctype := flag.String("type", "application/atom+xml", "Content-Type")
	flag.Parse()
	body, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	length := strconv.Itoa(len(body))
	log.Fatal(http.ListenAndServe(*listen, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("ETag", *etag)
		if r.Header.Get("If-None-Match") == *etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", *ctype)
		h.Set("Content-Length", length)
		w.Write(body)
	})))
}
