package formatter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
)

// encodeJSON is how the Slack and Discord payloads are written (SlackJSON,
// DiscordJSON): one line, no trailing newline, no HTML escaping, so the
// text reads as it is sent.
func encodeJSON(v any) ([]byte, error) {
	// The encoder writes into a pooled buffer, which would otherwise regrow
	// from nothing for every payload (tens of kilobytes); the caller gets
	// one exact-size copy.
	buf := jsonBufPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledJSON {
			buf.Reset()
			jsonBufPool.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode json: %w", err)
	}
	js := unescapeHTML(bytes.TrimRight(buf.Bytes(), "\n"))
	return bytes.Clone(js), nil
}

var jsonBufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledJSON keeps an outsized payload's buffer from staying pinned.
const maxPooledJSON = 1 << 20

// unescapeHTML undoes the \u0026 \u003c \u003e escapes that slack-go's own
// MarshalJSON methods (container children, accessories) produce through
// json.Marshal, so the payload reads as sent; both forms are the same JSON.
// It works in place (js is overwritten): the output never gets ahead of the
// input, as every step writes at most the bytes it has read.
func unescapeHTML(js []byte) []byte {
	if !bytes.Contains(js, []byte(`\u00`)) {
		return js
	}
	out := js[:0]
	for i := 0; i < len(js); i++ {
		c := js[i]
		if c != '\\' || i+1 >= len(js) {
			out = append(out, c)
			continue
		}
		if js[i+1] == 'u' && i+6 <= len(js) {
			switch string(js[i+2 : i+6]) {
			case "0026":
				out = append(out, '&')
				i += 5
				continue
			case "003c":
				out = append(out, '<')
				i += 5
				continue
			case "003e":
				out = append(out, '>')
				i += 5
				continue
			}
		}
		// Any other escape is copied whole, so an escaped backslash is
		// never read as the start of another escape.
		out = append(out, c, js[i+1])
		i++
	}
	return out
}
