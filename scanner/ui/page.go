package ui

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/demoguard/demoguard/scanner/internal/web"
)

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	v := s.view()
	v.Nonce = web.Nonce()
	v.Full = true
	web.SecureHeaders(w, v.Nonce)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := tmpl.ExecuteTemplate(w, "page", v); err != nil {
		http.Error(w, "render: "+err.Error(), http.StatusInternalServerError)
	}
}

// stateJSON is the page's state for scripts (a stream deck, a test).
func (s *Server) stateJSON(w http.ResponseWriter, r *http.Request) {
	v := s.view()
	type alertJSON struct {
		Incident   string    `json:"incident"`
		Rule       string    `json:"rule"`
		Severity   string    `json:"severity"`
		Display    int       `json:"display"`
		Text       string    `json:"text,omitempty"`
		FirstSeen  time.Time `json:"first_seen"`
		ExposureMS int64     `json:"exposure_ms"`
		Acked      bool      `json:"acked"`
		Cleared    bool      `json:"cleared,omitempty"`
	}
	conv := func(as []alertView) []alertJSON {
		out := []alertJSON{}
		for _, a := range as {
			out = append(out, alertJSON{a.ID, a.Rule, a.Severity, a.Display, a.Text, a.FirstSeen, a.Exposure.Milliseconds(), a.Acked, a.Cleared})
		}
		return out
	}
	web.SecureHeaders(w, "")
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"time":    v.Now,
		"alerts":  conv(v.Alerts),
		"cleared": conv(v.Cleared),
		"status":  v.Status,
	})
}

// render executes one fragment for the event stream.
func render(name string, v view) string {
	var sb strings.Builder
	if err := tmpl.ExecuteTemplate(&sb, name, v); err != nil {
		return "<p>render error: " + template.HTMLEscapeString(err.Error()) + "</p>"
	}
	return sb.String()
}

var tmpl = template.Must(template.New("ui").Funcs(web.Funcs).Parse(`
{{define "page"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="dark">
<meta name="robots" content="noindex">
<title>demoguard{{if .Title}} · {{.Title}}{{end}}</title>
<style nonce="{{.Nonce}}">` + web.BaseCSS + pageCSS + `</style>
</head><body>
<header><h1>demoguard<span class="sub">{{if .Title}}{{.Title}}{{else}}presenter{{end}}</span></h1>
<span id="conn" class="conn">connecting…</span>
<button id="sound" type="button" aria-pressed="false" title="Beep when a new alert appears">Sound off</button>
</header>
<main>
<section id="live" aria-live="assertive">{{template "live" .}}</section>
<section id="status">{{template "status" .}}</section>
</main>
<script nonce="{{.Nonce}}">` + pageJS + `</script>
</body></html>{{end}}

{{define "live"}}
{{- if .Alerts}}{{$top := index .Alerts 0}}
<div class="banner sev-{{$top.Severity}}"><span class="big">{{len .Alerts}} {{plural (len .Alerts) "alert" "alerts"}} on screen</span><span class="dim">Switch away or hide the window.</span></div>
{{- else}}
<div class="banner ok"><span class="big">All clear</span><span class="dim">Nothing flagged on screen.</span></div>
{{- end}}
<ul class="alerts">
{{- range .Alerts}}
<li class="alert sev-{{.Severity}}{{if .Acked}} acked{{end}}" data-id="{{.ID}}" data-acked="{{.Acked}}">
<div class="head"><span class="badge">{{.Severity}}</span><span class="rule">{{.Rule}}</span><span class="timer" data-since="{{ms .FirstSeen}}" title="exposure">{{if $.Full}}{{dur .Exposure}}{{end}}</span></div>
<div class="meta dim">display {{.Display}} · since {{clock .FirstSeen}}{{if .Text}} · <code>{{.Text}}</code>{{end}}</div>
{{- if .Acked}}
<div class="ackd">✓ Acknowledged at {{clock .AckedAt}}</div>
{{- else}}
<form method="post" action="ack" class="ackf"><input type="hidden" name="incident" value="{{.ID}}"><button class="primary" type="submit">Acknowledge</button></form>
{{- end}}
</li>
{{- end}}
</ul>
{{- if .Cleared}}
<h2>Cleared</h2>
<ul class="cleared">
{{- range .Cleared}}
<li class="sev-{{.Severity}}"><span class="badge">{{.Severity}}</span> <span class="rule">{{.Rule}}</span> <span class="dim">on screen {{dur .Exposure}} · cleared {{clock .ClearedAt}}{{if .Acked}} · acknowledged{{end}}</span></li>
{{- end}}
</ul>
{{- end}}
{{end}}

{{define "status"}}
<h2>Agent</h2>
<dl class="stats">
{{- if .HasStat}}
<div><dt>Displays</dt><dd>{{range .Status.Displays}}<span class="line">{{.}}</span>{{else}}none{{end}}</dd></div>
<div><dt>Frames/s</dt><dd>{{printf "%.1f" .Status.FPS}}</dd></div>
<div><dt>OCR latency</dt><dd>{{if .Status.OCRLatency}}{{.Status.OCRLatency.Milliseconds}} ms{{else}}—{{end}}</dd></div>
{{- if .Status.Feed}}
<div><dt>Audience feed</dt><dd>{{.Status.Feed}}</dd></div>
{{- end}}
{{- end}}
<div><dt>Rules</dt><dd>{{.Status.Rules}}</dd></div>
<div><dt>Viewers</dt><dd>{{.Viewers}}</dd></div>
</dl>
{{- if .Status.Outputs}}
<p class="err"><strong>Outputs losing events:</strong> {{.Status.Outputs}}</p>
{{- end}}
{{- if .Status.ReloadError}}
<p class="err"><strong>Rules did not reload:</strong> {{.Status.ReloadError}}</p>
{{- else if .LastErr}}
<p class="warn dim">Last error {{clock .LastErr.Time}}: {{.LastErr.Message}}</p>
{{- end}}
{{- if .Status.Sources}}
<details id="sources"><summary>{{len .Status.Sources}} rule {{plural (len .Status.Sources) "file" "files"}}</summary><ul class="sources">{{range .Status.Sources}}<li><code>{{.}}</code></li>{{end}}</ul></details>
{{- end}}
{{if .ShowText}}<p class="dim">Matched text is shown unmasked (--show-text).</p>{{end}}
{{end}}
`))

const pageCSS = `
.banner{display:flex;flex-direction:column;gap:.15rem;padding:1rem 1.1rem;border-radius:.75rem;background:var(--panel);border-left:.5rem solid var(--sev,var(--ok))}
.banner.ok{--sev:var(--ok)}
.banner .big{font-size:1.6rem;font-weight:700}
.alerts,.cleared,.sources{list-style:none;margin:0;padding:0}
.alert{margin-top:.75rem;padding:.9rem 1rem;border-radius:.75rem;background:var(--panel);border:2px solid var(--sev);animation:pulse 1.2s infinite}
.alert.acked{animation:none;border-style:dashed;opacity:.8}
.alert .head{display:flex;align-items:center;gap:.6rem;flex-wrap:wrap}
.alert .rule{font-size:1.25rem;font-weight:700;flex:1;min-width:8rem;overflow-wrap:anywhere}
.alert .timer{font-size:1.6rem;color:var(--sev)}
.alert .meta{margin:.35rem 0 .6rem}
.alert .ackd{color:var(--ok);font-weight:600}
.alert form button{width:100%}
.cleared li{padding:.45rem 0;border-bottom:1px solid var(--line)}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.5rem;margin:0}
.stats div{background:var(--panel);border-radius:.5rem;padding:.5rem .75rem}
.stats dt{font-size:.75rem;color:var(--dim)}
.stats dd .line{display:block}
.stats dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.err{background:#ff3b4f22;border:1px solid var(--critical);border-radius:.5rem;padding:.6rem .8rem;overflow-wrap:anywhere}
.warn{overflow-wrap:anywhere}
details{margin-top:.75rem}summary{cursor:pointer;color:var(--dim)}
.sources li{padding:.15rem 0;overflow-wrap:anywhere}
#sound[aria-pressed=true]{border-color:var(--ok);color:var(--ok)}
@media (min-width:800px){.alerts{display:grid;grid-template-columns:1fr 1fr;gap:0 .75rem}}
`

// pageJS keeps the page live: it swaps in the fragments the stream sends,
// runs the exposure timers on the server's clock, acknowledges without a
// reload, shows when the stream is down and beeps on new alerts if asked.
const pageJS = `
(function(){
"use strict";
var $ = function(s){ return document.querySelector(s); };
var offset = 0, last = 0, known = {}, primed = false, sound = false, actx = null;
function pad(n){ return (n < 10 ? "0" : "") + n; }
function fmt(ms){ var s = Math.max(0, Math.floor(ms/1000)), h = Math.floor(s/3600), m = Math.floor(s/60)%60;
  return h ? h + ":" + pad(m) + ":" + pad(s%60) : Math.floor(s/60) + ":" + pad(s%60); }
function tick(){ var now = Date.now() + offset;
  document.querySelectorAll("[data-since]").forEach(function(el){ el.textContent = fmt(now - Number(el.getAttribute("data-since"))); }); }
function conn(up){ var c = $("#conn"); c.className = "conn " + (up ? "up" : "down"); c.textContent = up ? "live" : "disconnected"; }
function alive(){ last = Date.now(); conn(true); }
function beep(){
  if (!sound || !actx) return;
  var o = actx.createOscillator(), g = actx.createGain();
  o.type = "square"; o.frequency.value = 880; g.gain.value = 0.15;
  o.connect(g); g.connect(actx.destination); o.start(); o.stop(actx.currentTime + 0.3);
  if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
}
function scan(){
  var fresh = false;
  document.querySelectorAll("#live .alert").forEach(function(el){
    var id = el.getAttribute("data-id");
    if (!known[id]) { known[id] = true; if (primed && el.getAttribute("data-acked") !== "true") fresh = true; }
  });
  primed = true;
  if (fresh) beep();
}
` + web.ControlsJS + `scan(); tick();
var es = new EventSource("events");
es.addEventListener("clock", function(e){ offset = Number(e.data) - Date.now(); alive(); tick(); });
es.addEventListener("live", function(e){ $("#live").innerHTML = e.data; scan(); tick(); alive(); });
es.addEventListener("status", function(e){
  var open = !!document.querySelector("#sources[open]");
  $("#status").innerHTML = e.data;
  var d = $("#sources"); if (d && open) d.open = true;
  alive();
});
es.onopen = alive;
es.onerror = function(){ conn(false); };
setInterval(function(){ tick(); if (Date.now() - last > 4000) conn(false); }, 250);
})();
`
