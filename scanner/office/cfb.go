package office

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf16"
)

// cfbStreams lists the names of the storages and streams in an OLE
// compound file. Directory entries are 128 bytes at 128-byte aligned
// offsets (sectors are 512 or 4096 bytes), so every aligned block is looked
// at: a block is an entry when its name length and type fields agree with
// a UTF-16 name. That finds the entries without following the FAT chains,
// which a damaged file may have broken.
func cfbStreams(r io.ReaderAt, size int64) (map[string]bool, error) {
	names := map[string]bool{}
	buf := make([]byte, 1<<20)
	for off := int64(512); off < size; off += int64(len(buf)) {
		n, err := r.ReadAt(buf, off)
		if n <= 0 {
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			break
		}
		for i := 0; i+128 <= n; i += 128 {
			e := buf[i : i+128]
			nameLen := int(binary.LittleEndian.Uint16(e[64:]))
			typ := e[66]
			if nameLen < 4 || nameLen > 64 || nameLen%2 != 0 || typ < 1 || typ > 5 || e[nameLen-1] != 0 || e[nameLen-2] != 0 {
				continue
			}
			u := make([]uint16, nameLen/2-1)
			ok := true
			for k := range u {
				u[k] = binary.LittleEndian.Uint16(e[2*k:])
				if u[k] == 0 {
					ok = false
					break
				}
			}
			if ok {
				names[string(utf16.Decode(u))] = true
			}
		}
	}
	return names, nil
}

// legacyFormat names what a legacy binary file converts to ("pptx", "docx",
// "xlsx") from its streams, "" when it is none of them.
func legacyFormat(streams map[string]bool) string {
	switch {
	case streams["PowerPoint Document"]:
		return "pptx"
	case streams["WordDocument"]:
		return "docx"
	case streams["Workbook"], streams["Book"]:
		return "xlsx"
	}
	return ""
}

func (w *walker) walkCFB(r io.ReaderAt, size int64, emb string, depth int) error {
	streams, err := cfbStreams(r, size)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if streams["EncryptionInfo"] || streams["EncryptedPackage"] {
		return ErrEncrypted
	}
	to := legacyFormat(streams)
	if to == "" {
		if streams["Package"] {
			return fmt.Errorf("%w: an OLE object wrapping a package (not read)", ErrNotOffice)
		}
		return fmt.Errorf("%w: an OLE compound file that is not a Word, Excel or PowerPoint document", ErrNotOffice)
	}
	conv, cleanup, err := w.convert(r, size, to)
	if err != nil {
		return err
	}
	defer cleanup()
	f, err := os.Open(conv)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	w.opt.Note(fmt.Sprintf("%slegacy binary format converted to .%s with LibreOffice", prefix(emb), to))
	return w.walk(f, fi.Size(), emb, depth)
}

func prefix(emb string) string {
	if emb == "" {
		return ""
	}
	return emb + ": "
}

// convertTimeout bounds one LibreOffice conversion.
const convertTimeout = 3 * time.Minute

// convert runs soffice --convert-to in a private temporary directory (its
// own user profile too, so that conversions running at once, or a desktop
// LibreOffice the user has open, do not collide) and returns the converted
// file, removed by cleanup.
func (w *walker) convert(r io.ReaderAt, size int64, to string) (string, func(), error) {
	bin := w.opt.Soffice
	if bin == "" {
		p, err := exec.LookPath("soffice")
		if err != nil {
			return "", nil, ErrNoSoffice
		}
		bin = p
	}
	dir, err := os.MkdirTemp("", "demoguard-office-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	ext := map[string]string{"pptx": ".ppt", "docx": ".doc", "xlsx": ".xls"}[to]
	in := filepath.Join(dir, "input"+ext)
	f, err := os.OpenFile(in, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err == nil {
		_, err = io.Copy(f, io.NewSectionReader(r, 0, size))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("copy for conversion: %w", err)
	}
	ctx, cancel := context.WithTimeout(w.ctx, convertTimeout)
	defer cancel()
	out := filepath.Join(dir, "out")
	cmd := exec.CommandContext(ctx, bin, "--headless", "--norestore", "--nologo", "--nolockcheck",
		"-env:UserInstallation=file://"+filepath.ToSlash(filepath.Join(dir, "profile")),
		"--convert-to", to, "--outdir", out, in)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	msg, err := cmd.CombinedOutput()
	conv := filepath.Join(out, "input."+to)
	if _, serr := os.Stat(conv); err != nil || serr != nil {
		cleanup()
		detail := strings.TrimSpace(string(msg))
		if len(detail) > 200 {
			detail = detail[:200]
		}
		if err == nil {
			err = errors.New("no output")
		}
		return "", nil, fmt.Errorf("LibreOffice conversion to .%s failed: %v %s", to, err, strings.ReplaceAll(detail, "\n", " "))
	}
	return conv, cleanup, nil
}
