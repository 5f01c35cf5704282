package office

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// xmlStream is a bounded token stream over one part: RawToken (no namespace
// resolution: parts use their conventional prefixes and local names are
// distinct enough) with an element nesting bound, so that deeply nested
// XML fails with an error instead of growing stacks.
type xmlStream struct {
	d     *xml.Decoder
	depth int
	max   int
	name  string
	open  []xml.Name // open elements, to check that end tags match
}

// maxToken bounds one token (a text node, a tag): encoding/xml buffers a
// whole token, so a part of nothing but text would otherwise be held in
// memory whole, however large.
const maxToken = 4 << 20

// tokenBound fails a stream that runs more than maxToken bytes without a
// '<', before the decoder has buffered it.
type tokenBound struct {
	r   io.Reader
	run int
}

func (t *tokenBound) Read(b []byte) (int, error) {
	n, err := t.r.Read(b)
	if i := bytes.LastIndexByte(b[:n], '<'); i >= 0 {
		t.run = n - i
	} else {
		t.run += n
	}
	if t.run > maxToken {
		return n, fmt.Errorf("an XML token of more than %d bytes: %w", maxToken, ErrLimit)
	}
	return n, err
}

func newXML(r io.Reader, name string, maxDepth int) *xmlStream {
	d := xml.NewDecoder(&tokenBound{r: r})
	d.Strict = true
	// Office parts are UTF-8 or UTF-16 by declaration; anything else is
	// read as UTF-8 rather than failing the part.
	d.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	return &xmlStream{d: d, max: maxDepth, name: name}
}

// next returns the next token (valid until the following call) or io.EOF.
func (x *xmlStream) next() (xml.Token, error) {
	t, err := x.d.RawToken()
	if err != nil {
		if errors.Is(err, io.EOF) {
			if x.depth > 0 {
				return nil, fmt.Errorf("%s: bad XML: ends inside <%s>", x.name, qname(x.open[len(x.open)-1]))
			}
			return nil, io.EOF
		}
		if errors.Is(err, ErrLimit) || errors.Is(err, ErrTruncated) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: bad XML: %w", x.name, err)
	}
	switch t := t.(type) {
	case xml.StartElement:
		x.depth++
		if x.depth > x.max {
			return nil, fmt.Errorf("%s: XML nested deeper than %d elements: %w", x.name, x.max, ErrLimit)
		}
		x.open = append(x.open, t.Name)
	case xml.EndElement:
		// RawToken does not check that end tags match; a mismatch would
		// put every later item in the wrong place.
		if x.depth == 0 || x.open[len(x.open)-1] != t.Name {
			return nil, fmt.Errorf("%s: bad XML: unexpected </%s>", x.name, qname(t.Name))
		}
		x.open = x.open[:len(x.open)-1]
		x.depth--
	}
	return t, nil
}

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// skip discards the rest of the element just started.
func (x *xmlStream) skip() error {
	target := x.depth - 1
	for x.depth > target {
		if _, err := x.next(); err != nil {
			return err
		}
	}
	return nil
}

func attr(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// attrNS is attr for a prefixed name (r:id versus id).
func attrNS(se xml.StartElement, prefix, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local && a.Name.Space == prefix {
			return a.Value
		}
	}
	return ""
}

// maxItemText caps one item's text: a 100 MB paragraph is split rather than
// held whole.
const maxItemText = 1 << 20

// clean trims and folds white space runs (tabs, line breaks, non-breaking
// spaces) into single spaces, so a paragraph reads as one line.
func clean(s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u00a0' {
			space = true
			continue
		}
		if unicode.IsControl(r) {
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
