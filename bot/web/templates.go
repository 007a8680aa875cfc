package web

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"

	"github.com/paperbot/paperbot/formatter"
)

// The pages are plain server-rendered HTML without scripts (the CSP forbids
// them): headings, definition lists and tables that read in order without
// the style sheet, a light and a dark palette picked by the reader's
// prefers-color-scheme, and states spelled out in words, never by colour
// alone.

const pageHead = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{{template "title" .}}</title>
<style>
:root{--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--panel:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--info:#0969da;--link:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--panel:#151b23;--ok:#3fb950;--bad:#ff7b72;--warn:#d29922;--info:#4493f8;--link:#4493f8}}
html{background:var(--bg);color:var(--fg)}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans CJK KR","Noto Sans KR",sans-serif;margin:0 auto;max-width:80rem;padding:1rem 1.25rem 3rem}
a{color:var(--link)}h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}
.note{color:var(--muted)}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1.25rem;margin:0}dl.facts dt{font-weight:600}dl.facts dd{margin:0}
table{border-collapse:collapse;width:100%;margin:.5rem 0}caption{text-align:left;color:var(--muted);padding:.25rem 0}
th,td{border-bottom:1px solid var(--line);padding:.4rem .5rem;text-align:left;vertical-align:top}thead th{font-size:.85rem;color:var(--muted);font-weight:600}
td.path{min-width:14rem;max-width:24rem;overflow-wrap:anywhere}td.err{max-width:30rem;overflow-wrap:anywhere}
.state{font-weight:700;white-space:nowrap}
.s-sent,.ok{color:var(--ok)}.s-failed,.bad,.s-overdue{color:var(--bad)}.s-retrying,.s-sending,.s-due{color:var(--warn)}.s-waiting{color:var(--info)}.s-skipped,.s-not-expected{color:var(--muted)}.s-arrived{color:var(--ok)}
pre{background:var(--panel);border:1px solid var(--line);padding:.75rem;overflow:auto;max-height:40rem}
details.raw{margin:.5rem 0}details.raw>summary{cursor:pointer;color:var(--link)}
form{margin:0}button{font:inherit;white-space:nowrap;padding:.15rem .7rem;border:1px solid var(--line);border-radius:6px;background:var(--panel);color:var(--fg);cursor:pointer}
nav.pages{display:flex;gap:1.5rem;margin:.75rem 0}
.drawing{border:1px solid var(--line);border-radius:8px;overflow:hidden;margin:.5rem 0}
` + formatter.HTMLStyle + `
</style></head><body>`

const timeTmpl = `{{define "time"}}{{if .Text}}<time datetime="{{.ISO}}">{{.Text}}</time> <span class="note">({{.Rel}})</span>{{else}}never{{end}}{{end}}`

// deliveryRows is the table of (post, target) pairs both pages share.
const deliveryRows = `{{define "deliveries"}}<table>
<thead><tr>{{if .ShowPost}}<th scope="col">Post</th>{{end}}<th scope="col">Target</th><th scope="col">State</th><th scope="col">Details</th><th scope="col">Updated</th><th scope="col"><span class="note">Action</span></th></tr></thead>
<tbody>{{range .List}}<tr>
{{if $.ShowPost}}<td class="path">{{if .Day}}<a href="/posts/{{.Day}}">{{.Post}}</a>{{else}}{{.Post}}{{end}}</td>{{end}}
<td>{{.Target}}</td>
<td><span class="state s-{{.State}}">{{.State}}</span></td>
<td class="err">{{if eq (print .State) "sent"}}{{.Messages}} message{{if ne .Messages 1}}s{{end}}{{range .Links}} · <a href="{{.URL}}">message {{.N}}</a>{{end}}{{if gt .Attempts 1}} <span class="note">(after {{.Attempts}} attempts)</span>{{end}}
{{- else if eq (print .State) "retrying"}}attempt {{.Attempts}} failed: {{.Detail}}<br>next attempt: {{template "time" .Next}}
{{- else if eq (print .State) "failed"}}{{.Detail}}{{if .Attempts}} <span class="note">(after {{.Attempts}} attempt{{if ne .Attempts 1}}s{{end}}; not retried automatically)</span>{{end}}
{{- else if eq (print .State) "sending"}}attempt {{.Attempts}}: {{.Detail}}
{{- else}}{{.Detail}}{{end}}</td>
<td>{{if .Updated.Text}}{{template "time" .Updated}}{{else}}<span class="note">no record yet</span>{{end}}</td>
<td>{{if .Retryable}}{{if not .Day}}<span class="note">no date in the file name: retry with paperbot send</span>{{else if and $.Admin.Admin $.Admin.CanRetry}}<form method="post" action="/posts/{{.Day}}/retry">
<input type="hidden" name="csrf" value="{{$.Admin.CSRF}}"><input type="hidden" name="post" value="{{.Post}}"><input type="hidden" name="target" value="{{.Target}}"><input type="hidden" name="back" value="{{$.Admin.Back}}">
<button type="submit">Retry now</button></form>{{else if $.Admin.Admin}}<span class="note">retrying needs the engine</span>{{else}}<span class="note">retrying needs the admin token</span>{{end}}{{end}}</td>
</tr>{{end}}</tbody></table>{{end}}`

var statusTmpl = template.Must(template.New("status").Funcs(funcs).Parse(pageHead + `
{{define "title"}}paperbot status{{end}}
<header><h1>paperbot status</h1>
<p class="note">Times in {{.Zone}}. Generated {{template "time" .Generated}}.</p></header>
<main>
<section aria-labelledby="h-run"><h2 id="h-run">Schedule and scans</h2>
{{if .HasEngine}}<dl class="facts">
<dt>Schedule</dt><dd>{{with .Schedule}}<code>{{.}}</code>{{else}}none{{end}}</dd>
<dt>Next run</dt><dd>{{if .NextRun.Text}}{{template "time" .NextRun}}{{else}}not scheduled in this process{{end}}</dd>
<dt>Last scan</dt><dd>{{if .ScanError}}<strong class="bad">failed</strong>: {{.ScanError}}<br>last successful scan: {{template "time" .LastScan}}{{else if .LastScan.Text}}<span class="ok">succeeded</span> {{template "time" .LastScan}}{{else}}no scan has finished yet{{end}}</dd>
<dt>Ready</dt><dd>{{if .Ready}}yes: the posts are indexed and lookups answer{{else}}<strong>not yet</strong>: the first scan is running{{end}}</dd>
<dt>This replica</dt><dd>{{if .Sender}}<strong>the sender</strong>: it delivers the posts{{else}}<strong>standby</strong>: another replica holds the sender lease; this one answers commands and pages{{end}}</dd>
<dt>Expected post</dt><dd>{{if .ExpectBy.Set}}expect_by <code>{{.ExpectBy.Rule}}</code>: <span class="state s-{{.ExpectBy.State}}">{{.ExpectBy.Text}}</span>{{with .ExpectBy.Deadline.Text}} {{template "time" $.ExpectBy.Deadline}}{{end}}{{else}}{{.ExpectBy.Text}}{{end}}</dd>
<dt>Post files</dt><dd>{{.Files}} seen{{with .Broken}}, <a href="#h-broken">{{len .}} fail to parse</a>{{end}}</dd>
</dl>{{else}}<p>No delivery engine runs in this process.</p>{{end}}
</section>
{{if .HasEngine}}<section aria-labelledby="h-targets"><h2 id="h-targets">Targets</h2>
{{if .Targets}}<table><thead><tr><th scope="col">Target</th><th scope="col">Health</th><th scope="col">Last success</th><th scope="col">Consecutive failures</th><th scope="col">Last error</th><th scope="col">Next attempt</th></tr></thead><tbody>
{{range .Targets}}<tr><th scope="row">{{.Name}}</th><td>{{if .Healthy}}<span class="state s-sent">healthy</span>{{else}}<span class="state s-failed">failing</span>{{end}}</td>
<td>{{template "time" .LastSuccess}}</td><td>{{.Failures}}</td><td class="err">{{with .LastError}}{{.}}{{else}}<span class="note">none</span>{{end}}</td>
<td>{{if .NextAttempt.Text}}{{template "time" .NextAttempt}}{{else}}<span class="note">nothing waits</span>{{end}}</td></tr>
{{end}}</tbody></table>{{else}}<p class="note">No targets are configured.</p>{{end}}
</section>{{end}}
{{with .Broken}}<section aria-labelledby="h-broken"><h2 id="h-broken">Posts that fail to parse</h2>
<p class="note">These files are not indexed and not sent until they are fixed; the other posts go on.</p>
<table><thead><tr><th scope="col">File</th><th scope="col">Problem (file:line: reason)</th></tr></thead><tbody>
{{range .}}<tr><td class="path">{{.Path}}</td><td class="err">{{.Error}}</td></tr>{{end}}</tbody></table></section>{{end}}
<section aria-labelledby="h-deliveries"><h2 id="h-deliveries">Deliveries</h2>
{{if .Rows}}<p class="note">{{.Total}} deliveries, newest post first{{if gt .Pages 1}}; page {{.Page}} of {{.Pages}}{{end}}.</p>
{{template "deliveries" (rows $.AdminState .Rows true)}}
{{if gt .Pages 1}}<nav class="pages" aria-label="Pages of deliveries">{{if gt .Page 1}}<a href="/?page={{add .Page -1}}" rel="prev">← Newer</a>{{end}}<span>page {{.Page}} of {{.Pages}}</span>{{if lt .Page .Pages}}<a href="/?page={{add .Page 1}}" rel="next">Older →</a>{{end}}</nav>{{end}}
{{else}}<p class="note">Nothing delivered yet.</p>{{end}}
</section>
{{if not .AdminState.Admin}}<p class="note">{{if .AdminState.HasToken}}Viewing as a local client: open /?token=… to retry from this page.{{else}}No admin token is configured: retries from this page are off.{{end}}</p>{{end}}
</main>
<footer><p class="note"><a href="/metrics">metrics</a> · <a href="/readyz">readyz</a></p></footer>
</body></html>` + deliveryRows + timeTmpl))

var postTmpl = template.Must(template.New("post").Funcs(funcs).Parse(pageHead + `
{{define "title"}}{{range $i, $p := .Posts}}{{if $i}} · {{end}}{{$p.Digest.Title}}{{end}} — paperbot{{end}}
<header><nav><a href="/">← Status</a></nav></header>
<main>
{{with .Damaged}}<p class="bad">{{.}}</p>{{end}}
{{range .Posts}}<article>
<h1>{{.Digest.Title}}{{if .Digest.Draft}} <small class="note">(draft: not sent until published)</small>{{end}}</h1>
<p class="note">Dated {{template "time" .Date}} · <code>{{.Digest.Path}}</code>{{with .Digest.Tags}} · tags: {{range $i, $t := .}}{{if $i}}, {{end}}{{$t}}{{end}}{{end}} · {{len .Digest.Papers}} papers</p>
<section><h2>Deliveries</h2>
{{if .Deliveries}}{{template "deliveries" (rows $.AdminState .Deliveries false)}}{{else}}<p class="note">No delivery recorded for this post.</p>{{end}}
</section>
<section><h2>As each chat shows it</h2>
<p class="note">Drawn in the configured folding modes. Click a folded section to open it{{if .Spoilers}}, a Discord spoiler to reveal it{{end}}.{{if .Buttons}} Buttons act in the chat only.{{end}}</p>
<div class="drawing">{{.Drawing}}</div>
<details class="raw"><summary>Slack payloads (JSON)</summary><pre>{{.Slack}}</pre></details>
<details class="raw"><summary>Discord payloads (JSON)</summary><pre>{{.Discord}}</pre></details>
</section>
</article>{{end}}
{{if not .AdminState.Admin}}<p class="note">{{if .AdminState.HasToken}}Viewing as a local client: open this page with ?token=… to retry.{{else}}No admin token is configured: retries from this page are off.{{end}}</p>{{end}}
</main>
</body></html>` + deliveryRows + timeTmpl))

// rowsView feeds the shared deliveries table the page's admin facts.
type rowsView struct {
	List     []deliveryRow
	Admin    adminView
	ShowPost bool
}

var funcs = template.FuncMap{
	"rows": func(a adminView, list []deliveryRow, showPost bool) rowsView {
		return rowsView{List: list, Admin: a, ShowPost: showPost}
	},
	"add": func(a, b int) int { return a + b },
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, t *template.Template, v any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}
