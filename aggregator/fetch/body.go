package fetch

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// acceptEncoding is sent by us, not by the Transport: when the Transport
// adds gzip itself it also decompresses transparently, and a size limit
// applied after that cannot tell how much was inflated. Decoding here puts
// MaxBody after decompression, where a gzip bomb is stopped.
const acceptEncoding = "gzip, deflate"

// readBody reads a 2xx body, decoded, and at most c.maxBody bytes of it.
// Errors are *kindError (too large, encoding, network) or come straight
// from the body, which Fetch's failure sorts out.
func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	enc, err := contentEncoding(resp.Header)
	if err != nil {
		return nil, err
	}
	wire := &wireReader{r: resp.Body}
	if enc != "" {
		wire.max = compressedLimit(c.maxBody)
	}
	if enc == "" && resp.ContentLength > c.maxBody {
		// Announced too large: fail before reading a byte.
		return nil, tooLarge("response body", c.maxBody)
	}
	if enc != "" && resp.ContentLength > wire.max {
		return nil, tooLarge("compressed response body", wire.max)
	}

	var buf bytes.Buffer
	if enc == "" && resp.ContentLength > 0 {
		// One allocation for an announced body; the +MinRead lets the
		// final read see EOF without growing the buffer again.
		buf.Grow(int(min(resp.ContentLength, c.maxBody)) + bytes.MinRead)
	}
	dec, err := decoder(enc, wire)
	if err == nil {
		_, err = buf.ReadFrom(io.LimitReader(dec, c.maxBody+1))
	}
	switch {
	case errors.Is(err, io.EOF) && wire.n == 0:
		// An empty body labelled gzip or deflate: nothing to decode.
		return []byte{}, nil
	case err != nil:
		return nil, readError(enc, err)
	case int64(buf.Len()) > c.maxBody:
		return nil, tooLarge("response body", c.maxBody)
	}
	return buf.Bytes(), nil
}

func tooLarge(what string, limit int64) error {
	return &kindError{
		msg:  fmt.Sprintf("fetch: %s larger than %s", what, formatSize(limit)),
		kind: ErrTooLarge,
	}
}

// contentEncoding returns "", "gzip" or "deflate", or an ErrEncoding error
// for anything else, including stacked encodings (no feed server needs
// them, and each layer would need its own limit).
func contentEncoding(h http.Header) (string, error) {
	var codings []string
	for _, v := range h.Values("Content-Encoding") {
		for c := range strings.SplitSeq(v, ",") {
			c = strings.ToLower(strings.TrimSpace(c))
			if c != "" && c != "identity" {
				codings = append(codings, c)
			}
		}
	}
	switch {
	case len(codings) == 0:
		return "", nil
	case len(codings) == 1 && (codings[0] == "gzip" || codings[0] == "x-gzip"):
		return "gzip", nil
	case len(codings) == 1 && codings[0] == "deflate":
		return "deflate", nil
	}
	return "", &kindError{
		msg:  fmt.Sprintf("fetch: unsupported Content-Encoding %q", strings.Join(codings, ", ")),
		kind: ErrEncoding,
	}
}

// compressedLimit bounds the compressed bytes read for a body of at most
// maxBody decoded bytes. Deflate never grows data by more than 5 bytes per
// 64 KiB stored block, and gzip adds a header of at most 64 KiB, so this is
// generous for any honest body; it stops a stream of empty gzip members or
// empty deflate blocks, which decodes to nothing and would otherwise be
// read until the timeout.
func compressedLimit(maxBody int64) int64 {
	return maxBody + maxBody/64 + 64<<10
}

// decoder wraps the raw body in the decoder enc names.
func decoder(enc string, r io.Reader) (io.Reader, error) {
	switch enc {
	case "gzip":
		return gzip.NewReader(r)
	case "deflate":
		// RFC 9110 deflate is zlib-wrapped, but many servers send raw
		// deflate; the zlib header tells them apart.
		br := bufio.NewReader(r)
		b, err := br.Peek(2)
		switch {
		case len(b) == 2 && isZlibHeader(b[0], b[1]):
			return zlib.NewReader(br)
		case err != nil:
			return nil, err // io.EOF for an empty body
		}
		return flate.NewReader(br), nil
	}
	return r, nil
}

func isZlibHeader(cmf, flg byte) bool {
	return cmf&0x0f == 8 && (uint16(cmf)<<8|uint16(flg))%31 == 0
}

// readError sorts an error met while reading or decoding the body.
func readError(enc string, err error) error {
	var ke *kindError
	if errors.As(err, &ke) { // from wireReader: the connection failed, or too much came
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &kindError{msg: "fetch: reading body: response truncated", kind: errNetwork, cause: err}
	}
	if enc != "" {
		return &kindError{msg: fmt.Sprintf("fetch: decoding %s body: %v", enc, err), kind: ErrEncoding, cause: err}
	}
	return &kindError{msg: "fetch: reading body: " + err.Error(), kind: errNetwork, cause: err}
}

// wireReader reads the body as it comes off the connection: it counts the
// bytes, stops at max (when max > 0), and marks read failures as network
// errors so that they are not mistaken for a corrupt encoding.
type wireReader struct {
	r   io.Reader
	n   int64
	max int64
}

func (w *wireReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	w.n += int64(n)
	if w.max > 0 && w.n > w.max {
		return n, tooLarge("compressed response body", w.max)
	}
	if err != nil && err != io.EOF {
		return n, &kindError{msg: "fetch: reading body: " + err.Error(), kind: errNetwork, cause: err}
	}
	return n, err
}
