package web

import "html/template"

// The pages are plain server-rendered HTML without scripts (the CSP forbids
// them): a status table and a preview, readable on a phone.

const pageHead = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{block "title" .}}paperbot{{end}}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
.failed{color:#b00020}.sent{color:#1b5e20}.sending{color:#e65100}.skipped{color:#666}
pre{background:#f6f8fa;padding:.75rem;overflow:auto;max-height:40rem;font-size:12px}
.note{color:#666}form{margin:0}
</style></head><body>`

const deliveryRows = `{{define "deliveries"}}<table>
<tr><th>Post</th><th>Target</th><th>State</th><th>Attempts</th><th>Updated</th><th>Last error</th><th></th></tr>
{{range .List}}<tr>
<td>{{if .Date}}<a href="/posts/{{.Date}}">{{.Post}}</a>{{else}}{{.Post}}{{end}}</td>
<td>{{.Target}}</td><td class="{{.State}}">{{.State}}</td><td>{{.Attempts}}</td><td>{{.Updated}}</td>
<td>{{.LastError}}</td>
<td>{{if and .Retryable .Date}}{{if and $.Admin $.CanRetry}}<form method="post" action="/posts/{{.Date}}/retry">
<input type="hidden" name="csrf" value="{{$.CSRF}}"><input type="hidden" name="post" value="{{.Post}}">
<input type="hidden" name="back" value="{{$.Back}}"><button type="submit">Retry</button></form>{{else}}<span class="note">retry needs the admin token</span>{{end}}{{end}}</td>
</tr>{{end}}</table>{{end}}`

var statusTmpl = template.Must(template.New("status").Funcs(funcs).Parse(pageHead + `
<h1>paperbot</h1>
<p>{{if .Ready}}Ready{{else}}<strong>Not ready</strong> (first scan running){{end}}.
Last successful scan: {{.LastScan}}. Post files indexed: {{.Files}}{{with .Broken}}, {{len .}} with errors{{end}}.</p>
{{with .Broken}}<h2>Posts that fail to parse</h2><table>
<tr><th>File</th><th>Error</th></tr>{{range .}}<tr><td>{{.Path}}</td><td>{{.Error}}</td></tr>{{end}}</table>{{end}}
<h2>Recent deliveries</h2>
{{if not .Targets}}<p class="note">Nothing delivered yet.</p>{{end}}
{{range .Targets}}<h3>{{.Name}}</h3>{{template "deliveries" (rows $ .Deliveries "status")}}{{end}}
{{if not .Admin}}<p class="note">{{if .HasToken}}Viewing as a local client; open /?token=… to act as admin.{{else}}No admin token is configured: retries from this page are off.{{end}}</p>{{end}}
<p class="note">Generated {{.Generated}}. <a href="/metrics">metrics</a> · <a href="/readyz">readyz</a></p>
</body></html>` + deliveryRows))

var postTmpl = template.Must(template.New("post").Funcs(funcs).Parse(pageHead + `
<p><a href="/">← status</a></p>
{{range .Posts}}{{$p := .}}
<h1>{{.Digest.Title}}{{if .Digest.Draft}} <small>(draft)</small>{{end}}</h1>
<p class="note">{{.Date}} · {{.Digest.Path}}{{with .Digest.Tags}} · tags: {{range $i, $t := .}}{{if $i}}, {{end}}{{$t}}{{end}}{{end}} · {{len .Papers}} papers</p>
{{with .Deliveries}}<h2>Deliveries</h2>{{template "deliveries" (rows $ . "post")}}{{end}}
<h2>Papers</h2>
{{range .Papers}}<h3>{{.Number}}. {{if .Link}}<a href="{{.Link}}">{{.Title}}</a>{{else}}{{.Title}}{{end}}{{with .ID}} <small>{{.}}</small>{{end}}</h3>
{{range .Sections}}<details><summary>{{.Name}}</summary><pre>{{.Text}}</pre></details>{{end}}{{end}}
{{if .HasPreview}}<h2>Slack payloads</h2><pre>{{.Slack}}</pre><h2>Discord payloads</h2><pre>{{.Discord}}</pre>
{{else}}<p class="note">No chat preview configured.</p>{{end}}
{{end}}
</body></html>` + deliveryRows))

// rowsView feeds the shared deliveries table the page's admin facts.
type rowsView struct {
	List     []deliveryView
	Admin    bool
	CanRetry bool
	CSRF     string
	Back     string
}

var funcs = template.FuncMap{
	"rows": func(page any, list []deliveryView, back string) rowsView {
		v := rowsView{List: list, Back: back}
		switch p := page.(type) {
		case statusView:
			v.Admin, v.CanRetry, v.CSRF = p.Admin, p.CanRetry, p.CSRF
		case postsView:
			v.Admin, v.CanRetry, v.CSRF = p.Admin, p.CanRetry, p.CSRF
		}
		return v
	},
}
