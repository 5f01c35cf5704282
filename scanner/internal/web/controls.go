package web

// ControlsJS is the part of the presenter page's and the hub's script that
// is the same on both: the sound toggle and acknowledging without a reload.
// It is spliced into each page's script, whose closure defines $, sound,
// actx and beep.
const ControlsJS = `$("#sound").addEventListener("click", function(){
  sound = !sound;
  // Browsers allow audio only after a gesture: this click is the one.
  if (sound && !actx) { try { actx = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) {} }
  if (actx && actx.state === "suspended") actx.resume();
  this.setAttribute("aria-pressed", String(sound));
  this.textContent = sound ? "Sound on" : "Sound off";
  if (sound) beep();
});
document.addEventListener("submit", function(ev){
  var f = ev.target;
  if (!f.classList || !f.classList.contains("ackf")) return;
  ev.preventDefault();
  var b = f.querySelector("button"); b.disabled = true; b.textContent = "Acknowledging…";
  fetch("ack", {method: "POST", body: new URLSearchParams(new FormData(f)), headers: {"X-Demoguard": "1"}, credentials: "same-origin"})
    .then(function(r){ if (!r.ok) throw new Error(r.status); })
    .catch(function(){ b.disabled = false; b.textContent = "Acknowledge (retry)"; });
});
`
