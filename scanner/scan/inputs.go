package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/demoguard/demoguard/scanner/office"
)

// StdinName is the source name of an image read from standard input ("-").
const StdinName = "<stdin>"

type kind int

const (
	kindImage kind = iota + 1
	kindPDF
	kindOffice
	kindVideo
)

// source is one input file (or stdin) with its number of pages.
type source struct {
	seq   int    // position in input order, for stable output
	name  string // as shown to the user: the path as given or found
	path  string // "" for stdin
	data  []byte // stdin contents
	kind  kind
	pages int
	sizes []PageSize // PDF page sizes, in points
}

// seqError is a collect-time error with its position in input order.
type seqError struct {
	seq int
	Error
}

// scanExts are the file name extensions picked up when walking directories;
// files given by name are scanned whatever their name, by content.
var scanExts = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".bmp": true,
	".webp": true, ".pdf": true,
}

// collector walks the inputs. visited maps every directory and file seen to
// the name it was first seen under: a second visit of a file is a duplicate
// (skipped with a note), a directory that is its own ancestor is a loop.
type collector struct {
	s       *Scanner
	ctx     context.Context
	seq     int
	srcs    []*source
	errs    []seqError
	visited map[fileID]string
	stdin   bool
}

func (s *Scanner) collect(ctx context.Context, paths []string) ([]*source, []seqError) {
	c := &collector{s: s, ctx: ctx, visited: map[fileID]string{}}
	for _, p := range paths {
		if ctx.Err() != nil {
			break
		}
		if p == "-" {
			c.addStdin()
			continue
		}
		c.addArg(p)
	}
	return c.srcs, c.errs
}

func (c *collector) fail(name string, err error) {
	c.seq++
	c.errs = append(c.errs, seqError{c.seq, Error{Source: name, Err: err}})
}

func (c *collector) addStdin() {
	if c.stdin {
		c.fail(StdinName, errors.New(`"-" given more than once`))
		return
	}
	c.stdin = true
	if c.s.opt.Stdin == nil {
		c.fail(StdinName, errors.New("no standard input"))
		return
	}
	data, err := io.ReadAll(io.LimitReader(c.s.opt.Stdin, c.s.opt.MaxStdin+1))
	if err != nil {
		c.fail(StdinName, fmt.Errorf("read: %w", err))
		return
	}
	if int64(len(data)) > c.s.opt.MaxStdin {
		c.fail(StdinName, fmt.Errorf("more than %d bytes", c.s.opt.MaxStdin))
		return
	}
	c.addSource(&source{name: StdinName, data: data}, data)
}

// addArg handles a path given on the command line: symlinks are followed,
// directories walked, files scanned by content whatever their extension.
func (c *collector) addArg(p string) {
	fi, err := os.Stat(p)
	if err != nil {
		c.fail(p, pathError(err))
		return
	}
	if fi.IsDir() {
		c.walk(p, fi, nil)
		return
	}
	c.addFile(p, fi, true)
}

// pathError drops the path from *PathError: the source name already says it.
func pathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// walk scans a directory recursively in name order, following symlinks.
// ancestors holds the directories on the way down, to tell a loop (a link
// back to an ancestor) from a directory merely reachable twice.
func (c *collector) walk(dir string, fi fs.FileInfo, ancestors []fileID) {
	id, ok := idOf(dir, fi)
	if ok {
		if prev, seen := c.visited[id]; seen {
			for _, a := range ancestors {
				if a == id {
					c.fail(dir, fmt.Errorf("directory loop through symlinks (leads back to %s)", printable(prev)))
					return
				}
			}
			c.s.opt.Note(fmt.Sprintf("skipping %s: same directory as %s, already scanned", printable(dir), printable(prev)))
			return
		}
		c.visited[id] = dir
		ancestors = append(ancestors, id)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		c.fail(dir, pathError(err))
		return
	}
	for _, e := range entries {
		if c.ctx.Err() != nil {
			return
		}
		p := filepath.Join(dir, e.Name())
		fi, err := os.Stat(p) // follows symlinks
		if err != nil {
			c.fail(p, pathError(err))
			continue
		}
		switch {
		case fi.IsDir():
			c.walk(p, fi, ancestors)
		case !scanExts[strings.ToLower(filepath.Ext(p))]:
			c.s.opt.Note(fmt.Sprintf("skipping %s: not an image, PDF, office document or recording", printable(p)))
		default:
			c.addFile(p, fi, false)
		}
	}
}

// addFile sniffs a file's format from its first bytes. explicit files of an
// unknown format are errors; so are files with an image or PDF extension
// found while walking (they were meant to be scanned).
func (c *collector) addFile(p string, fi fs.FileInfo, explicit bool) {
	if !fi.Mode().IsRegular() {
		// FIFOs and devices could block forever or never end.
		if explicit {
			c.fail(p, fmt.Errorf("not a regular file (%s)", fi.Mode().Type()))
		} else {
			c.s.opt.Note(fmt.Sprintf("skipping %s: not a regular file", printable(p)))
		}
		return
	}
	if id, ok := idOf(p, fi); ok {
		if prev, seen := c.visited[id]; seen {
			c.s.opt.Note(fmt.Sprintf("skipping %s: same file as %s, already scanned", printable(p), printable(prev)))
			return
		}
		c.visited[id] = p
	}
	f, err := os.Open(p)
	if err != nil {
		c.fail(p, pathError(err))
		return
	}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		c.fail(p, fmt.Errorf("read: %w", pathError(err)))
		return
	}
	c.addSource(&source{name: p, path: p}, head[:n])
}

// sniffLen covers the PDF header, which may follow up to 1 KiB of junk.
const sniffLen = 1024

func (c *collector) addSource(src *source, head []byte) {
	c.seq++
	src.seq = c.seq
	switch {
	case len(head) == 0:
		c.errs = append(c.errs, seqError{src.seq, Error{Source: src.name, Err: errors.New("empty file")}})
		return
	case bytes.Contains(head, []byte("%PDF-")):
		src.kind = kindPDF
		sizes, err := c.s.opt.PDF.Pages(c.ctx, src.pdfInput(), c.s.opt.MaxPages)
		if err != nil {
			c.errs = append(c.errs, seqError{src.seq, Error{Source: src.name, Err: err}})
			return
		}
		if len(sizes) == 0 {
			c.errs = append(c.errs, seqError{src.seq, Error{Source: src.name, Err: errors.New("PDF has no pages")}})
			return
		}
		src.sizes, src.pages = sizes, len(sizes)
	case imageFormat(head) != "":
		src.kind, src.pages = kindImage, 1
	case office.Sniff(head) != office.Unknown:
		src.kind, src.pages = kindOffice, 1 // read and told apart in scanOffice
	case isVideo(head):
		if src.path == "" {
			// ffmpeg seeks in most containers; a recording is a file.
			c.errs = append(c.errs, seqError{src.seq, Error{Source: src.name, Err: errors.New("recordings are read from files, not standard input")}})
			return
		}
		src.kind, src.pages = kindVideo, 1
	default:
		c.errs = append(c.errs, seqError{src.seq, Error{Source: src.name, Err: errors.New("unsupported format: not a PNG, JPEG, GIF, BMP, WebP image, a PDF, an office document or a recording (MP4, MOV, MKV, WebM, AVI, ...)")}})
		return
	}
	c.srcs = append(c.srcs, src)
}

func (src *source) pdfInput() PDFInput { return PDFInput{Path: src.path, Data: src.data} }
