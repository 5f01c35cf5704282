package video

import (
	"errors"
	"image"
	"image/color"
	"image/draw"
	"strings"
	"testing"

	"github.com/demoguard/demoguard/rules"
)

func TestParseProbe(t *testing.T) {
	lim := Limits{MaxPixels: 100e6, MaxDuration: 6 * 3600}
	stream := func(extra string) string {
		return `{"streams":[{"codec_type":"audio","codec_name":"aac"},` + extra + `],"format":{"format_name":"mov,mp4","duration":"12.5"}}`
	}
	for _, tc := range []struct {
		name, json string
		lim        Limits
		want       error
		check      func(*Info) string
	}{
		{name: "normal", json: stream(`{"codec_type":"video","codec_name":"h264","width":1920,"height":1080,"r_frame_rate":"30000/1001","nb_frames":"375"}`),
			check: func(i *Info) string {
				if i.Width != 1920 || i.Height != 1080 || i.FPS < 29.97 || i.FPS > 29.98 || i.Duration != 12.5 || i.Frames != 375 || i.Audio != 1 {
					return "wrong fields"
				}
				return ""
			}},
		{name: "audio only", json: `{"streams":[{"codec_type":"audio"}],"format":{}}`, want: ErrNoVideo},
		{name: "cover art only", json: `{"streams":[{"codec_type":"audio"},{"codec_type":"video","width":600,"height":600,"disposition":{"attached_pic":1}}],"format":{}}`, want: ErrNoVideo},
		{name: "too many pixels", json: stream(`{"codec_type":"video","width":100000,"height":100000}`), want: ErrTooLarge},
		{name: "too long", json: `{"streams":[{"codec_type":"video","width":64,"height":64,"duration":"99999"}],"format":{}}`, want: ErrTooLong},
		{name: "absurd frame count bounded", json: stream(`{"codec_type":"video","width":64,"height":64,"nb_frames":"9223372036854775807","duration":"10"}`),
			check: func(i *Info) string {
				if i.Frames > 10001 {
					return "frame count not bounded"
				}
				return ""
			}},
		{name: "no size", json: stream(`{"codec_type":"video"}`), want: errors.New("no frame size")},
		{name: "garbage", json: `not json`, want: errors.New("unreadable")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := lim
			if tc.lim != (Limits{}) {
				l = tc.lim
			}
			info, err := parseProbe([]byte(tc.json), l)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("error %v", err)
			case tc.want != nil && err == nil:
				t.Fatalf("no error, want %v", tc.want)
			case tc.want != nil && !errors.Is(err, tc.want) && !strings.Contains(err.Error(), tc.want.Error()):
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if tc.check != nil {
				if msg := tc.check(info); msg != "" {
					t.Errorf("%s: %+v", msg, info)
				}
			}
		})
	}
}

func TestClockAndNames(t *testing.T) {
	for in, want := range map[float64]string{0: "00:00:00.000", 751.2: "00:12:31.200", 3600 + 0.0004: "01:00:00.000", -1: "00:00:00.000"} {
		if got := Clock(in); got != want {
			t.Errorf("Clock(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"talk.mp4": "talk.redacted.mp4", "a/b.MOV": "b.redacted.mov", "x.webm": "x.redacted.mkv", "y.avi": "y.redacted.mkv"} {
		if got := RedactedName(in); got != want {
			t.Errorf("RedactedName(%q) = %q, want %q", in, got, want)
		}
	}
	fs := FilterScript([]Mask{{Start: 1, End: 2.5, Box: image.Rect(10, 20, 110, 50)}}, &Info{})
	if !strings.Contains(fs, "drawbox=x=10:y=20:w=100:h=30") || !strings.Contains(fs, "gte(t,0.999500)*lt(t,2.499500)") {
		t.Errorf("filter script %q", fs)
	}
}

// frameWith draws a dark text-like block on a light frame.
func frameWith(w, h int, blocks ...image.Rectangle) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{240, 240, 235, 255}), image.Point{}, draw.Src)
	for _, b := range blocks {
		for x := b.Min.X; x < b.Max.X; x += 6 { // glyph-like bars
			draw.Draw(img, image.Rect(x, b.Min.Y, min(x+3, b.Max.X), b.Max.Y), image.NewUniform(color.RGBA{30, 30, 30, 255}), image.Point{}, draw.Src)
		}
	}
	return img
}

func TestChangedTilesIgnoresNoise(t *testing.T) {
	ref := frameWith(320, 240, image.Rect(20, 20, 200, 40))
	noisy := image.NewRGBA(ref.Rect)
	copy(noisy.Pix, ref.Pix)
	for i := 0; i < len(noisy.Pix); i += 4 * 7 { // encoder-like noise of a few levels everywhere
		noisy.Pix[i] ^= 0x0f
	}
	if rs := changedTiles(ref, noisy); len(rs) != 0 {
		t.Errorf("noise gave changed regions %v", rs)
	}
	card := frameWith(320, 240, image.Rect(20, 20, 200, 40), image.Rect(230, 200, 300, 214))
	rs := changedTiles(ref, card)
	if len(rs) != 1 || !rs[0].Overlaps(image.Rect(230, 200, 300, 214)) || rs[0].Overlaps(image.Rect(20, 20, 200, 40)) {
		t.Errorf("a new line gave %v, want one region around it", rs)
	}
}

func TestFindScroll(t *testing.T) {
	var lines []image.Rectangle
	for y := 10; y < 600; y += 40 {
		lines = append(lines, image.Rect(30, y, 100+(y*37)%200, y+18))
	}
	page := frameWith(400, 640, lines...)
	view := func(off int) *image.RGBA {
		v := image.NewRGBA(image.Rect(0, 0, 400, 300))
		draw.Draw(v, v.Rect, page, image.Pt(0, off), draw.Src)
		return v
	}
	ref, cur := view(100), view(114)
	dy, ok := findScroll(ref, cur, cur.Rect)
	if !ok || dy != 14 {
		t.Fatalf("scroll by 14 px found as %d, %v", dy, ok)
	}
	// A word moved up stays; one scrolled out of the region is dropped.
	ls := []rules.Line{
		{Box: rules.Box{X: 30, Y: 100, W: 50, H: 18}, Words: []rules.Word{{Text: "kept", Box: rules.Box{X: 30, Y: 100, W: 50, H: 18}}}},
		{Box: rules.Box{X: 30, Y: 5, W: 50, H: 18}, Words: []rules.Word{{Text: "gone", Box: rules.Box{X: 30, Y: 5, W: 50, H: 18}}}},
	}
	got := moveLines(ls, cur.Rect, cur.Rect, dy)
	if len(got) != 1 || got[0].Words[0].Text != "kept" || got[0].Words[0].Box.Y != 86 {
		t.Errorf("moved lines %+v", got)
	}
	if _, ok := findScroll(ref, frameWith(400, 300, image.Rect(50, 50, 300, 250)), cur.Rect); ok {
		t.Error("a different screen taken for a scroll")
	}
}

// FuzzParseProbe: whatever ffprobe prints (a hostile file can steer it),
// parsing never panics and never lets a size or duration over the limits
// through.
func FuzzParseProbe(f *testing.F) {
	f.Add(`{"streams":[{"codec_type":"video","width":1920,"height":1080,"r_frame_rate":"30/1","nb_frames":"99"}],"format":{"duration":"3.3"}}`)
	f.Add(`{"streams":[{"codec_type":"video","width":-1,"height":99999999,"r_frame_rate":"1/0","duration":"NaN"}]}`)
	f.Add(`{"streams":[{"codec_type":"video","width":10,"height":10,"duration":"1e308","nb_frames":"-5"}]}`)
	lim := Limits{MaxPixels: 100e6, MaxDuration: 6 * 3600}
	f.Fuzz(func(t *testing.T, s string) {
		info, err := parseProbe([]byte(s), lim)
		if err != nil {
			return
		}
		if info.Width <= 0 || info.Height <= 0 || int64(info.Width)*int64(info.Height) > lim.MaxPixels || info.Duration > lim.MaxDuration || info.FPS < 0 || info.Frames < 0 {
			t.Errorf("accepted %+v", info)
		}
	})
}
