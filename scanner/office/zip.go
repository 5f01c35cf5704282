package office

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// pkg is an opened zip package: its parts by name.
type pkg struct {
	z     *zip.Reader
	parts map[string]*zip.File
	names []string // in archive order
}

func (w *walker) openZip(r io.ReaderAt, size int64) (*pkg, error) {
	// archive/zip allocates every entry of the central directory up front:
	// refuse a package with too many parts from the count in its end
	// record, before that.
	if n, ok := zipEntries(r, size); ok && n > uint64(w.lim.MaxParts) {
		return nil, fmt.Errorf("%d parts in the package: %w of %d", n, ErrLimit, w.lim.MaxParts)
	}
	z, err := zip.NewReader(r, size)
	if err != nil {
		switch {
		case errors.Is(err, zip.ErrFormat), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return nil, fmt.Errorf("%w: %v", ErrTruncated, err)
		case errors.Is(err, zip.ErrInsecurePath):
			// Part names are only used as names here; go on with them.
		default:
			return nil, fmt.Errorf("%w: %v", ErrTruncated, err)
		}
	}
	if len(z.File) > w.lim.MaxParts {
		return nil, fmt.Errorf("%d parts in the package: %w of %d", len(z.File), ErrLimit, w.lim.MaxParts)
	}
	p := &pkg{z: z, parts: make(map[string]*zip.File, len(z.File))}
	for _, f := range z.File {
		name := strings.TrimPrefix(f.Name, "/")
		if _, dup := p.parts[name]; dup || strings.HasSuffix(name, "/") {
			continue
		}
		p.parts[name] = f
		p.names = append(p.names, name)
	}
	return p, nil
}

// limited counts the uncompressed bytes of one part against the part, total
// and ratio bounds. The sizes in the zip headers are not trusted: a bomb
// states whatever it likes.
type limited struct {
	r          io.Reader
	w          *walker
	name       string
	n, max     int64
	compressed int64
}

func (l *limited) Read(b []byte) (int, error) {
	n, err := l.r.Read(b)
	l.n += int64(n)
	l.w.total += int64(n)
	switch {
	case l.n > l.max:
		return n, fmt.Errorf("%s: more than %d bytes uncompressed: %w", l.name, l.max, ErrLimit)
	case l.w.total > l.w.lim.MaxTotalBytes:
		return n, fmt.Errorf("more than %d bytes uncompressed in all: %w (zip bomb?)", l.w.lim.MaxTotalBytes, ErrLimit)
	case l.n > RatioFloor && l.n > l.compressed*l.w.lim.MaxRatio:
		return n, fmt.Errorf("%s: compression ratio over %d:1: %w (zip bomb?)", l.name, l.w.lim.MaxRatio, ErrLimit)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, zip.ErrChecksum) {
		err = fmt.Errorf("%s: %w: %v", l.name, ErrTruncated, err)
	}
	return n, err
}

type partReader struct {
	limited
	c io.Closer
}

func (p *partReader) Close() error { return p.c.Close() }

// open returns the part's uncompressed bytes as a bounded stream.
func (w *walker) open(p *pkg, name string, max int64) (io.ReadCloser, error) {
	f := p.parts[name]
	if f == nil {
		return nil, fmt.Errorf("%s: missing part", name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrTruncated, err)
	}
	return &partReader{limited: limited{r: rc, w: w, name: name, max: max, compressed: int64(f.CompressedSize64)}, c: rc}, nil
}

// readPart reads a whole (small) part into memory, within max bytes.
func (w *walker) readPart(p *pkg, name string, max int64) ([]byte, error) {
	rc, err := w.open(p, name, max)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	_, err = io.Copy(&buf, rc)
	return buf.Bytes(), err
}

// fatal reports whether a part error means the package as a whole cannot be
// trusted any longer (a bomb, a cut-off archive) rather than one bad part.
func fatal(err error) bool {
	return errors.Is(err, ErrLimit) || errors.Is(err, ErrTruncated) || errors.Is(err, errStopWalking)
}

// zipEntries reads the number of entries from the end of central directory
// record (or its zip64 form); ok is false when there is none to read
// (archive/zip then says what is wrong).
func zipEntries(r io.ReaderAt, size int64) (uint64, bool) {
	const eocdLen = 22
	n := min(size, eocdLen+65535)
	if n < eocdLen {
		return 0, false
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-n); err != nil && !errors.Is(err, io.EOF) {
		return 0, false
	}
	for i := len(buf) - eocdLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) != 0x06054b50 {
			continue
		}
		count := uint64(binary.LittleEndian.Uint16(buf[i+10:]))
		if count != 0xffff || i < 20 {
			return count, true
		}
		// zip64: the locator just before the record points at the zip64 end record.
		loc := buf[i-20:]
		if binary.LittleEndian.Uint32(loc) != 0x07064b50 {
			return count, true
		}
		off := int64(binary.LittleEndian.Uint64(loc[8:]))
		rec := make([]byte, 56)
		if off < 0 || off > size-56 {
			return 0, false
		}
		if _, err := r.ReadAt(rec, off); err != nil || binary.LittleEndian.Uint32(rec) != 0x06064b50 {
			return 0, false
		}
		return binary.LittleEndian.Uint64(rec[32:]), true
	}
	return 0, false
}

// resolve turns a relationship target into a part name, relative to the
// part that holds the relationship.
func resolve(source, target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(path.Clean(target), "/")
	}
	return strings.TrimPrefix(path.Clean(path.Join(path.Dir(source), target)), "/")
}

// relsName is the relationships part of a part.
func relsName(part string) string {
	dir, file := path.Split(part)
	return dir + "_rels/" + file + ".rels"
}
