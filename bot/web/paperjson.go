package web

import (
	"strconv"

	"github.com/paperbot/paperbot/internal/jsonstr"
)

// appendJSON appends p exactly as json.Marshal encodes it (HTML-escaped),
// and reports false where it cannot vouch for that (a date json.Marshal
// refuses), leaving the caller to fall back to encoding/json. A paper
// lookup is the API's hottest answer: built by hand it costs a fraction of
// reflection-driven encoding, and TestPaperJSONMatchesEncodingJSON and
// FuzzPaperJSON hold it to encoding/json's bytes.
func (p *paperJSON) appendJSON(b []byte) ([]byte, bool) {
	date, err := p.Post.Date.MarshalJSON()
	if err != nil {
		return b, false
	}
	b = append(b, `{"id":`...)
	b = jsonstr.Append(b, p.ID)
	b = append(b, `,"title":`...)
	b = jsonstr.Append(b, p.Title)
	b = append(b, `,"url":`...)
	b = jsonstr.Append(b, p.URL)
	b = append(b, `,"alphaxiv_url":`...)
	b = jsonstr.Append(b, p.AlphaxivURL)
	b = append(b, `,"number":`...)
	b = strconv.AppendInt(b, int64(p.Number), 10)
	b = append(b, `,"sections":`...)
	if p.Sections == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range p.Sections {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = jsonstr.Append(b, p.Sections[i].Name)
			b = append(b, `,"text":`...)
			b = jsonstr.Append(b, p.Sections[i].Text)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"post":{"date":`...)
	b = append(b, date...)
	b = append(b, `,"title":`...)
	b = jsonstr.Append(b, p.Post.Title)
	b = append(b, `,"path":`...)
	b = jsonstr.Append(b, p.Post.Path)
	b = append(b, "}}"...)
	return b, true
}
