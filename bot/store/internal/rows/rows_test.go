package rows

import (
	"reflect"
	"testing"

	"github.com/paperbot/paperbot/bot"
)

func TestWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  Sparse   ATTENTION ", []string{"sparse", "attention"}},
		{"희소 희소 주의", []string{"희소", "주의"}},
		{"a\x00b", []string{"a", "b"}},
		{"ok\xffbad", []string{"ok", "bad"}},
		{"1 2 3 4 5 6 7 8 9 10", []string{"1", "2", "3", "4", "5", "6", "7", "8"}},
	} {
		if got := Words(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Words(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSearchText(t *testing.T) {
	t.Parallel()
	p := &bot.Paper{Title: "Sparse ATTENTION", Sections: []bot.Section{{Name: "Method", Blocks: []bot.Block{{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.TextInline, Text: "희소성 Works"}}}}}}}
	title, text := SearchText(p)
	if title != "sparse attention" || text != "sparse attention\nmethod\n희소성 works" {
		t.Errorf("SearchText = %q, %q", title, text)
	}
}

func TestRefs(t *testing.T) {
	t.Parallel()
	for _, refs := range [][]bot.MessageRef{nil, {}, {{Channel: "C", ID: "1", Thread: "0"}}} {
		s, err := MarshalRefs(refs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := UnmarshalRefs(s)
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) == 0 && got != nil || len(refs) > 0 && !reflect.DeepEqual(got, refs) {
			t.Errorf("refs %v round-trip to %v via %s", refs, got, s)
		}
	}
	if _, err := UnmarshalRefs("{"); err == nil {
		t.Error("bad refs decoded")
	}
}
