package corpus

import (
	"fmt"
	"image"
	"image/color"
	"strings"
)

// Dark editor palette (VS Code "Dark+"-like).
var (
	edBg      = hex(0x1E1E1E)
	edText    = hex(0xD4D4D4)
	edKey     = hex(0x9CDCFE)
	edString  = hex(0xCE9178)
	edComment = hex(0x6A9955)
	edKeyword = hex(0xC586C0)
	edNumber  = hex(0xB5CEA8)
	edLineNo  = hex(0x858585)
)

type codeFile struct {
	name  string
	lines func(p *planter) [][]seg
}

func kv(k, sep string, v seg) []seg {
	return []seg{colored(k, edKey), colored(sep, edText), v}
}

func quoted(v seg) []seg {
	v.col = edString
	return []seg{colored(`"`, edString), v, colored(`"`, edString)}
}

func comment(s string) []seg { return []seg{colored(s, edComment)} }

func decoyComment(p *planter) []seg {
	d := p.decoyWord()
	d.col = edComment
	return append([]seg{colored("# ", edComment)}, colorAll(phrase(decoyTemplate(p.rng, d.text), d), edComment)...)
}

func colorAll(ss []seg, col color.RGBA) []seg {
	for i := range ss {
		ss[i].col = col
	}
	return ss
}

var codeFiles = []codeFile{
	{".env.production", func(p *planter) [][]seg {
		return [][]seg{
			comment("# Production settings – loaded by docker compose"),
			kv("APP_ENV", "=", colored("production", edString)),
			kv("LOG_LEVEL", "=", colored("info", edString)),
			kv("AWS_REGION", "=", colored("eu-west-1", edString)),
			kv("AWS_ACCESS_KEY_ID", "=", p.credential("aws-access-key")),
			kv("DATABASE_URL", "=", p.credential("connection-string")),
			{},
			decoyComment(p),
			kv("STRIPE_SECRET_KEY", "=", p.credential("stripe-key")),
			kv("SLACK_BOT_TOKEN", "=", p.credential("slack-token")),
			kv("FEATURE_FLAGS", "=", colored("search_v2,new_billing", edString)),
			kv("MAX_WORKERS", "=", colored("8", edNumber)),
			kv("SUPPORT_CONTACT", "=", p.email()),
		}
	}},
	{"config.yaml", func(p *planter) [][]seg {
		return [][]seg{
			comment("# service configuration"),
			kv("server", ":", txt("")),
			kv("  port", ": ", colored("8080", edNumber)),
			kv("  read_timeout", ": ", colored("30s", edString)),
			kv("database", ":", txt("")),
			append(kv("  url", ": ", txt("")), quoted(p.credential("connection-string"))...),
			kv("  pool_size", ": ", colored("20", edNumber)),
			kv("github", ":", txt("")),
			kv("  token", ": ", p.credential("github-token")),
			kv("  org", ": ", colored("platform-team", edString)),
			decoyComment(p),
			kv("notify", ":", txt("")),
			kv("  owner", ": ", p.email()),
			kv("  slack_channel", ": ", colored("#deploys", edString)),
		}
	}},
	{"deploy_key.pem", func(p *planter) [][]seg {
		key := p.credential("private-key")
		out := [][]seg{{key}}
		for range 9 {
			out = append(out, []seg{colored(p.rng.str(64, alnum+"+/"), edText)})
		}
		end := key
		end.text = strings.Replace(key.text, "BEGIN", "END", 1)
		return append(out, []seg{end})
	}},
	{"client_test.go", func(p *planter) [][]seg {
		return [][]seg{
			{colored("package", edKeyword), txt(" client")},
			{},
			{colored("import", edKeyword), txt(" ("), colored(`"net/http"`, edString), txt(")")},
			{},
			comment("// fixture token for the replay tests"),
			append([]seg{colored("const", edKeyword), txt(" testToken = ")}, quoted(p.credential("jwt"))...),
			{},
			{colored("func", edKeyword), txt(" newRequest(url "), colored("string", edKeyword), txt(") *http.Request {")},
			{txt("    req, _ := http.NewRequest("), colored(`"GET"`, edString), txt(", url, "), colored("nil", edKeyword), txt(")")},
			{txt("    req.Header.Set("), colored(`"Accept"`, edString), txt(", "), colored(`"application/json"`, edString), txt(")")},
			{txt("    "), colored("return", edKeyword), txt(" req")},
			{txt("}")},
		}
	}},
	{"requests.http", func(p *planter) [][]seg {
		return [][]seg{
			comment("### list invoices"),
			{colored("GET", edKeyword), txt(" https://billing.example.test/v1/invoices?limit=50")},
			{p.credential("bearer-token")},
			{colored("Accept", edKey), txt(": application/json")},
			{},
			comment("### create customer note"),
			{colored("POST", edKeyword), txt(" https://billing.example.test/v1/notes")},
			{colored("Content-Type", edKey), txt(": application/json")},
			{},
			{txt(`{ "note": "follow up next week", "priority": 2 }`)},
		}
	}},
}

// renderEditor draws a dark code editor with a file tree, tabs, a config or
// source file holding credentials, and a terminal panel.
func renderEditor(c *canvas, p *planter, v int) {
	r := p.rng
	W, H := c.W(), c.H()
	c.fill(image.Rect(0, 0, W, H), edBg)
	c.in("app-chrome", image.Rect(0, 0, W, c.p(30)))
	c.fill(image.Rect(0, 0, W, c.p(30)), hex(0x3C3C3C))
	mf := c.face(regular, 13)
	x := c.p(40)
	for _, m := range menus["editor"] {
		x = c.str(x, c.p(7), mf, hex(0xCCCCCC), m) + c.p(12)
	}
	file := codeFiles[v%len(codeFiles)]
	c.textCenter(W/2, c.p(7), mf, hex(0xCCCCCC), txt(file.name+" – billing-service"))
	c.fill(image.Rect(0, c.p(30), c.p(48), H), hex(0x333333))
	for i := range 5 {
		c.roundRect(image.Rect(c.p(12), c.p(44+float64(i)*48), c.p(36), c.p(68+float64(i)*48)), c.p(4), hex(0x858585))
	}
	side := image.Rect(c.p(48), c.p(30), c.p(300), H-c.p(22))
	c.fill(side, hex(0x252526))
	c.in("code-editor-dark", side)
	sf := c.face(regular, 13)
	c.str(side.Min.X+c.p(20), side.Min.Y+c.p(10), c.face(regular, 11), hex(0xBBBBBB), "EXPLORER")
	ty := side.Min.Y + c.p(36)
	tree := []string{"billing-service", "  .github", "  cmd", "  internal", "    client", "    invoices", "  deploy", "  docs", "  .env.production", "  config.yaml", "  deploy_key.pem", "  client_test.go", "  requests.http", "  go.mod", "  go.sum", "  Makefile", "  README.md"}
	for _, t := range tree {
		col := hex(0xCCCCCC)
		if strings.TrimSpace(t) == file.name {
			c.fill(image.Rect(side.Min.X, ty-c.p(3), side.Max.X, ty+sf.height()+c.p(3)), hex(0x37373D))
			col = white
		}
		c.str(side.Min.X+c.p(16), ty, sf, col, t)
		ty += sf.height() + c.p(8)
	}
	// Tabs.
	c.fill(image.Rect(side.Max.X, c.p(30), W, c.p(65)), hex(0x252526))
	tx := side.Max.X
	for i, name := range []string{file.name, "main.go", "README.md"} {
		w := sf.width(name) + c.p(40)
		bg := hex(0x2D2D2D)
		col := hex(0x969696)
		if i == 0 {
			bg, col = edBg, white
		}
		c.fill(image.Rect(tx, c.p(30), tx+w, c.p(65)), bg)
		c.str(tx+c.p(20), c.p(40), sf, col, name)
		tx += w + 1
	}
	code := image.Rect(side.Max.X, c.p(65), W, H-c.p(22)-c.p(220))
	c.in("code-editor-dark", code)
	cf := c.face(mono, float64(12+v%3))
	lh := cf.height() + c.p(5)
	y := code.Min.Y + c.p(8)
	lines := file.lines(p)
	// Pad with ordinary code so the editor is as dense as a real one.
	for len(lines) < 36 {
		lines = append(lines, fillerCode(file.name, len(lines))...)
	}
	for i, l := range lines {
		if y+lh > code.Max.Y {
			break
		}
		c.textRight(code.Min.X+c.p(50), y, cf, edLineNo, txt(fmt.Sprint(i+1)))
		if len(l) > 0 {
			c.text(code.Min.X+c.p(70), y, cf, edText, l...)
		}
		y += lh
	}
	// Minimap stripe.
	for i := range 60 {
		w := c.p(float64(10 + (i*37)%50))
		c.fill(image.Rect(W-c.p(90), code.Min.Y+c.p(float64(i)*4), W-c.p(90)+w, code.Min.Y+c.p(float64(i)*4+2)), hex(0x3A3D41))
	}
	// Terminal.
	term := image.Rect(side.Max.X, code.Max.Y, W, H-c.p(22))
	c.hline(term.Min.X, W, term.Min.Y, 1, hex(0x414141))
	c.in("code-editor-dark", term)
	hf := c.face(regular, 11)
	hx := term.Min.X + c.p(20)
	for _, h := range []string{"PROBLEMS", "OUTPUT", "DEBUG CONSOLE", "TERMINAL"} {
		hx = c.str(hx, term.Min.Y+c.p(10), hf, hex(0xBBBBBB), h) + c.p(24)
	}
	tf := c.face(mono, 13)
	ty = term.Min.Y + c.p(40)
	out := [][]seg{
		{colored("$ ", hex(0x23D18B)), txt("go test ./internal/...")},
		{txt("ok      billing/internal/client     0.412s")},
		{txt("ok      billing/internal/invoices   1.087s")},
		{colored("$ ", hex(0x23D18B)), txt("git status --short")},
		{colored(" M "+file.name, hex(0xE2C08D))},
	}
	switch v % 3 {
	case 0:
		out = append(out, []seg{colored("$ ", hex(0x23D18B)), txt("export GITHUB_TOKEN="), p.credential("github-token")})
	case 1:
		out = append(out, []seg{colored("$ ", hex(0x23D18B)), txt("export ID_TOKEN="), p.credential("jwt")})
	default:
		out = append(out, []seg{colored("$ ", hex(0x23D18B)), txt("echo "), p.decoySmall(), txt(" > price.txt")})
	}
	for _, l := range out {
		if ty+tf.height() > term.Max.Y {
			break
		}
		c.text(term.Min.X+c.p(20), ty, tf, edText, l...)
		ty += tf.height() + c.p(4)
	}
	c.fill(image.Rect(0, H-c.p(22), W, H), hex(0x007ACC))
	c.in("app-chrome", image.Rect(0, H-c.p(22), W, H))
	c.str(c.p(10), H-c.p(18), hf, white, "main*   0 errors  2 warnings")
	c.textRight(W-c.p(10), H-c.p(18), hf, white, txt(fmt.Sprintf("Ln %d, Col %d   Spaces: 4   UTF-8   LF", r.between(1, 30), r.between(1, 60))))
}

func fillerCode(name string, n int) [][]seg {
	blocks := [][][]seg{
		{
			{},
			comment("// retry with backoff; the upstream rate limit is 50 per second"),
			{colored("func", edKeyword), txt(" retry(n "), colored("int", edKeyword), txt(", fn "), colored("func", edKeyword), txt("() "), colored("error", edKeyword), txt(") "), colored("error", edKeyword), txt(" {")},
			{txt("    "), colored("var", edKeyword), txt(" err "), colored("error", edKeyword)},
			{txt("    "), colored("for", edKeyword), txt(" i := "), colored("0", edNumber), txt("; i < n; i++ {")},
			{txt("        "), colored("if", edKeyword), txt(" err = fn(); err == "), colored("nil", edKeyword), txt(" {")},
			{txt("            "), colored("return", edKeyword), colored(" nil", edKeyword)},
			{txt("        }")},
			{txt("        time.Sleep(time.Duration(i*i) * "), colored("100", edNumber), txt(" * time.Millisecond)")},
			{txt("    }")},
			{txt("    "), colored("return", edKeyword), txt(" err")},
			{txt("}")},
		},
	}
	if strings.HasSuffix(name, ".go") {
		return blocks[0]
	}
	if strings.HasSuffix(name, ".pem") || strings.HasSuffix(name, ".http") {
		return [][]seg{{}}
	}
	envs := [][2]string{{"LOG_FORMAT", "json"}, {"LOG_SAMPLING", "0.25"}, {"TRACE_ENDPOINT", "otel-collector:4317"},
		{"CACHE_TTL_SECONDS", "300"}, {"HTTP_TIMEOUT", "15s"}, {"QUEUE_NAME", "invoices-v2"}, {"RATE_LIMIT_RPS", "50"},
		{"PDF_RENDERER", "chromium"}, {"SMTP_HOST", "mail.example.test"}, {"SMTP_PORT", "587"}, {"METRICS_PORT", "9102"},
		{"EXPORT_BUCKET", "billing-exports-eu"}, {"RETRY_MAX", "5"}, {"TZ", "UTC"}, {"LOCALE_DEFAULT", "en-GB"},
		{"INVOICE_PREFIX", "INV-"}, {"SEARCH_INDEX", "accounts_v3"}, {"WORKER_CONCURRENCY", "4"}}
	out := [][]seg{{}, comment(pick(newRNG(int64(n), 7), []string{"# observability", "# queues and workers", "# misc", "# mail"}))}
	for i := range 6 {
		e := envs[(n*5+i)%len(envs)]
		out = append(out, kv(e[0], "=", colored(e[1], edString)))
	}
	return out
}
