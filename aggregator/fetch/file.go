package fetch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
)

// fetchFile reads a file:// URL for a source bundled with the config. The
// same MaxBody cap applies; only regular files are read, so a FIFO cannot
// block a worker and /dev/zero cannot stream forever.
func (c *Client) fetchFile(ctx context.Context, u *url.URL) (*Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, &kindError{msg: "fetch: " + err.Error(), kind: err}
	}
	if u.Host != "" && u.Host != "localhost" {
		return nil, &kindError{msg: fmt.Sprintf("fetch: file URL %s names a remote host", u.Redacted()), kind: ErrScheme}
	}
	path := filepath.FromSlash(u.Path)
	if u.Opaque != "" || !filepath.IsAbs(path) {
		return nil, &kindError{msg: fmt.Sprintf("fetch: file URL %s is not an absolute path", u.Redacted()), kind: errOther}
	}
	fail := func(err error) error {
		return &kindError{msg: "fetch: " + err.Error(), kind: errOther, cause: err}
	}
	if fi, err := os.Stat(path); err != nil {
		return nil, fail(err)
	} else if !fi.Mode().IsRegular() {
		return nil, &kindError{msg: fmt.Sprintf("fetch: %s is not a regular file", path), kind: errOther}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fail(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fail(err)
	}
	if fi.Size() > c.maxBody {
		return nil, tooLarge("file", c.maxBody)
	}
	body, err := io.ReadAll(io.LimitReader(f, c.maxBody+1))
	if err != nil {
		return nil, fail(err)
	}
	if int64(len(body)) > c.maxBody {
		return nil, tooLarge("file", c.maxBody)
	}
	return &Response{URL: u.String(), Status: 200, Header: http.Header{}, Body: body}, nil
}
