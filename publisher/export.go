package publisher

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Export writes the whole site into dir for static hosting at BaseURL,
// the same bytes the HTTP handler serves:
//
//	index.html
//	style.css
//	topics.opml
//	topics/{name}.rss
//	topics/{name}.atom
//	topics/{name}.json
//	topics/{name}/index.html
//	topics/{name}/archive/{k}.rss, .atom, .json (RFC 5005 archive pages)
//	topics/{name}/archive/{k}.html (the same pages for people)
//
// A topic's page is a directory index so that its URL, BaseURL +
// "topics/{name}", is the same served and static: static hosts answer it
// by redirecting to "topics/{name}/" (the server does the reverse). Pages
// link with absolute URLs under BaseURL, which resolve alike at either
// address. Each file is written to a temporary name and renamed, so a
// host serving dir never sees half a file. Files of topics no longer
// configured are left alone.
func (s *Server) Export(ctx context.Context, dir string) error {
	files := map[string]*Rendered{}
	idx, err := s.index(ctx)
	if err != nil {
		return err
	}
	files["index.html"] = idx
	for name, sf := range s.static {
		if sf.err != nil {
			return sf.err
		}
		files[name] = sf.r
	}
	for _, t := range s.o.Topics {
		for _, f := range formats {
			rd, err := s.Render(ctx, t.Name, f)
			if err != nil {
				return err
			}
			files[exportPath(t.Name, f)] = rd
		}
		// Every archive page up to the one still filling; the last
		// render fails with errNotFound.
		for k := 0; ; k++ {
			rd, err := s.RenderArchive(ctx, t.Name, k, Atom)
			if errors.Is(err, errNotFound) {
				break
			}
			if err != nil {
				return err
			}
			files[archivePath(t.Name, k, Atom)] = rd
			for _, f := range []Format{RSS, JSON, HTML} {
				if rd, err = s.RenderArchive(ctx, t.Name, k, f); err != nil {
					return err
				}
				files[archivePath(t.Name, k, f)] = rd
			}
		}
	}
	for name, rd := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(name)), rd.Body); err != nil {
			return err
		}
	}
	return nil
}

// exportPath is where Export puts topic name in format f, relative to the
// export directory.
func exportPath(name string, f Format) string {
	if f == HTML {
		return "topics/" + name + "/index.html"
	}
	return "topics/" + name + f.Ext()
}

// archivePath is where Export puts archive page k of topic name in format
// f.
func archivePath(name string, k int, f Format) string {
	return "topics/" + name + "/archive/" + strconv.Itoa(k) + archiveExt(f)
}

// writeFile replaces path with b atomically.
func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("publisher: export: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".export-*")
	if err != nil {
		return fmt.Errorf("publisher: export: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("publisher: export %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("publisher: export %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("publisher: export %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("publisher: export %s: %w", path, err)
	}
	return nil
}
