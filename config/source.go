package config

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// sourceURL checks the feed address raw and returns it as stored in
// Source.URL. http and https URLs are kept as written. A file: URL may
// name a path relative to dir ("file:feeds/a.xml") or an absolute one
// ("file:///srv/feeds/a.xml"); it is stored as an absolute file:/// URL so
// that it does not depend on the working directory.
func sourceURL(raw, dir string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("invalid URL %q", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			return "", fmt.Errorf("URL %q has no host", raw)
		}
		if u.User != nil {
			return "", fmt.Errorf("URL %q must not contain a user name or password", raw)
		}
		return raw, nil
	case "file":
		return fileURL(u, raw, dir)
	case "":
		return "", fmt.Errorf("URL %q has no scheme (use http://, https:// or file:)", raw)
	}
	return "", fmt.Errorf("unsupported URL scheme %q in %q (use http, https or file)", u.Scheme, raw)
}

func fileURL(u *url.URL, raw, dir string) (string, error) {
	if u.Host != "" && u.Host != "localhost" {
		return "", fmt.Errorf("file URL %q has a host (use file:relative/path or file:///absolute/path)", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("file URL %q must not have a query or fragment", raw)
	}
	p := u.Path
	if u.Opaque != "" {
		var err error
		if p, err = url.PathUnescape(u.Opaque); err != nil {
			return "", fmt.Errorf("invalid URL %q", raw)
		}
	}
	if p == "" {
		return "", fmt.Errorf("file URL %q has no path", raw)
	}
	p = filepath.FromSlash(p)
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	p = filepath.ToSlash(filepath.Clean(p))
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter
	}
	return (&url.URL{Scheme: "file", Path: p}).String(), nil
}

// An Outline is one feed listed in an OPML file.
type Outline struct {
	URL   string // xmlUrl, as written
	Title string // title, or text when there is no title
	// Folder is the text (or title) of the outline the feed is nested in,
	// "" at the top level.
	Folder string
	// Categories are the entries of the OPML 2.0 category attribute
	// ("/Tech/Go,/News"), each without its leading and trailing slashes.
	Categories []string
	Line       int // in the OPML file
}

// ReadOPML returns every outline with an xmlUrl in the OPML file at path,
// at any depth, in document order. An unreadable or malformed file, or
// one with no feed in it, is an error naming path (and the line).
func ReadOPML(path string) ([]Outline, error) { return readOPML(path, path) }

// readOPML is ReadOPML; name is the path as the config gives it, used in
// messages.
func readOPML(path, name string) ([]Outline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot read %s: %v", name, err)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = charsetReader
	var (
		out     []Outline
		root    = true
		folders []string // the label of every open outline, outermost first
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, fmt.Errorf("%s:%d: invalid XML: %s", name, se.Line, se.Msg)
			}
			return nil, fmt.Errorf("%s:%d: invalid XML: %v", name, line, err)
		}
		if end, ok := tok.(xml.EndElement); ok && end.Name.Local == "outline" && len(folders) > 0 {
			folders = folders[:len(folders)-1]
			continue
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root {
			if el.Name.Local != "opml" {
				return nil, fmt.Errorf("%s: not an OPML file (the root element is <%s>, want <opml>)", name, el.Name.Local)
			}
			root = false
			continue
		}
		if el.Name.Local != "outline" {
			continue
		}
		var o Outline
		var text, category string
		for _, a := range el.Attr {
			switch strings.ToLower(a.Name.Local) {
			case "xmlurl":
				o.URL = strings.TrimSpace(a.Value)
			case "title":
				o.Title = strings.TrimSpace(a.Value)
			case "text":
				text = strings.TrimSpace(a.Value)
			case "category":
				category = a.Value
			}
		}
		if o.Title == "" {
			o.Title = text
		}
		if len(folders) > 0 {
			o.Folder = folders[len(folders)-1]
		}
		folders = append(folders, o.Title)
		if o.URL == "" {
			continue // a folder, or a link that is not a feed
		}
		for _, c := range strings.Split(category, ",") {
			if c = strings.Trim(strings.TrimSpace(c), "/"); c != "" {
				o.Categories = append(o.Categories, c)
			}
		}
		o.Line, _ = dec.InputPos()
		out = append(out, o)
	}
	if root {
		return nil, fmt.Errorf("%s: not an OPML file (no elements)", name)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no outline has an xmlUrl attribute, so there is no feed to import", name)
	}
	return out, nil
}

// charsetReader lets OPML files exported as ISO-8859-1 or ASCII be read
// without pulling in a charset library; every other encoding is refused
// with a clear message.
func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return r, nil
	case "iso-8859-1", "latin1", "latin-1", "l1":
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(b)*2)
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
		return bytes.NewReader(out), nil
	}
	return nil, fmt.Errorf("unsupported encoding %q (save the file as UTF-8)", charset)
}
