package web

import (
	"fmt"
	"html/template"
	"time"
)

// Funcs are the template helpers both pages use.
var Funcs = template.FuncMap{
	"clock": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Local().Format("15:04:05")
	},
	"dur": FormatDuration,
	"ms":  func(t time.Time) int64 { return t.UnixMilli() },
	"plural": func(n any, one, many string) string {
		if fmt.Sprint(n) == "1" {
			return one
		}
		return many
	},
}

// FormatDuration writes m:ss (h:mm:ss past an hour), as the pages' timers do.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// BaseCSS is the pages' common style: dark (a dim booth or a confidence
// monitor), large type, colours by severity, one column on a phone.
const BaseCSS = `
:root{--bg:#111418;--panel:#1b2027;--line:#2c333d;--fg:#e8ecf1;--dim:#9aa5b1;
--critical:#ff3b4f;--high:#ff8a3d;--medium:#f5c542;--low:#4aa3df;--ok:#2fbf71;--off:#7b8794}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{display:flex;align-items:center;gap:.75rem;padding:.6rem 1rem;border-bottom:1px solid var(--line);position:sticky;top:0;background:var(--bg);z-index:1}
header h1{font-size:1.1rem;margin:0;flex:1;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
header h1 .sub{color:var(--dim);font-weight:400;margin-left:.5rem}
main{padding:1rem;max-width:1100px;margin:0 auto}
h2{font-size:.8rem;text-transform:uppercase;letter-spacing:.08em;color:var(--dim);margin:1.5rem 0 .5rem}
button{font:inherit;color:var(--fg);background:var(--panel);border:1px solid var(--line);border-radius:.5rem;padding:.55rem .9rem;min-height:44px;cursor:pointer}
button:hover{border-color:var(--dim)}
button:disabled{opacity:.6}
button.primary{background:var(--fg);color:var(--bg);border-color:var(--fg);font-weight:600}
.conn{font-size:.8rem;color:var(--dim);white-space:nowrap}
.conn::before{content:"";display:inline-block;width:.6rem;height:.6rem;border-radius:50%;background:var(--off);margin-right:.35rem;vertical-align:middle}
.conn.up::before{background:var(--ok)}
.conn.down{color:var(--critical)}
.conn.down::before{background:var(--critical)}
.badge{display:inline-block;font-size:.75rem;font-weight:700;text-transform:uppercase;letter-spacing:.05em;padding:.1rem .45rem;border-radius:.3rem;background:var(--sev,var(--off));color:#111}
.sev-critical{--sev:var(--critical)}.sev-high{--sev:var(--high)}.sev-medium{--sev:var(--medium)}.sev-low{--sev:var(--low)}
.timer{font-variant-numeric:tabular-nums;font-weight:700}
.dim{color:var(--dim)}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;background:#0006;padding:.05rem .3rem;border-radius:.25rem}
@keyframes pulse{0%,100%{box-shadow:0 0 0 0 var(--sev)}50%{box-shadow:0 0 0 6px transparent}}
@media (prefers-reduced-motion:reduce){*{animation:none!important}}
`
