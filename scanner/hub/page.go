package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/demoguard/demoguard/scanner/internal/web"
)

func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	var rep Report
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxReport))
	if err := dec.Decode(&rep); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, fmt.Sprintf("demoguard hub: report over %d bytes", tooBig.Limit), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "demoguard hub: bad report: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := s.Apply(rep); err != nil {
		http.Error(w, "demoguard hub: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

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

func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	web.Stream(w, r, &s.bc, time.Second, func() []web.SSE {
		v := s.view()
		return []web.SSE{
			{Name: "clock", Data: fmt.Sprint(v.Now.UnixMilli()), Always: true},
			{Name: "rooms", Data: render("rooms", v)},
		}
	})
}

func (s *Server) ack(w http.ResponseWriter, r *http.Request) {
	if !web.SameOrigin(r) {
		http.Error(w, "demoguard hub: cross-site request refused", http.StatusForbidden)
		return
	}
	if err := web.ParseForm(w, r); err != nil {
		web.FormError(w, err)
		return
	}
	room, id := r.FormValue("room"), r.FormValue("incident")
	if !s.Ack(room, id) {
		http.Error(w, "demoguard hub: no open alert "+id+" in "+room, http.StatusNotFound)
		return
	}
	if r.Header.Get("X-Demoguard") != "" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, "./", http.StatusSeeOther)
}

// RoomState is a room in /state.json.
type RoomState struct {
	Room    string       `json:"room"`
	State   string       `json:"state"`
	Offline bool         `json:"offline"`
	Alerts  []AlertState `json:"alerts"`
	Dropped int64        `json:"dropped,omitempty"`
}

// AlertState is an open alert in /state.json.
type AlertState struct {
	Incident  string    `json:"incident"`
	Rule      string    `json:"rule"`
	Severity  string    `json:"severity"`
	Display   int       `json:"display"`
	Text      string    `json:"text,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	Acked     bool      `json:"acked"`
}

// State returns the rooms as the page shows them, in the page's order.
func (s *Server) State() []RoomState {
	v := s.view()
	out := []RoomState{}
	for _, t := range v.Tiles {
		rs := RoomState{Room: t.Room, State: t.State, Offline: t.Offline, Dropped: t.Dropped, Alerts: []AlertState{}}
		for _, a := range t.Alerts {
			rs.Alerts = append(rs.Alerts, AlertState{a.ID, a.Rule, a.Severity, a.Display, a.Text, a.FirstSeen, a.Acked})
		}
		out = append(out, rs)
	}
	return out
}

func (s *Server) stateJSON(w http.ResponseWriter, r *http.Request) {
	web.SecureHeaders(w, "")
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"time": s.opt.Now(), "rooms": s.State()})
}

func render(name string, v view) string {
	var sb strings.Builder
	if err := tmpl.ExecuteTemplate(&sb, name, v); err != nil {
		return "<p>render error: " + template.HTMLEscapeString(err.Error()) + "</p>"
	}
	return sb.String()
}

// ago says how long ago, coarsely; the page's tiles re-render every second.
func ago(d time.Duration) string {
	switch {
	case d < 2*time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	}
	return fmt.Sprintf("%dh ago", int(d.Hours()))
}

var tmpl = template.Must(template.New("hub").Funcs(web.Funcs).Funcs(template.FuncMap{
	"ago": ago,
	"msdur": func(p *int64) time.Duration {
		if p == nil {
			return 0
		}
		return time.Duration(*p) * time.Millisecond
	},
}).Parse(`
{{define "page"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="dark">
<meta name="robots" content="noindex">
<title>demoguard hub</title>
<style nonce="{{.Nonce}}">` + web.BaseCSS + hubCSS + `</style>
</head><body>
<header><h1>demoguard<span class="sub">AV booth</span></h1>
<span id="conn" class="conn">connecting…</span>
<button id="sound" type="button" aria-pressed="false" title="Beep when a room raises an alert">Sound off</button>
</header>
<main id="rooms" aria-live="polite">{{template "rooms" .}}</main>
<script nonce="{{.Nonce}}">` + hubJS + `</script>
</body></html>{{end}}

{{define "rooms"}}
<p class="summary">{{len .Tiles}} {{plural (len .Tiles) "room" "rooms"}}
{{- if .Alerts}} · <strong class="sev-critical">{{.Alerts}} with alerts</strong>{{end}}
{{- if .Offline}} · <strong class="offl">{{.Offline}} offline</strong>{{end}}
{{- if and (not .Alerts) (not .Offline) .Tiles}} · all clear{{end}}</p>
{{- if not .Tiles}}
<p class="empty dim">No agent has reported yet. Start one with <code>demoguard watch --hub URL --room "Hall A" --agent-token-file FILE</code> (the agent token, not the one for this page).</p>
{{- end}}
<div class="tiles">
{{- range .Tiles}}{{$room := .Room}}
<section class="tile {{.State}}{{if .TopSev}} sev-{{.TopSev}}{{end}}{{if .Offline}} is-offline{{end}}{{if and .Alerts (not .Unacked)}} acked{{end}}" data-room="{{.Room}}" data-state="{{.State}}" data-unacked="{{.Unacked}}">
<div class="thead"><h2 class="room">{{.Room}}</h2><span class="pill">{{if eq .State "alert"}}alert{{if .Offline}} · offline{{end}}{{else if .Stopped}}stopped{{else}}{{.State}}{{end}}</span></div>
{{- if .Alerts}}
{{- range $i, $a := .Alerts}}
<div class="al sev-{{.Severity}}{{if .Acked}} acked{{end}}" data-id="{{.ID}}">
<div class="ahead"><span class="badge">{{.Severity}}</span><span class="rule">{{.Rule}}</span><span class="timer" data-since="{{ms .FirstSeen}}">{{if $.Full}}{{dur ($.Now.Sub .FirstSeen)}}{{end}}</span></div>
<div class="meta dim">display {{.Display}} · since {{clock .FirstSeen}}{{if .Text}} · <code>{{.Text}}</code>{{end}}</div>
{{- if .Acked}}<div class="ackd">✓ Acknowledged {{clock .AckedAt}}</div>
{{- else}}<form method="post" action="ack" class="ackf"><input type="hidden" name="room" value="{{$room}}"><input type="hidden" name="incident" value="{{.ID}}"><button class="primary" type="submit">Acknowledge</button></form>{{end}}
</div>
{{- end}}
{{- else if .Offline}}
<p class="big offl">{{if .Stopped}}Agent stopped{{else}}Agent offline{{end}}</p>
{{- else}}
<p class="big okc">Nothing flagged</p>
{{- end}}
<p class="foot dim">{{if .Offline}}{{if .Stopped}}stopped{{else}}no heartbeat{{end}} since {{clock .LastSeen}}{{else}}heartbeat <span data-seen="{{ms .LastSeen}}">{{if $.Full}}{{ago .Silent}}{{end}}</span>{{end}}
{{- if .Dropped}} · <span class="warnc">{{.Dropped}} {{plural .Dropped "event" "events"}} lost while the hub was unreachable</span>{{end}}
{{- if .Restarts}} · agent restarted{{end}}
{{- if .LastErr}} · <span title="{{.LastErr.Message}}">last error {{clock .LastErr.Time}}</span>{{end}}</p>
</section>
{{- end}}
</div>
{{- if .Recent}}
<h2>Recent events</h2>
<ol class="log">
{{- range .Recent}}
<li><span class="dim">{{clock .At}}</span> <strong>{{.Room}}</strong> {{if eq .Ev.Event "alert"}}<span class="badge sev-{{.Ev.Severity}}">{{.Ev.Severity}}</span> {{.Ev.Rule}}{{else if eq .Ev.Event "clear"}}cleared {{.Ev.Rule}}{{if .Ev.ExposureMS}} after {{dur (msdur .Ev.ExposureMS)}}{{end}}{{else if eq .Ev.Event "error"}}<span class="warnc">error</span> {{.Ev.Message}}{{else}}{{.Ev.Event}} {{.Ev.Message}}{{end}}</li>
{{- end}}
</ol>
{{- end}}
{{end}}
`))

const hubCSS = `
main{max-width:1600px}
.summary{margin:0 0 1rem;font-size:1.05rem}
.offl{color:var(--off)}
.okc{color:var(--ok)}
.warnc{color:var(--medium)}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:.9rem}
.tile{background:var(--panel);border-radius:.8rem;padding:.9rem 1rem;border:2px solid var(--line);border-top:.45rem solid var(--ok);display:flex;flex-direction:column;gap:.5rem;min-width:0}
.tile.alert{border-color:var(--sev);border-top-color:var(--sev);animation:pulse 1.2s infinite}
.tile.alert.acked{animation:none}
.tile.offline{border-top-color:var(--off);background:repeating-linear-gradient(135deg,var(--panel) 0 14px,#1f242c 14px 28px)}
.tile.alert.is-offline{border-style:dashed}
.thead{display:flex;align-items:center;gap:.5rem}
.room{font-size:1.3rem;margin:0;flex:1;text-transform:none;letter-spacing:0;color:var(--fg);overflow-wrap:anywhere}
.pill{font-size:.75rem;font-weight:700;text-transform:uppercase;letter-spacing:.06em;padding:.15rem .5rem;border-radius:1rem;background:var(--ok);color:#111}
.tile.alert .pill{background:var(--sev)}
.tile.offline .pill,.tile.is-offline .pill{background:var(--off)}
.big{font-size:1.25rem;font-weight:700;margin:.4rem 0}
.al{border-top:1px solid var(--line);padding-top:.5rem}
.al:first-of-type{border-top:0;padding-top:0}
.ahead{display:flex;align-items:center;gap:.5rem;flex-wrap:wrap}
.ahead .rule{font-weight:700;flex:1;min-width:6rem;overflow-wrap:anywhere}
.ahead .timer{font-size:1.4rem;color:var(--sev)}
.al .meta{margin:.25rem 0 .45rem;font-size:.9rem}
.al .ackd{color:var(--ok);font-weight:600}
.al.acked .timer{opacity:.75}
.al form button{width:100%}
.foot{margin:auto 0 0;font-size:.8rem}
.log{list-style:none;margin:0;padding:0;font-size:.9rem}
.log li{padding:.3rem 0;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
.empty{font-size:1.05rem}
`

// hubJS: the same live mechanics as the presenter page (stream, server
// clock for timers, acknowledge without reload, optional beep).
const hubJS = `
(function(){
"use strict";
var $ = function(s){ return document.querySelector(s); };
var offset = 0, last = 0, known = {}, primed = false, sound = false, actx = null;
function pad(n){ return (n < 10 ? "0" : "") + n; }
function fmt(ms){ var s = Math.max(0, Math.floor(ms/1000)), h = Math.floor(s/3600), m = Math.floor(s/60)%60;
  return h ? h + ":" + pad(m) + ":" + pad(s%60) : Math.floor(s/60) + ":" + pad(s%60); }
function ago(ms){ var s = Math.max(0, Math.floor(ms/1000));
  return s < 2 ? "just now" : s < 60 ? s + "s ago" : s < 3600 ? Math.floor(s/60) + "m ago" : Math.floor(s/3600) + "h ago"; }
function tick(){ var now = Date.now() + offset;
  document.querySelectorAll("[data-since]").forEach(function(el){ el.textContent = fmt(now - Number(el.getAttribute("data-since"))); });
  document.querySelectorAll("[data-seen]").forEach(function(el){ el.textContent = ago(now - Number(el.getAttribute("data-seen"))); }); }
function conn(up){ var c = $("#conn"); c.className = "conn " + (up ? "up" : "down"); c.textContent = up ? "live" : "disconnected"; }
function alive(){ last = Date.now(); conn(true); }
function beep(){
  if (!sound || !actx) return;
  var o = actx.createOscillator(), g = actx.createGain();
  o.type = "square"; o.frequency.value = 660; g.gain.value = 0.15;
  o.connect(g); g.connect(actx.destination); o.start(); o.stop(actx.currentTime + 0.3);
}
function scan(){
  var fresh = false;
  document.querySelectorAll(".al").forEach(function(el){
    var id = el.getAttribute("data-id");
    if (!known[id]) { known[id] = true; if (primed && !el.classList.contains("acked")) fresh = true; }
  });
  primed = true;
  if (fresh) beep();
}
` + web.ControlsJS + `scan(); tick();
var es = new EventSource("events");
es.addEventListener("clock", function(e){ offset = Number(e.data) - Date.now(); alive(); tick(); });
// Heartbeats resend the rooms several times a second: replace the tiles only
// when they changed, or a button would be swapped out under the pointer.
var shown = null;
es.addEventListener("rooms", function(e){ if (e.data !== shown) { shown = e.data; $("#rooms").innerHTML = e.data; scan(); } tick(); alive(); });
es.onopen = alive;
es.onerror = function(){ conn(false); };
setInterval(function(){ tick(); if (Date.now() - last > 4000) conn(false); }, 250);
})();
`
